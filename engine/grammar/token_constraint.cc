#include "engine/grammar/token_constraint.h"

#include <algorithm>
#include <limits>

namespace kiln::engine {

TokenVocabulary::TokenVocabulary(const Tokenizer& tokenizer) {
  const int32_t n = tokenizer.n_vocab();
  bytes_.resize(static_cast<size_t>(n));
  trie_.emplace_back();
  for (int32_t id = 0; id < n; ++id) {
    if (tokenizer.IsEndOfGeneration(id)) end_tokens_.push_back(id);
    std::string b = tokenizer.TokenBytes(id, /*first=*/false, /*render_special=*/false);
    if (b.empty()) continue;
    int32_t node = 0;
    for (unsigned char c : b) {
      auto& ch = trie_[static_cast<size_t>(node)].children;
      auto it = std::lower_bound(ch.begin(), ch.end(), std::make_pair(c, int32_t{-1}));
      if (it != ch.end() && it->first == c) {
        node = it->second;
        continue;
      }
      const int32_t next = static_cast<int32_t>(trie_.size());
      ch.insert(it, {c, next});
      trie_.emplace_back();
      node = next;
    }
    trie_[static_cast<size_t>(node)].tokens.push_back(id);
    // Plain: string bytes only, whole UTF-8 characters (a token holding part
    // of one is checked byte by byte instead).
    int32_t code_points = 0;
    bool plain = true;
    int pending = 0;
    for (unsigned char c : b) {
      if (c == '"' || c == '\\' || c < 0x20) plain = false;
      if ((c & 0xC0) == 0x80) {
        if (pending-- <= 0) plain = false;
        continue;
      }
      if (pending > 0) plain = false;
      ++code_points;
      pending = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      if (c >= 0x80 && (c < 0xC2 || c > 0xF4)) plain = false;
    }
    if (pending != 0) plain = false;
    if (plain) {  // overlong or surrogate forms: leave those to the matcher
      for (size_t i = 0; i + 1 < b.size(); ++i) {
        const auto c0 = static_cast<unsigned char>(b[i]), c1 = static_cast<unsigned char>(b[i + 1]);
        if ((c0 == 0xE0 && c1 < 0xA0) || (c0 == 0xED && c1 > 0x9F) || (c0 == 0xF0 && c1 < 0x90) ||
            (c0 == 0xF4 && c1 > 0x8F)) {
          plain = false;
        }
      }
    }
    if (plain) {
      plain_.push_back({code_points, id});
    } else {
      special_.push_back(id);
    }
    bytes_[static_cast<size_t>(id)] = std::move(b);
  }
  std::sort(plain_.begin(), plain_.end());
}

JsonTokenConstraint::JsonTokenConstraint(std::shared_ptr<const TokenVocabulary> vocab,
                                         std::shared_ptr<const JsonGrammar> grammar, bool lazy)
    : vocab_(std::move(vocab)),
      matcher_(std::move(grammar)),
      state_(lazy ? State::kUndecided : State::kActive) {}

void JsonTokenConstraint::Walk(int32_t node, const JsonMatcher& m,
                               std::vector<char>* allowed) const {
  for (const auto& [byte, child] : vocab_->trie_[static_cast<size_t>(node)].children) {
    JsonMatcher next = m;
    if (!next.Feed(byte)) continue;
    for (int32_t t : vocab_->trie_[static_cast<size_t>(child)].tokens)
      (*allowed)[static_cast<size_t>(t)] = 1;
    Walk(child, next, allowed);
  }
}

void JsonTokenConstraint::Mask(std::span<float> logits) {
  if (state_ != State::kActive) return;
  const size_t n = std::min(logits.size(), static_cast<size_t>(vocab_->size()));
  allowed_.assign(logits.size(), 0);
  if (!matcher_.Done()) {
    int64_t room = 0;
    if (matcher_.InFreeString(&room)) {
      for (const auto& [code_points, t] : vocab_->plain_) {
        if (code_points > room) break;
        allowed_[static_cast<size_t>(t)] = 1;
      }
      for (int32_t t : vocab_->special_) {
        JsonMatcher m = matcher_;
        if (m.Feed(vocab_->bytes_[static_cast<size_t>(t)])) allowed_[static_cast<size_t>(t)] = 1;
      }
    } else {
      Walk(0, matcher_, &allowed_);
    }
  }
  bool any = false;
  for (size_t i = 0; i < n; ++i) any |= allowed_[i] != 0;
  if (matcher_.CanEnd() || !any) {
    for (int32_t t : vocab_->end_tokens_) {
      if (static_cast<size_t>(t) < allowed_.size()) allowed_[static_cast<size_t>(t)] = 1;
    }
  }
  constexpr float kNever = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!allowed_[i]) logits[i] = kNever;
  }
}

void JsonTokenConstraint::Accept(int32_t token) {
  if (token < 0 || token >= vocab_->size()) return;
  const std::string& b = vocab_->bytes_[static_cast<size_t>(token)];
  switch (state_) {
    case State::kOff:
      return;
    case State::kActive:
      matcher_.Feed(b);  // masked: always fits
      return;
    case State::kUndecided: {
      pending_ += b;
      const size_t start = pending_.find_first_not_of(" \t\r\n");
      if (start == std::string::npos) return;
      if (pending_[start] != '{' || !matcher_.Feed(std::string_view(pending_).substr(start))) {
        state_ = State::kOff;
        return;
      }
      state_ = State::kActive;
      return;
    }
  }
}

bool JsonTokenConstraint::Done() const { return state_ == State::kActive && matcher_.Done(); }

}  // namespace kiln::engine
