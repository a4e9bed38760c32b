// Syntax tree of a parsed chat template. Built once by the parser, then
// immutable: rendering only reads it, so one tree may be rendered from many
// threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace kiln::engine::chat::internal {

// Template values are JSON values with Python semantics; insertion order of
// object keys is kept (ordered_json) because `tojson` output depends on it.
// A `discarded` value stands for Jinja's Undefined.
using Value = nlohmann::ordered_json;

enum class ExprKind {
  kLiteral,    // literal
  kName,       // name
  kList,       // children: items
  kTuple,      // children: items
  kDict,       // children: key0, value0, key1, value1, ...
  kAttr,       // children[0].name
  kSubscript,  // children[0][children[1]]
  kSlice,      // children[0][children[1]:children[2]:children[3]], null parts allowed
  kCall,       // children[0](children[1..], kwargs)
  kFilter,     // children[0] | name(children[1..], kwargs)
  kTest,       // children[0] is [not] name(children[1..])
  kUnary,      // name: "-", "+", "not"
  kBinary,     // name: operator, children[0] op children[1]; includes "and", "or", "in"
  kTernary,    // children[1] if children[0] else children[2] (children[2] may be null)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  int line = 0;
  std::string name;
  Value literal;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;  // `is not`, `not in`
};

enum class NodeKind {
  kText,      // text
  kOutput,    // {{ expr }}
  kIf,        // branches
  kFor,       // {% for targets in expr [if filter] %} body {% else %} else_body
  kSet,       // {% set targets = expr %} or {% set targets[0].attr = expr %}
  kSetBlock,  // {% set targets[0] %} body {% endset %}
  kMacro,     // {% macro name(params) %} body
  kBreak,
  kContinue,
  kGroup,  // body only ({% generation %} ... {% endgeneration %})
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct Node {
  NodeKind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr filter;
  std::vector<std::string> targets;
  std::string attr;
  std::vector<std::pair<ExprPtr, NodeList>> branches;  // condition (null for else), body
  NodeList body;
  NodeList else_body;
  std::vector<std::pair<std::string, ExprPtr>> params;  // macro parameters and defaults
};

struct Program {
  NodeList body;
};

}  // namespace kiln::engine::chat::internal
