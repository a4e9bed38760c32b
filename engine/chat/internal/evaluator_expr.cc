// Expression half of the evaluator: Python operator semantics over Values.
#include <cmath>

#include "engine/chat/internal/evaluator.h"
#include "engine/chat/internal/value.h"

namespace kiln::engine::chat::internal {
namespace {

Status UndefinedError(const Expr& e) {
  std::string what = e.kind == ExprKind::kName ? "'" + e.name + "' is undefined"
                                               : "attribute of an undefined value";
  return InvalidArgument("chat template line " + std::to_string(e.line) + ": " + what);
}

// Python's slice.indices(): clamps start/stop for a sequence of length n.
void SliceIndices(int64_t n, const Value& start_v, const Value& stop_v, int64_t step,
                  int64_t* start, int64_t* stop) {
  auto adjust = [&](const Value& v, int64_t def, int64_t lo, int64_t hi) {
    if (v.is_null()) return def;
    int64_t x = AsInt(v);
    if (x < 0) x += n;
    return std::clamp(x, lo, hi);
  };
  if (step > 0) {
    *start = adjust(start_v, 0, 0, n);
    *stop = adjust(stop_v, n, 0, n);
  } else {
    *start = adjust(start_v, n - 1, -1, n - 1);
    *stop = adjust(stop_v, -1, -1, n - 1);
  }
}

Status Repeat(const Value& seq, int64_t times, Value* out) {
  times = std::max<int64_t>(times, 0);
  size_t unit = seq.is_string() ? seq.get_ref<const std::string&>().size() : seq.size();
  if (unit > 0 && static_cast<uint64_t>(times) > kMaxOutputBytes / unit) {
    return ResourceExhausted("chat template: repetition too large");
  }
  if (seq.is_string()) {
    std::string s;
    for (int64_t i = 0; i < times; ++i) s += seq.get_ref<const std::string&>();
    *out = std::move(s);
  } else {
    *out = Value::array();
    for (int64_t i = 0; i < times; ++i) out->insert(out->end(), seq.begin(), seq.end());
  }
  return Status::OK();
}

Status Arithmetic(const std::string& op, const Value& a, const Value& b, Value* out) {
  bool nums = (a.is_number() || a.is_boolean()) && (b.is_number() || b.is_boolean());
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      *out = a.get_ref<const std::string&>() + b.get_ref<const std::string&>();
      return Status::OK();
    }
    if (a.is_array() && b.is_array()) {
      *out = a;
      out->insert(out->end(), b.begin(), b.end());
      return Status::OK();
    }
  }
  if (op == "*" && (a.is_string() || a.is_array()) && IsInt(b)) return Repeat(a, AsInt(b), out);
  if (op == "*" && (b.is_string() || b.is_array()) && IsInt(a)) return Repeat(b, AsInt(a), out);
  if (!nums) {
    return TypeError("unsupported operand types for " + op + ": " + TypeName(a) + " and " +
                     TypeName(b));
  }
  bool ints = IsInt(a) && IsInt(b);
  int64_t x = AsInt(a), y = AsInt(b);
  double fx = AsDouble(a), fy = AsDouble(b);
  if ((op == "/" || op == "//" || op == "%") && (ints ? y == 0 : fy == 0)) {
    return TypeError("division by zero");
  }
  if (op == "+")
    *out = ints ? Value(x + y) : Value(fx + fy);
  else if (op == "-")
    *out = ints ? Value(x - y) : Value(fx - fy);
  else if (op == "*")
    *out = ints ? Value(x * y) : Value(fx * fy);
  else if (op == "/")
    *out = fx / fy;
  else if (op == "//") {
    if (ints)
      *out = x / y - ((x % y != 0 && ((x < 0) != (y < 0))) ? 1 : 0);
    else
      *out = std::floor(fx / fy);
  } else if (op == "%") {
    if (ints)
      *out = ((x % y) + y) % y;
    else
      *out = fx - fy * std::floor(fx / fy);
  } else if (op == "**") {
    if (ints && y >= 0 && y < 64) {
      int64_t r = 1;
      for (int64_t i = 0; i < y; ++i) r *= x;
      *out = r;
    } else {
      *out = std::pow(fx, fy);
    }
  } else {
    return TypeError("unknown operator " + op);
  }
  return Status::OK();
}

Status Contains(const Value& container, const Value& item, bool* out) {
  if (container.is_string()) {
    if (!item.is_string()) return TypeError("'in <string>' requires a string");
    *out = container.get_ref<const std::string&>().find(item.get_ref<const std::string&>()) !=
           std::string::npos;
  } else if (container.is_array()) {
    *out = std::any_of(container.begin(), container.end(),
                       [&](const Value& x) { return Equals(x, item); });
  } else if (container.is_object()) {
    *out = item.is_string() && container.contains(item.get_ref<const std::string&>());
  } else if (IsUndefined(container)) {
    *out = false;
  } else {
    return TypeError("argument of type '" + TypeName(container) + "' is not iterable");
  }
  return Status::OK();
}

}  // namespace

