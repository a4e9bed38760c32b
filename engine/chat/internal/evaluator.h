// Renders a parsed Program against a set of variables.
//
// One Evaluator per render: it owns the variable frames and the output buffer,
// and borrows the Program, which must outlive it. Loop iterations, evaluation
// steps, macro recursion and output size are capped (value.h), so a hostile
// template ends with ResourceExhausted rather than hanging or exhausting memory.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/chat/internal/ast.h"
#include "engine/chat/internal/builtins.h"

namespace kiln::engine::chat::internal {

// `variables` must be an object; its members become the template's globals.
Result<std::string> RenderProgram(const Program& program, const Value& variables);

class Evaluator {
 public:
  Evaluator(const Program& program, const Value& variables);
  Result<std::string> Run();

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Frame = std::unordered_map<std::string, Value>;

  // Statements (evaluator.cc).
  Status Exec(const NodeList& nodes, Flow* flow);
  Status ExecNode(const Node& node, Flow* flow);
  Status ExecFor(const Node& node, Flow* flow);
  Status ExecSet(const Node& node);
  Status Capture(const NodeList& body, std::string* out);
  Status Emit(std::string_view text);
  Status Step();

  // Expressions (evaluator_expr.cc).
  Status Eval(const Expr& e, Value* out);
  Status EvalArgs(const Expr& e, size_t first, Args* args);
  Status EvalBinary(const Expr& e, Value* out);
  Status EvalCall(const Expr& e, Value* out);
  Status EvalSlice(const Expr& e, Value* out);
  Status CallMacro(const Node& macro, const Args& args, Value* out);

  // Variables: frames_[0] holds the globals; loops and macro calls push frames.
  const Value* Find(const std::string& name) const;
  Value* FindMutable(const std::string& name);
  void Bind(const std::string& name, Value value) { frames_.back()[name] = std::move(value); }
  Status BindTargets(const std::vector<std::string>& targets, const Value& value);

  const Program& program_;
  std::vector<Frame> frames_;
  std::unordered_map<std::string, const Node*> macros_;
  std::string* out_ = nullptr;  // where Emit writes: the result, or a capture buffer
  size_t emitted_ = 0;          // bytes written to all buffers, for the output cap
  int64_t iterations_ = 0;
  int64_t steps_ = 0;
  int call_depth_ = 0;
};

}  // namespace kiln::engine::chat::internal
