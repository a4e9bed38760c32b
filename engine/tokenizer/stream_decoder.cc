#include "engine/tokenizer/stream_decoder.h"

#include "engine/tokenizer/internal/unicode.h"

namespace kiln::engine {

std::string StreamDecoder::Push(int32_t token) {
  const std::string piece = tokenizer_.TokenBytes(token, first_, render_special_);
  if (!piece.empty()) first_ = false;
  pending_ += piece;
  std::string out;
  const size_t used = tokenizer_internal::AppendValidUtf8(pending_, /*final=*/false, &out);
  pending_.erase(0, used);
  return out;
}

std::string StreamDecoder::Flush() {
  std::string out;
  tokenizer_internal::AppendValidUtf8(pending_, /*final=*/true, &out);
  pending_.clear();
  return out;
}

}  // namespace kiln::engine