Status Evaluator::EvalArgs(const Expr& e, size_t first, Args* args) {
  for (size_t i = first; i < e.children.size(); ++i) {
    args->pos.emplace_back();
    KILN_RETURN_IF_ERROR(Eval(*e.children[i], &args->pos.back()));
  }
  for (const auto& [key, expr] : e.kwargs) {
    args->kw.emplace_back(key, Value());
    KILN_RETURN_IF_ERROR(Eval(*expr, &args->kw.back().second));
  }
  return Status::OK();
}

Status Evaluator::Eval(const Expr& e, Value* out) {
  KILN_RETURN_IF_ERROR(Step());
  switch (e.kind) {
    case ExprKind::kLiteral:
      *out = e.literal;
      return Status::OK();
    case ExprKind::kName: {
      const Value* v = Find(e.name);
      *out = v ? *v : Undefined();
      return Status::OK();
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      Args items;
      KILN_RETURN_IF_ERROR(EvalArgs(e, 0, &items));
      *out = Value::array();
      for (Value& v : items.pos) out->push_back(std::move(v));
      return Status::OK();
    }
    case ExprKind::kDict: {
      *out = Value::object();
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value key, value;
        KILN_RETURN_IF_ERROR(Eval(*e.children[i], &key));
        KILN_RETURN_IF_ERROR(Eval(*e.children[i + 1], &value));
        if (!key.is_string()) return TypeError("dict keys must be strings");
        (*out)[key.get<std::string>()] = std::move(value);
      }
      return Status::OK();
    }
    case ExprKind::kAttr:
    case ExprKind::kSubscript: {
      Value obj, key;
      KILN_RETURN_IF_ERROR(Eval(*e.children[0], &obj));
      if (IsUndefined(obj)) return UndefinedError(*e.children[0]);
      if (e.kind == ExprKind::kAttr) {
        key = e.name;
      } else {
        KILN_RETURN_IF_ERROR(Eval(*e.children[1], &key));
      }
      *out = GetItem(obj, key);
      return Status::OK();
    }
    case ExprKind::kSlice:
      return EvalSlice(e, out);
    case ExprKind::kCall:
      return EvalCall(e, out);
    case ExprKind::kFilter: {
      Value input;
      Args args;
      KILN_RETURN_IF_ERROR(Eval(*e.children[0], &input));
      KILN_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      return ApplyFilter(e.name, input, args, out);
    }
    case ExprKind::kTest: {
      Value input;
      Args args;
      KILN_RETURN_IF_ERROR(Eval(*e.children[0], &input));
      KILN_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
      bool result = false;
      KILN_RETURN_IF_ERROR(ApplyTest(e.name, input, args, &result));
      *out = result != e.negated;
      return Status::OK();
    }
    case ExprKind::kUnary: {
      Value v;
      KILN_RETURN_IF_ERROR(Eval(*e.children[0], &v));
      if (e.name == "not") {
        *out = !Truthy(v);
        return Status::OK();
      }
      if (!v.is_number() && !v.is_boolean()) return TypeError("bad operand for unary " + e.name);
      *out = e.name == "+" ? v : (IsInt(v) ? Value(-AsInt(v)) : Value(-AsDouble(v)));
      return Status::OK();
    }
    case ExprKind::kBinary:
      return EvalBinary(e, out);
    case ExprKind::kTernary: {
      Value cond;
      KILN_RETURN_IF_ERROR(Eval(*e.children[0], &cond));
      if (Truthy(cond)) return Eval(*e.children[1], out);
      if (e.children[2]) return Eval(*e.children[2], out);
      *out = Undefined();
      return Status::OK();
    }
  }
  return Internal("chat template: unknown expression");
}

Status Evaluator::EvalBinary(const Expr& e, Value* out) {
  const std::string& op = e.name;
  Value a, b;
  KILN_RETURN_IF_ERROR(Eval(*e.children[0], &a));
  if (op == "and" || op == "or") {  // short-circuit, yielding an operand as Python does
    if (Truthy(a) == (op == "or")) {
      *out = std::move(a);
      return Status::OK();
    }
    return Eval(*e.children[1], out);
  }
  KILN_RETURN_IF_ERROR(Eval(*e.children[1], &b));
  if (op == "~") {
    *out = ToStr(a) + ToStr(b);
    if (out->get_ref<const std::string&>().size() > kMaxOutputBytes) {
      return ResourceExhausted("chat template: string too large");
    }
    return Status::OK();
  }
  bool result = false;
  if (op == "==" || op == "!=") {
    result = Equals(a, b) == (op == "==");
  } else if (op == "<") {
    KILN_RETURN_IF_ERROR(Less(a, b, &result));
  } else if (op == ">") {
    KILN_RETURN_IF_ERROR(Less(b, a, &result));
  } else if (op == "<=" || op == ">=") {
    KILN_RETURN_IF_ERROR(op == "<=" ? Less(b, a, &result) : Less(a, b, &result));
    result = !result;
  } else if (op == "in") {
    KILN_RETURN_IF_ERROR(Contains(b, a, &result));
    result = result != e.negated;
  } else {
    KILN_RETURN_IF_ERROR(Arithmetic(op, a, b, out));
    if (out->is_string() && out->get_ref<const std::string&>().size() > kMaxOutputBytes) {
      return ResourceExhausted("chat template: string too large");
    }
    return Status::OK();
  }
  *out = result;
  return Status::OK();
}

