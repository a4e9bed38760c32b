// Expression half of the parser; precedence follows jinja2/parser.py.
#include <cerrno>
#include <cstdlib>

#include "engine/chat/internal/builtins.h"
#include "engine/chat/internal/parser.h"

namespace kiln::engine::chat::internal {
namespace {

ExprPtr MakeExpr(ExprKind kind, int line, std::string name = {}) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  e->name = std::move(name);
  return e;
}

ExprPtr MakeBinary(std::string op, ExprPtr lhs, ExprPtr rhs) {
  ExprPtr e = MakeExpr(ExprKind::kBinary, lhs->line, std::move(op));
  e->children.push_back(std::move(lhs));
  e->children.push_back(std::move(rhs));
  return e;
}

}  // namespace

// A comma-separated list at statement level becomes a tuple: `{% set a, b = 1, 2 %}`.
Result<ExprPtr> Parser::ParseTuple(bool with_condexpr) {
  KILN_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(with_condexpr));
  if (!IsOp(",")) return first;
  ExprPtr tuple = MakeExpr(ExprKind::kTuple, first->line);
  tuple->children.push_back(std::move(first));
  while (SkipOp(",")) {
    if (Peek().kind == TokenKind::kBlockEnd || Peek().kind == TokenKind::kVarEnd) break;
    KILN_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(with_condexpr));
    tuple->children.push_back(std::move(item));
  }
  return tuple;
}

Result<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  KILN_RETURN_IF_ERROR(Enter());
  KILN_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
  while (with_condexpr && SkipName("if")) {
    ExprPtr tern = MakeExpr(ExprKind::kTernary, expr->line);
    KILN_ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
    ExprPtr other;
    if (SkipName("else")) {
      KILN_ASSIGN_OR_RETURN(other, ParseExpression());
    }
    tern->children.push_back(std::move(cond));
    tern->children.push_back(std::move(expr));
    tern->children.push_back(std::move(other));
    expr = std::move(tern);
  }
  Leave();
  return expr;
}

Result<ExprPtr> Parser::ParseOr() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseAnd());
  while (SkipName("or")) {
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseAnd());
    lhs = MakeBinary("or", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParseAnd() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseNot());
  while (SkipName("and")) {
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseNot());
    lhs = MakeBinary("and", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    int line = Next().line;
    KILN_RETURN_IF_ERROR(Enter());
    KILN_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    Leave();
    ExprPtr e = MakeExpr(ExprKind::kUnary, line, "not");
    e->children.push_back(std::move(operand));
    return e;
  }
  return ParseCompare();
}

Result<ExprPtr> Parser::ParseCompare() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseMath1());
  while (true) {
    std::string op;
    bool negated = false;
    const Token& t = Peek();
    if (t.kind == TokenKind::kOp && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                     t.text == ">" || t.text == "<=" || t.text == ">=")) {
      op = Next().text;
    } else if (IsName("in")) {
      Next();
      op = "in";
    } else if (IsName("not") && IsName("in", 1)) {
      Next();
      Next();
      op = "in";
      negated = true;
    } else {
      return lhs;
    }
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath1());
    lhs = MakeBinary(op, std::move(lhs), std::move(rhs));
    lhs->negated = negated;
  }
}

Result<ExprPtr> Parser::ParseMath1() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    std::string op = Next().text;
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseConcat());
    lhs = MakeBinary(op, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParseConcat() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseMath2());
  while (SkipOp("~")) {
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath2());
    lhs = MakeBinary("~", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParseMath2() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    std::string op = Next().text;
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParsePow());
    lhs = MakeBinary(op, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParsePow() {
  KILN_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary(true));
  while (SkipOp("**")) {
    KILN_ASSIGN_OR_RETURN(ExprPtr rhs, ParseUnary(true));
    lhs = MakeBinary("**", std::move(lhs), std::move(rhs));
  }
  return lhs;
}

Result<ExprPtr> Parser::ParseUnary(bool with_filter) {
  KILN_RETURN_IF_ERROR(Enter());
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    Token op = Next();
    KILN_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    node = MakeExpr(ExprKind::kUnary, op.line, op.text);
    node->children.push_back(std::move(operand));
  } else {
    KILN_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  KILN_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    KILN_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  Leave();
  return node;
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Peek();
  int line = t.line;
  if (t.kind == TokenKind::kName) {
    std::string name = Next().text;
    ExprPtr e = MakeExpr(ExprKind::kLiteral, line);
    if (name == "true" || name == "True") {
      e->literal = true;
    } else if (name == "false" || name == "False") {
      e->literal = false;
    } else if (name == "none" || name == "None") {
      e->literal = nullptr;
    } else {
      e->kind = ExprKind::kName;
      e->name = std::move(name);
    }
    return e;
  }
  if (t.kind == TokenKind::kString) {
    std::string s;
    while (Peek().kind == TokenKind::kString) s += Next().text;  // adjacent literals join
    ExprPtr e = MakeExpr(ExprKind::kLiteral, line);
    e->literal = std::move(s);
    return e;
  }
  if (t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat) {
    Token num = Next();
    ExprPtr e = MakeExpr(ExprKind::kLiteral, line);
    if (num.kind == TokenKind::kFloat) {
      e->literal = std::strtod(num.text.c_str(), nullptr);
    } else {
      errno = 0;
      long long v = std::strtoll(num.text.c_str(), nullptr, 10);
      if (errno == ERANGE) return Error("integer literal out of range");
      e->literal = static_cast<int64_t>(v);
    }
    return e;
  }
  if (IsOp("(") || IsOp("[") || IsOp("{")) return ParseCollection(Next().text);
  return Error("expected an expression");
}

