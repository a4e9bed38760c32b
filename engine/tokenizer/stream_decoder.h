// StreamDecoder: turns generated tokens into text one token at a time, never
// emitting part of a UTF-8 character.
//
// A token may end in the middle of a character (byte tokens, byte-level BPE);
// those bytes are held back until the character completes. Bytes that can
// never form a character become U+FFFD as soon as that is certain; Flush()
// does the same for whatever is still held at the end of the stream.
//
// Borrows the Tokenizer, which must outlive it. One per sequence; not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = true)
      : tokenizer_(tokenizer), render_special_(render_special) {}

  // The complete text this token finishes (possibly empty).
  std::string Push(int32_t token);
  // The rest: held bytes, an incomplete character ending as U+FFFD.
  std::string Flush();
  size_t held_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace kiln::engine