Status Evaluator::EvalSlice(const Expr& e, Value* out) {
  Value seq;
  Value parts[3];
  KILN_RETURN_IF_ERROR(Eval(*e.children[0], &seq));
  if (IsUndefined(seq)) return UndefinedError(*e.children[0]);
  for (int i = 0; i < 3; ++i) {
    parts[i] = nullptr;
    if (e.children[i + 1]) KILN_RETURN_IF_ERROR(Eval(*e.children[i + 1], &parts[i]));
    if (!parts[i].is_null() && !IsInt(parts[i])) return TypeError("slice indices must be integers");
  }
  int64_t step = parts[2].is_null() ? 1 : AsInt(parts[2]);
  if (step == 0) return TypeError("slice step cannot be zero");
  Value items;
  const bool is_string = seq.is_string();
  if (is_string) {
    KILN_RETURN_IF_ERROR(ApplyFilter("list", seq, Args{}, &items));
  } else if (seq.is_array()) {
    items = std::move(seq);
  } else {
    return TypeError("'" + TypeName(seq) + "' object is not subscriptable");
  }
  int64_t start = 0, stop = 0;
  SliceIndices(static_cast<int64_t>(items.size()), parts[0], parts[1], step, &start, &stop);
  Value picked = Value::array();
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    picked.push_back(items[static_cast<size_t>(i)]);
  }
  if (!is_string) {
    *out = std::move(picked);
    return Status::OK();
  }
  std::string s;
  for (const Value& cp : picked) s += cp.get_ref<const std::string&>();
  *out = std::move(s);
  return Status::OK();
}

Status Evaluator::EvalCall(const Expr& e, Value* out) {
  const Expr& callee = *e.children[0];
  Args args;
  if (callee.kind == ExprKind::kName) {
    KILN_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
    auto macro = macros_.find(callee.name);
    if (macro != macros_.end() && !Find(callee.name)) return CallMacro(*macro->second, args, out);
    bool found = false;
    KILN_RETURN_IF_ERROR(CallGlobal(callee.name, args, out, &found));
    if (found) return Status::OK();
    return InvalidArgument("chat template line " + std::to_string(e.line) + ": '" + callee.name +
                           "' is not a function");
  }
  if (callee.kind != ExprKind::kAttr) return TypeError("this expression is not callable");
  Value obj;
  KILN_RETURN_IF_ERROR(Eval(*callee.children[0], &obj));
  if (IsUndefined(obj)) return UndefinedError(*callee.children[0]);
  KILN_RETURN_IF_ERROR(EvalArgs(e, 1, &args));
  if (callee.name == "cycle" && obj.is_object() && obj.contains("index0") && !args.pos.empty()) {
    *out = args.pos[static_cast<size_t>(AsInt(obj["index0"])) % args.pos.size()];
    return Status::OK();
  }
  bool found = false;
  KILN_RETURN_IF_ERROR(CallMethod(obj, callee.name, args, out, &found));
  if (found) return Status::OK();
  return InvalidArgument("chat template line " + std::to_string(e.line) + ": '" + TypeName(obj) +
                         "' object has no method '" + callee.name + "'");
}

Status Evaluator::CallMacro(const Node& macro, const Args& args, Value* out) {
  if (++call_depth_ > kMaxCallDepth)
    return ResourceExhausted("chat template: macro recursion too deep");
  frames_.emplace_back();
  Status status;
  for (size_t i = 0; i < macro.params.size() && status.ok(); ++i) {
    const auto& [name, def] = macro.params[i];
    const Value* arg = args.Get(i, name);
    Value v = Undefined();
    if (arg)
      v = *arg;
    else if (def)
      status = Eval(*def, &v);
    Bind(name, std::move(v));
  }
  std::string text;
  if (status.ok()) status = Capture(macro.body, &text);
  frames_.pop_back();
  --call_depth_;
  KILN_RETURN_IF_ERROR(status);
  *out = std::move(text);
  return Status::OK();
}

}  // namespace kiln::engine::chat::internal
