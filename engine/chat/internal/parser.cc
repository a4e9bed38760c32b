#include "engine/chat/internal/parser.h"

#include <algorithm>

#include "engine/chat/internal/builtins.h"

namespace kiln::engine::chat::internal {
namespace {

NodePtr MakeNode(NodeKind kind, int line) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->line = line;
  return node;
}

}  // namespace

// ---- token helpers ----

const Token& Parser::Peek(size_t ahead) const {
  size_t i = std::min(pos_ + ahead, tokens_.size() - 1);  // the last token is kEof
  return tokens_[i];
}

Token Parser::Next() {
  Token t = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool Parser::IsOp(std::string_view op, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kOp && t.text == op;
}

bool Parser::IsName(std::string_view name, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kName && t.text == name;
}

bool Parser::SkipOp(std::string_view op) {
  if (!IsOp(op)) return false;
  Next();
  return true;
}

bool Parser::SkipName(std::string_view name) {
  if (!IsName(name)) return false;
  Next();
  return true;
}

Status Parser::ExpectOp(std::string_view op) {
  if (SkipOp(op)) return Status::OK();
  return Error("expected '" + std::string(op) + "'");
}

Status Parser::Error(std::string_view what) const {
  const Token& t = Peek();
  std::string found = t.kind == TokenKind::kEof        ? "end of template"
                      : t.kind == TokenKind::kBlockEnd ? "'%}'"
                      : t.kind == TokenKind::kVarEnd   ? "'}}'"
                                                       : "'" + t.text.substr(0, 40) + "'";
  return InvalidArgument("chat template line " + std::to_string(t.line) + ": " + std::string(what) +
                         ", found " + found);
}

Status Parser::Enter() {
  if (++depth_ > kMaxNestingDepth) {
    return InvalidArgument("chat template line " + std::to_string(Peek().line) +
                           ": nesting deeper than " + std::to_string(kMaxNestingDepth));
  }
  return Status::OK();
}

Status Parser::ExpectBlockEnd() {
  if (Peek().kind == TokenKind::kBlockEnd) {
    Next();
    return Status::OK();
  }
  return Error("expected '%}'");
}

// ---- statements ----

Status Parser::ParseBody(std::initializer_list<std::string_view> terminators, NodeList* out,
                         std::string* hit) {
  KILN_RETURN_IF_ERROR(Enter());
  while (true) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kEof) {
      if (terminators.size() == 0) break;
      return Error("unexpected end of template, expected '{% " + std::string(*terminators.begin()) +
                   " %}'");
    }
    Token tok = Next();
    if (tok.kind == TokenKind::kText) {
      auto node = MakeNode(NodeKind::kText, tok.line);
      node->text = std::move(tok.text);
      out->push_back(std::move(node));
    } else if (tok.kind == TokenKind::kVarBegin) {
      auto node = MakeNode(NodeKind::kOutput, tok.line);
      KILN_ASSIGN_OR_RETURN(node->expr, ParseTuple(true));
      if (Peek().kind != TokenKind::kVarEnd) return Error("expected '}}'");
      Next();
      out->push_back(std::move(node));
    } else if (tok.kind == TokenKind::kBlockBegin) {
      if (Peek().kind != TokenKind::kName) return Error("expected a tag name");
      Token keyword = Next();
      if (std::find(terminators.begin(), terminators.end(), keyword.text) != terminators.end()) {
        *hit = keyword.text;
        Leave();
        return Status::OK();
      }
      KILN_RETURN_IF_ERROR(ParseStatement(keyword.text, keyword.line, out));
    } else {
      return InvalidArgument("chat template line " + std::to_string(tok.line) + ": unexpected '" +
                             tok.text + "'");
    }
  }
  Leave();
  return Status::OK();
}

Status Parser::ParseStatement(const std::string& keyword, int line, NodeList* out) {
  if (keyword == "if") return ParseIf(line, out);
  if (keyword == "for") return ParseFor(line, out);
  if (keyword == "set") return ParseSet(line, out);
  if (keyword == "macro") return ParseMacro(line, out);
  if (keyword == "break" || keyword == "continue") {
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    out->push_back(MakeNode(keyword == "break" ? NodeKind::kBreak : NodeKind::kContinue, line));
    return Status::OK();
  }
  if (keyword == "generation") {  // Hugging Face's assistant-mask marker: renders its body
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    auto node = MakeNode(NodeKind::kGroup, line);
    std::string hit;
    KILN_RETURN_IF_ERROR(ParseBody({"endgeneration"}, &node->body, &hit));
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    out->push_back(std::move(node));
    return Status::OK();
  }
  return InvalidArgument("chat template line " + std::to_string(line) + ": unsupported tag '" +
                         keyword + "'");
}

