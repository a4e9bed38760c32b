// libFuzzer target for the GGUF reader: any bytes must either fail with a
// Status or give a file whose every value and every tensor byte can be read
// (ASan catches a pointer or length that the validation let through).
// Seeds: tests/fuzz/corpus/gguf/ (the sample file of tests/engine/gguf).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/gguf/gguf_file.h"

namespace {

using kiln::engine::GgufFile;
using kiln::engine::GgufValue;

size_t Touch(const GgufValue& v) {
  size_t n = v.size() + static_cast<size_t>(v.type()) + static_cast<size_t>(v.element_type());
  if (auto i = v.AsInt(); i.ok()) n += static_cast<size_t>(*i);
  if (auto u = v.AsUint64(); u.ok()) n += static_cast<size_t>(*u);
  if (auto f = v.AsFloat(); f.ok()) n += static_cast<size_t>(*f != 0);
  if (auto b = v.AsBool(); b.ok()) n += *b;
  if (auto s = v.AsString(); s.ok()) {
    for (char c : *s) n += static_cast<unsigned char>(c);
  }
  if (auto a = v.AsIntArray(); a.ok()) {
    for (int64_t x : *a) n += static_cast<size_t>(x);
  }
  if (auto a = v.AsFloatArray(); a.ok()) n += a->size();
  if (auto a = v.AsStringArray(); a.ok()) {
    for (const std::string& s : *a) n += s.size();
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = GgufFile::FromBytes(std::string(reinterpret_cast<const char*>(data), size));
  if (!file.ok()) return 0;
  const GgufFile& f = **file;
  volatile size_t sink = f.version() + f.alignment() + f.file_size();
  for (const std::string& key : f.keys()) {
    const GgufValue* v = f.Find(key);
    if (v != nullptr) sink = sink + Touch(*v);
    (void)f.GetString(key);
    (void)f.GetIntOr(key, 0);
  }
  for (const auto& t : f.tensors()) {
    size_t sum = static_cast<size_t>(t.elements() + t.rows()) + t.offset;
    for (size_t i = 0; i < t.nbytes; ++i) sum += t.data[i];
    sink = sink + sum + (f.FindTensor(t.name) == &t);
  }
  (void)sink;
  return 0;
}
