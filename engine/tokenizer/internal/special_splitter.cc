#include "engine/tokenizer/internal/special_splitter.h"

#include <algorithm>
#include <utility>

namespace kiln::engine::tokenizer_internal {
namespace {

bool IsSpecialType(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

}  // namespace

SpecialSplitter::SpecialSplitter(const Vocab& vocab) {
  if (vocab.types.empty()) return;
  std::vector<int32_t> ids;
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    if (IsSpecialType(vocab.types[i]) && !vocab.tokens[i].empty()) ids.push_back(int32_t(i));
  }
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return vocab.tokens[a].size() > vocab.tokens[b].size();
  });
  terminal_.push_back(-1);  // the root
  for (int32_t id : ids) {
    const std::string& text = vocab.tokens[id];
    const TokenType type = vocab.types[id];
    const auto rank = static_cast<int32_t>(candidates_.size());
    candidates_.push_back({id, text, type != TokenType::kUserDefined});
    uint32_t node = 0;
    for (unsigned char c : text) {
      auto [it, inserted] = edges_.try_emplace(uint64_t{node} << 8 | c, uint32_t(terminal_.size()));
      if (inserted) terminal_.push_back(-1);
      node = it->second;
    }
    // Two tokens with one text: the first in llama.cpp's order takes every match.
    if (terminal_[node] < 0) terminal_[node] = rank;
  }
}

std::vector<uint32_t> SpecialSplitter::PresentRanks(std::string_view text,
                                                    bool parse_special) const {
  // One walk of the trie from every position; memory stays O(candidates) even
  // for a megabyte of newlines, where every position matches 31 tokens.
  std::vector<bool> seen(candidates_.size(), false);
  for (size_t begin = 0; begin < text.size(); ++begin) {
    uint32_t node = 0;
    for (size_t i = begin; i < text.size(); ++i) {
      auto it = edges_.find(uint64_t{node} << 8 | static_cast<unsigned char>(text[i]));
      if (it == edges_.end()) break;
      node = it->second;
      const int32_t rank = terminal_[node];
      if (rank >= 0 && (parse_special || !candidates_[rank].control)) seen[rank] = true;
    }
  }
  std::vector<uint32_t> ranks;
  for (uint32_t r = 0; r < seen.size(); ++r) {
    if (seen[r]) ranks.push_back(r);
  }
  return ranks;
}

std::vector<Fragment> SpecialSplitter::Split(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments = {{-1, text}};
  if (text.empty()) return {};
  if (edges_.empty()) return fragments;
  // As llama.cpp: candidates longest first; each one cuts every plain-text
  // fragment left so far at its matches, left to right.
  for (uint32_t rank : PresentRanks(text, parse_special)) {
    const Candidate& c = candidates_[rank];
    const std::string_view needle = c.text;
    std::vector<Fragment> next;
    next.reserve(fragments.size());
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t pos = 0;
      for (size_t hit; (hit = f.text.find(needle, pos)) != std::string_view::npos;) {
        if (hit > pos) next.push_back({-1, f.text.substr(pos, hit - pos)});
        next.push_back({c.id, {}});
        pos = hit + needle.size();
      }
      if (pos < f.text.size()) next.push_back({-1, f.text.substr(pos)});
    }
    fragments = std::move(next);
  }
  return fragments;
}

}  // namespace kiln::engine::tokenizer_internal
