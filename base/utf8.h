// UTF-8 primitives shared by everything that reads or writes text: the JSON
// Schema validator, the tokenizers, the chat-template lexer. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Number of Unicode code points in valid UTF-8 text (counts lead bytes).
size_t Utf8Length(std::string_view text);

// Length of the UTF-8 sequence a lead byte announces, judged by its top four
// bits alone as llama.cpp's unicode_len_utf8 does (continuation bytes give 1,
// F8..FF give 4).
size_t Utf8SequenceLength(uint8_t lead);

// Decodes one code point at `*pos`, advancing it. Invalid or truncated
// sequences (overlong forms, surrogates, > U+10FFFF) consume one byte and
// give U+FFFD.
uint32_t DecodeUtf8(std::string_view s, size_t* pos);
std::vector<uint32_t> DecodeUtf8(std::string_view s);
// Appends `cp` as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void AppendUtf8(uint32_t cp, std::string* out);

// Appends the valid UTF-8 in `s` to `out`, each maximal invalid subpart
// replaced by one U+FFFD (as Python's errors="replace"). Unless `final`, stops
// before a tail that is a valid sequence cut short. Returns the bytes consumed.
size_t AppendValidUtf8(std::string_view s, bool final, std::string* out);

}  // namespace kiln
