// JsonTokenConstraint: a JSON Schema (json_schema.h) applied to a model's
// tokens while sampling. Before each token, Mask sets the logits of every
// token that cannot continue a valid value to -infinity (end-of-generation
// tokens are allowed once the value is complete); Accept advances the
// matcher by the token chosen.
//
// Which tokens fit is found by walking a byte trie of the vocabulary with the
// matcher, so a branch is dropped at its first impossible byte. Inside a
// string, where nearly every token fits, the tokens free of quotes, backslashes
// and control bytes are taken wholesale (up to maxLength) and only the others
// are tried one by one.
//
// Lazy mode (tool_choice "auto"): the model writes freely until its first
// non-space text; if that begins with '{' the constraint takes over from
// there (a tool call), otherwise it stays off (a plain answer).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/grammar/json_schema.h"
#include "engine/sampling.h"
#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine {

// What the constraint needs to know of a vocabulary; built once per tokenizer.
class TokenVocabulary {
 public:
  explicit TokenVocabulary(const Tokenizer& tokenizer);
  int32_t size() const { return static_cast<int32_t>(bytes_.size()); }

 private:
  friend class JsonTokenConstraint;
  struct TrieNode {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node, sorted
    std::vector<int32_t> tokens;                        // tokens ending here
  };
  std::vector<std::string> bytes_;   // per token; empty for control tokens
  std::vector<int32_t> end_tokens_;  // end-of-generation tokens
  std::vector<TrieNode> trie_;       // node 0 is the root
  // Tokens with only plain string bytes, by code points (ascending).
  std::vector<std::pair<int32_t, int32_t>> plain_;  // (code points, token)
  std::vector<int32_t> special_;  // tokens with a quote, backslash or control byte
};

class JsonTokenConstraint : public TokenConstraint {
 public:
  JsonTokenConstraint(std::shared_ptr<const TokenVocabulary> vocab,
                      std::shared_ptr<const JsonGrammar> grammar, bool lazy = false);
  void Mask(std::span<float> logits) override;
  void Accept(int32_t token) override;
  bool Done() const override;
  // Lazy mode: whether the constraint took over (the output is a JSON value).
  bool active() const { return state_ == State::kActive; }
  // Lazy mode: whether it decided to stay off (the output is plain text).
  bool off() const { return state_ == State::kOff; }

 private:
  enum class State { kUndecided, kActive, kOff };
  void Walk(int32_t node, const JsonMatcher& m, std::vector<char>* allowed) const;

  std::shared_ptr<const TokenVocabulary> vocab_;
  JsonMatcher matcher_;
  State state_;
  std::string pending_;  // lazy mode: the text before the decision
  std::vector<char> allowed_;
};

}  // namespace kiln::engine