// After the opening bracket: `(expr)`, tuples, lists and dicts.
Result<ExprPtr> Parser::ParseCollection(const std::string& open) {
  KILN_RETURN_IF_ERROR(Enter());
  int line = Peek().line;
  std::string close = open == "(" ? ")" : open == "[" ? "]" : "}";
  ExprKind kind = open == "(" ? ExprKind::kTuple : open == "[" ? ExprKind::kList : ExprKind::kDict;
  ExprPtr coll = MakeExpr(kind, line);
  bool saw_comma = false;
  while (!IsOp(close)) {
    KILN_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
    coll->children.push_back(std::move(item));
    if (kind == ExprKind::kDict) {
      KILN_RETURN_IF_ERROR(ExpectOp(":"));
      KILN_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
      coll->children.push_back(std::move(value));
    }
    if (!SkipOp(",")) break;
    saw_comma = true;
  }
  KILN_RETURN_IF_ERROR(ExpectOp(close));
  Leave();
  if (kind == ExprKind::kTuple && coll->children.size() == 1 && !saw_comma) {
    return std::move(coll->children[0]);  // parenthesised expression
  }
  return coll;
}

Result<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (SkipOp(".")) {
      const Token& t = Peek();
      if (t.kind == TokenKind::kName) {
        ExprPtr attr = MakeExpr(ExprKind::kAttr, t.line, Next().text);
        attr->children.push_back(std::move(node));
        node = std::move(attr);
      } else if (t.kind == TokenKind::kInt) {
        ExprPtr sub = MakeExpr(ExprKind::kSubscript, t.line);
        ExprPtr index = MakeExpr(ExprKind::kLiteral, t.line);
        index->literal = static_cast<int64_t>(std::strtoll(Next().text.c_str(), nullptr, 10));
        sub->children.push_back(std::move(node));
        sub->children.push_back(std::move(index));
        node = std::move(sub);
      } else {
        return Error("expected an attribute name");
      }
    } else if (SkipOp("[")) {
      KILN_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      Next();
      ExprPtr call = MakeExpr(ExprKind::kCall, node->line);
      call->children.push_back(std::move(node));
      KILN_RETURN_IF_ERROR(ParseArgs(call.get()));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

// After `[`: an index or a slice `start:stop:step`.
Result<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  ExprPtr parts[3];
  int colons = 0;
  while (true) {
    if (IsOp(":")) {
      if (++colons > 2) return Error("too many ':' in slice");
      Next();
      continue;
    }
    if (IsOp("]")) break;
    if (parts[colons]) return Error("expected ']'");
    KILN_ASSIGN_OR_RETURN(parts[colons], ParseExpression());
  }
  Next();  // ]
  ExprPtr e = MakeExpr(colons == 0 ? ExprKind::kSubscript : ExprKind::kSlice, node->line);
  e->children.push_back(std::move(node));
  if (colons == 0) {
    if (!parts[0]) return Error("expected an index");
    e->children.push_back(std::move(parts[0]));
  } else {
    for (ExprPtr& p : parts) e->children.push_back(std::move(p));
  }
  return e;
}

// After `(`: positional and keyword arguments up to `)`.
Status Parser::ParseArgs(Expr* call) {
  KILN_RETURN_IF_ERROR(Enter());
  while (!IsOp(")")) {
    if (Peek().kind == TokenKind::kName && IsOp("=", 1)) {
      std::string key = Next().text;
      Next();
      KILN_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
      call->kwargs.emplace_back(std::move(key), std::move(value));
    } else {
      if (!call->kwargs.empty()) return Error("positional argument after keyword argument");
      KILN_ASSIGN_OR_RETURN(ExprPtr arg, ParseExpression());
      call->children.push_back(std::move(arg));
    }
    if (!SkipOp(",")) break;
  }
  KILN_RETURN_IF_ERROR(ExpectOp(")"));
  Leave();
  return Status::OK();
}

Result<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      Next();
      if (Peek().kind != TokenKind::kName) return Error("expected a filter name");
      Token name = Next();
      if (!IsKnownFilter(name.text)) return Error("unknown filter '" + name.text + "'");
      ExprPtr f = MakeExpr(ExprKind::kFilter, name.line, name.text);
      f->children.push_back(std::move(node));
      if (SkipOp("(")) KILN_RETURN_IF_ERROR(ParseArgs(f.get()));
      node = std::move(f);
    } else if (IsName("is")) {
      Next();
      bool negated = SkipName("not");
      if (Peek().kind != TokenKind::kName) return Error("expected a test name");
      Token name = Next();
      if (!IsKnownTest(name.text)) return Error("unknown test '" + name.text + "'");
      ExprPtr test = MakeExpr(ExprKind::kTest, name.line, name.text);
      test->negated = negated;
      test->children.push_back(std::move(node));
      const Token& t = Peek();
      if (SkipOp("(")) {
        KILN_RETURN_IF_ERROR(ParseArgs(test.get()));
      } else if ((t.kind == TokenKind::kString || t.kind == TokenKind::kInt ||
                  t.kind == TokenKind::kFloat || IsOp("[") || IsOp("{") ||
                  t.kind == TokenKind::kName) &&
                 !IsName("else") && !IsName("or") && !IsName("and") && !IsName("if") &&
                 !IsName("is") && !IsName("in") && !IsName("not")) {
        KILN_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
        KILN_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
        test->children.push_back(std::move(arg));
      }
      node = std::move(test);
    } else {
      return node;
    }
  }
}

}  // namespace kiln::engine::chat::internal
