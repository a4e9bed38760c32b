// Statement half of the evaluator.
#include "engine/chat/internal/evaluator.h"

#include "engine/chat/internal/value.h"

namespace kiln::engine::chat::internal {

Result<std::string> RenderProgram(const Program& program, const Value& variables) {
  return Evaluator(program, variables).Run();
}

Evaluator::Evaluator(const Program& program, const Value& variables) : program_(program) {
  frames_.emplace_back();
  if (variables.is_object()) {
    for (const auto& [key, value] : variables.items()) frames_[0][key] = value;
  }
  frames_.emplace_back();  // template-level `set`s land here, above the globals
}

Result<std::string> Evaluator::Run() {
  std::string result;
  out_ = &result;
  Flow flow = Flow::kNormal;
  KILN_RETURN_IF_ERROR(Exec(program_.body, &flow));
  return result;
}

Status Evaluator::Step() {
  if (++steps_ > kMaxSteps) return ResourceExhausted("chat template: too many evaluation steps");
  return Status::OK();
}

Status Evaluator::Emit(std::string_view text) {
  emitted_ += text.size();
  if (emitted_ > kMaxOutputBytes) return ResourceExhausted("chat template: output too large");
  out_->append(text);
  return Status::OK();
}

Status Evaluator::Capture(const NodeList& body, std::string* out) {
  std::string* saved = out_;
  out_ = out;
  Flow flow = Flow::kNormal;
  Status status = Exec(body, &flow);
  out_ = saved;
  return status;
}

const Value* Evaluator::Find(const std::string& name) const {
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end()) return &found->second;
  }
  return nullptr;
}

Value* Evaluator::FindMutable(const std::string& name) {
  return const_cast<Value*>(static_cast<const Evaluator*>(this)->Find(name));
}

Status Evaluator::BindTargets(const std::vector<std::string>& targets, const Value& value) {
  if (targets.size() == 1) {
    Bind(targets[0], value);
    return Status::OK();
  }
  if (!value.is_array() || value.size() != targets.size()) {
    return TypeError("cannot unpack " + TypeName(value) + " into " +
                     std::to_string(targets.size()) + " names");
  }
  for (size_t i = 0; i < targets.size(); ++i) Bind(targets[i], value[i]);
  return Status::OK();
}

Status Evaluator::Exec(const NodeList& nodes, Flow* flow) {
  for (const NodePtr& node : nodes) {
    KILN_RETURN_IF_ERROR(ExecNode(*node, flow));
    if (*flow != Flow::kNormal) break;
  }
  return Status::OK();
}

Status Evaluator::ExecNode(const Node& node, Flow* flow) {
  KILN_RETURN_IF_ERROR(Step());
  switch (node.kind) {
    case NodeKind::kText:
      return Emit(node.text);
    case NodeKind::kOutput: {
      Value v;
      KILN_RETURN_IF_ERROR(Eval(*node.expr, &v));
      return Emit(v.is_string() ? v.get_ref<const std::string&>() : ToStr(v));
    }
    case NodeKind::kIf:
      for (const auto& [cond, body] : node.branches) {
        bool take = true;
        if (cond) {
          Value v;
          KILN_RETURN_IF_ERROR(Eval(*cond, &v));
          take = Truthy(v);
        }
        if (take) return Exec(body, flow);
      }
      return Status::OK();
    case NodeKind::kFor:
      return ExecFor(node, flow);
    case NodeKind::kSet:
    case NodeKind::kSetBlock:
      return ExecSet(node);
    case NodeKind::kMacro:
      macros_[node.targets[0]] = &node;
      return Status::OK();
    case NodeKind::kBreak:
      *flow = Flow::kBreak;
      return Status::OK();
    case NodeKind::kContinue:
      *flow = Flow::kContinue;
      return Status::OK();
    case NodeKind::kGroup:
      return Exec(node.body, flow);
  }
  return Internal("chat template: unknown node");
}

Status Evaluator::ExecSet(const Node& node) {
  Value value;
  if (node.kind == NodeKind::kSetBlock) {
    std::string captured;
    KILN_RETURN_IF_ERROR(Capture(node.body, &captured));
    value = std::move(captured);
  } else {
    KILN_RETURN_IF_ERROR(Eval(*node.expr, &value));
  }
  if (node.attr.empty()) return BindTargets(node.targets, value);
  Value* target = FindMutable(node.targets[0]);
  if (target == nullptr || !target->is_object()) {
    return TypeError("cannot set attribute '" + node.attr + "' of '" + node.targets[0] +
                     "': not a namespace");
  }
  (*target)[node.attr] = std::move(value);
  return Status::OK();
}

Status Evaluator::ExecFor(const Node& node, Flow* flow) {
  Value iterable;
  KILN_RETURN_IF_ERROR(Eval(*node.expr, &iterable));
  Value items = Value::array();
  if (iterable.is_array()) {
    items = iterable;
  } else if (iterable.is_object() || iterable.is_string()) {
    KILN_RETURN_IF_ERROR(ApplyFilter("list", iterable, Args{}, &items));
  } else if (!IsUndefined(iterable)) {
    return TypeError("'" + TypeName(iterable) + "' object is not iterable");
  }
  if (node.filter) {  // `for x in xs if cond` filters before `loop` is computed
    Value kept = Value::array();
    for (const Value& item : items) {
      if (++iterations_ > kMaxLoopIterations)
        return ResourceExhausted("chat template: loop too long");
      frames_.emplace_back();
      Status s = BindTargets(node.targets, item);
      Value pass;
      if (s.ok()) s = Eval(*node.filter, &pass);
      frames_.pop_back();
      KILN_RETURN_IF_ERROR(s);
      if (Truthy(pass)) kept.push_back(item);
    }
    items = std::move(kept);
  }
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; ++i) {
    if (++iterations_ > kMaxLoopIterations)
      return ResourceExhausted("chat template: loop too long");
    Value loop = {
        {"index", i + 1},  {"index0", i},        {"revindex", n - i}, {"revindex0", n - i - 1},
        {"first", i == 0}, {"last", i == n - 1}, {"length", n},       {"depth", 1},
        {"depth0", 0}};
    if (i > 0) loop["previtem"] = items[static_cast<size_t>(i - 1)];
    if (i + 1 < n) loop["nextitem"] = items[static_cast<size_t>(i + 1)];
    frames_.emplace_back();
    Bind("loop", std::move(loop));
    Status s = BindTargets(node.targets, items[static_cast<size_t>(i)]);
    Flow body_flow = Flow::kNormal;
    if (s.ok()) s = Exec(node.body, &body_flow);
    frames_.pop_back();
    KILN_RETURN_IF_ERROR(s);
    if (body_flow == Flow::kBreak) break;
  }
  if (n == 0) return Exec(node.else_body, flow);
  return Status::OK();
}

}  // namespace kiln::engine::chat::internal
