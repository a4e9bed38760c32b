// Request targets (path + query) straight from the wire.
#include <cstddef>
#include <cstdint>
#include <string>

#include "web/http.h"
#include "web/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  std::string path;
  std::multimap<std::string, std::string> query;
  if (kiln::web::ParseTarget(target, &path, &query)) {
    if (path.find('\0') != std::string::npos) __builtin_trap();  // decoding must refuse NUL
    (void)kiln::web::SplitPath(path);
  }
  return 0;
}
