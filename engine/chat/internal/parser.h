// Recursive-descent parser for the Jinja2 subset: tokens -> Program.
//
// Everything outside the subset (unknown tags, filters or tests, `extends`,
// `include`, call blocks, ...) is rejected here with InvalidArgument, so a
// template that parses can only fail at render time on its data. Nesting is
// capped so that hostile input cannot exhaust the stack.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/chat/internal/ast.h"
#include "engine/chat/internal/lexer.h"

namespace kiln::engine::chat::internal {

inline constexpr int kMaxNestingDepth = 64;
inline constexpr size_t kMaxSourceBytes = 1 << 20;

Result<std::shared_ptr<const Program>> ParseProgram(std::string_view source);

// Implementation detail of ParseProgram, split over parser.cc (statements) and
// parser_expr.cc (expressions).
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Status ParseBody(std::initializer_list<std::string_view> terminators, NodeList* out,
                   std::string* hit);

 private:
  // Statements (parser.cc).
  Status ParseStatement(const std::string& keyword, int line, NodeList* out);
  Status ParseIf(int line, NodeList* out);
  Status ParseFor(int line, NodeList* out);
  Status ParseSet(int line, NodeList* out);
  Status ParseMacro(int line, NodeList* out);
  Status ParseTargets(std::vector<std::string>* targets);
  Status ExpectBlockEnd();

  // Expressions (parser_expr.cc), loosest binding first.
  Result<ExprPtr> ParseTuple(bool with_condexpr);
  Result<ExprPtr> ParseExpression(bool with_condexpr = true);
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseCompare();
  Result<ExprPtr> ParseMath1();
  Result<ExprPtr> ParseConcat();
  Result<ExprPtr> ParseMath2();
  Result<ExprPtr> ParsePow();
  Result<ExprPtr> ParseUnary(bool with_filter);
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParsePostfix(ExprPtr node);
  Result<ExprPtr> ParseFilterExpr(ExprPtr node);
  Result<ExprPtr> ParseSubscript(ExprPtr node);
  Status ParseArgs(Expr* call);
  Result<ExprPtr> ParseCollection(const std::string& open);

  // Token helpers.
  const Token& Peek(size_t ahead = 0) const;
  Token Next();
  bool IsOp(std::string_view op, size_t ahead = 0) const;
  bool IsName(std::string_view name, size_t ahead = 0) const;
  bool SkipOp(std::string_view op);
  bool SkipName(std::string_view name);
  Status ExpectOp(std::string_view op);
  Status Error(std::string_view what) const;
  Status Enter();
  void Leave() { --depth_; }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace kiln::engine::chat::internal
