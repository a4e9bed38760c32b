// Pre-tokenizers: split text into words before BPE, by Unicode class.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::engine::tokenizer_internal {

// A word: code points [begin, end) of the input.
struct Span {
  size_t begin;
  size_t end;
};

// GPT-2's pattern, as llama.cpp's hand-written unicode_regex_split_custom_gpt2:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// With split_digits, every \p{N} is first cut out as its own word (the
// "\p{N}" pre-pass of smollm, starcoder and others; HF's Digits(individual)).
std::vector<Span> SplitGpt2(const std::vector<uint32_t>& cpts, bool split_digits);

}  // namespace kiln::engine::tokenizer_internal