Status Parser::ParseIf(int line, NodeList* out) {
  auto node = MakeNode(NodeKind::kIf, line);
  std::string hit = "if";
  while (true) {
    ExprPtr cond;
    if (hit != "else") {
      KILN_ASSIGN_OR_RETURN(cond, ParseTuple(true));
    }
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    NodeList body;
    bool was_else = hit == "else";
    if (was_else) {
      KILN_RETURN_IF_ERROR(ParseBody({"endif"}, &body, &hit));
    } else {
      KILN_RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, &body, &hit));
    }
    node->branches.emplace_back(std::move(cond), std::move(body));
    if (hit == "endif") break;
  }
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  out->push_back(std::move(node));
  return Status::OK();
}

Status Parser::ParseTargets(std::vector<std::string>* targets) {
  bool paren = SkipOp("(");
  do {
    if (Peek().kind != TokenKind::kName) return Error("expected a variable name");
    targets->push_back(Next().text);
  } while (SkipOp(","));
  if (paren) KILN_RETURN_IF_ERROR(ExpectOp(")"));
  return Status::OK();
}

Status Parser::ParseFor(int line, NodeList* out) {
  auto node = MakeNode(NodeKind::kFor, line);
  KILN_RETURN_IF_ERROR(ParseTargets(&node->targets));
  if (!SkipName("in")) return Error("expected 'in'");
  KILN_ASSIGN_OR_RETURN(node->expr, ParseTuple(/*with_condexpr=*/false));
  if (SkipName("if")) {
    KILN_ASSIGN_OR_RETURN(node->filter, ParseExpression());
  }
  if (IsName("recursive")) return Error("recursive loops are not supported");
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string hit;
  KILN_RETURN_IF_ERROR(ParseBody({"endfor", "else"}, &node->body, &hit));
  if (hit == "else") {
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    KILN_RETURN_IF_ERROR(ParseBody({"endfor"}, &node->else_body, &hit));
  }
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  out->push_back(std::move(node));
  return Status::OK();
}

Status Parser::ParseSet(int line, NodeList* out) {
  auto node = MakeNode(NodeKind::kSet, line);
  KILN_RETURN_IF_ERROR(ParseTargets(&node->targets));
  if (node->targets.size() == 1 && SkipOp(".")) {
    if (Peek().kind != TokenKind::kName) return Error("expected an attribute name");
    node->attr = Next().text;
  }
  if (SkipOp("=")) {
    KILN_ASSIGN_OR_RETURN(node->expr, ParseTuple(true));
    KILN_RETURN_IF_ERROR(ExpectBlockEnd());
    out->push_back(std::move(node));
    return Status::OK();
  }
  if (node->targets.size() != 1 || !node->attr.empty()) return Error("expected '='");
  node->kind = NodeKind::kSetBlock;
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string hit;
  KILN_RETURN_IF_ERROR(ParseBody({"endset"}, &node->body, &hit));
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  out->push_back(std::move(node));
  return Status::OK();
}

Status Parser::ParseMacro(int line, NodeList* out) {
  auto node = MakeNode(NodeKind::kMacro, line);
  if (Peek().kind != TokenKind::kName) return Error("expected a macro name");
  node->targets.push_back(Next().text);
  KILN_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    if (Peek().kind != TokenKind::kName) return Error("expected a parameter name");
    std::string name = Next().text;
    ExprPtr def;
    if (SkipOp("=")) {
      KILN_ASSIGN_OR_RETURN(def, ParseExpression());
    }
    node->params.emplace_back(std::move(name), std::move(def));
    if (!SkipOp(",")) break;
  }
  KILN_RETURN_IF_ERROR(ExpectOp(")"));
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  std::string hit;
  KILN_RETURN_IF_ERROR(ParseBody({"endmacro"}, &node->body, &hit));
  KILN_RETURN_IF_ERROR(ExpectBlockEnd());
  out->push_back(std::move(node));
  return Status::OK();
}

Result<std::shared_ptr<const Program>> ParseProgram(std::string_view source) {
  if (source.size() > kMaxSourceBytes) return InvalidArgument("chat template is too large");
  KILN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source));
  Parser parser(std::move(tokens));
  auto program = std::make_shared<Program>();
  std::string hit;
  KILN_RETURN_IF_ERROR(parser.ParseBody({}, &program->body, &hit));
  return std::shared_ptr<const Program>(std::move(program));
}

}  // namespace kiln::engine::chat::internal
