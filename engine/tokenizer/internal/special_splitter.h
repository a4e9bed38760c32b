// SpecialSplitter: cuts text into plain-text fragments and special tokens
// (control, user-defined and unknown tokens written out in the text), the way
// llama.cpp's tokenizer_st_partition does: longer special texts win, each
// token's matches are taken left to right in what earlier passes left over.
//
// Built once per Tokenizer; immutable and thread-safe afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace kiln::engine::tokenizer_internal {

struct Fragment {
  int32_t token = -1;     // a special token, or -1 for plain text
  std::string_view text;  // the plain text (a view into the input)
};

class SpecialSplitter {
 public:
  explicit SpecialSplitter(const Vocab& vocab);

  // parse_special=false recognises user-defined tokens only.
  std::vector<Fragment> Split(std::string_view text, bool parse_special) const;

 private:
  struct Candidate {
    int32_t id;
    std::string text;
    bool control;  // control or unknown: only with parse_special
  };
  // Ranks (indices into candidates_) of the candidates that occur in `text`.
  std::vector<uint32_t> PresentRanks(std::string_view text, bool parse_special) const;

  std::vector<Candidate> candidates_;  // longest first, then by id
  // Byte trie over the candidates' texts: (node << 8 | byte) -> child node.
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::vector<int32_t> terminal_;  // per node: candidate rank ending here, or -1
};

}  // namespace kiln::engine::tokenizer_internal
