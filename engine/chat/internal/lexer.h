// Lexer for the Jinja2 subset used by chat templates.
//
// Splits template source into text and tag tokens, applying Jinja's whitespace
// rules as Hugging Face configures them (trim_blocks=True, lstrip_blocks=True,
// keep_trailing_newline=False) plus the `-`/`+` modifiers on tags. Inside tags
// it produces expression tokens. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::engine::chat::internal {

enum class TokenKind {
  kText,        // literal template text (already whitespace-processed)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword
  kString,      // string literal, value unescaped
  kInt,
  kFloat,
  kOp,  // operator or punctuation: + - * / // % ** ~ == != < <= > >= = . : | , ( ) [ ] { }
  kEof,
};

struct Token {
  TokenKind kind;
  std::string text;  // name, op, unescaped string, number digits, or text
  int line = 1;
};

// Returns InvalidArgument for unterminated tags, comments or strings and for
// characters that cannot start a token.
Result<std::vector<Token>> Tokenize(std::string_view source);

}  // namespace kiln::engine::chat::internal
