// Tests, methods and global functions (see builtins.h).
#include <algorithm>
#include <ctime>

#include "engine/chat/internal/builtins.h"
#include "engine/chat/internal/value.h"

namespace kiln::engine::chat::internal {
namespace {

constexpr std::string_view kSpaces = " \t\n\r\f\v";

std::string Strip(const std::string& s, const Value* chars, bool left, bool right) {
  std::string set =
      (chars && chars->is_string()) ? chars->get<std::string>() : std::string(kSpaces);
  size_t b = left ? s.find_first_not_of(set) : 0;
  if (b == std::string::npos) return "";
  size_t e = right ? s.find_last_not_of(set) : s.size() - 1;
  return s.substr(b, e - b + 1);
}

std::string MapAscii(std::string s, int (*fn)(int)) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(fn(c));
  }
  return s;
}

// Python str.split(sep=None, maxsplit=-1).
Value Split(const std::string& s, const Value* sep, int64_t maxsplit) {
  Value out = Value::array();
  if (!sep || sep->is_null()) {
    size_t i = 0;
    while (true) {
      i = s.find_first_not_of(kSpaces, i);
      if (i == std::string::npos) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        size_t e = s.find_last_not_of(kSpaces);
        out.push_back(s.substr(i, e - i + 1));
        break;
      }
      size_t e = s.find_first_of(kSpaces, i);
      out.push_back(s.substr(i, e == std::string::npos ? std::string::npos : e - i));
      if (e == std::string::npos) break;
      i = e;
    }
    return out;
  }
  const std::string& d = sep->get_ref<const std::string&>();
  size_t start = 0;
  while (true) {
    size_t at = s.find(d, start);
    if (at == std::string::npos ||
        (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + d.size();
  }
}

bool AffixMatch(const std::string& s, const Value& affix, bool prefix) {
  if (affix.is_array()) {
    return std::any_of(affix.begin(), affix.end(),
                       [&](const Value& a) { return AffixMatch(s, a, prefix); });
  }
  if (!affix.is_string()) return false;
  const std::string& a = affix.get_ref<const std::string&>();
  if (a.size() > s.size()) return false;
  return prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
}

Status StringMethod(const std::string& s, std::string_view name, const Args& args, Value* out,
                    bool* found) {
  const Value* a0 = args.Get(0, "");
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    *out = Strip(s, a0, name != "rstrip", name != "lstrip");
  } else if (name == "startswith" || name == "endswith") {
    if (!a0) return TypeError(std::string(name) + "() takes one argument");
    *out = AffixMatch(s, *a0, name == "startswith");
  } else if (name == "split") {
    const Value* max = args.Get(1, "maxsplit");
    const Value* sep = args.Get(0, "sep");
    if (sep && sep->is_string() && sep->get_ref<const std::string&>().empty()) {
      return TypeError("split(): empty separator");
    }
    if (sep && !sep->is_null() && !sep->is_string()) return TypeError("split(): bad separator");
    *out = Split(s, sep, max ? AsInt(*max) : -1);
  } else if (name == "upper" || name == "lower") {
    *out = MapAscii(s, name == "upper" ? ::toupper : ::tolower);
  } else if (name == "title" || name == "capitalize" || name == "replace") {
    Value input = s;
    return ApplyFilter(name, input, args, out);
  } else if (name == "join") {
    Value input = a0 ? *a0 : Value::array();
    Args filter_args;
    filter_args.pos.push_back(s);
    return ApplyFilter("join", input, filter_args, out);
  } else if (name == "find") {
    if (!a0 || !a0->is_string()) return TypeError("find() takes a string");
    size_t at = s.find(a0->get_ref<const std::string&>());
    *out = at == std::string::npos ? int64_t{-1}
                                   : static_cast<int64_t>(CodePoints(s.substr(0, at)).size());
  } else {
    *found = false;
  }
  return Status::OK();
}

Status DictMethod(const Value& obj, std::string_view name, const Args& args, Value* out,
                  bool* found) {
  if (name == "items" || name == "keys" || name == "values") {
    *out = Value::array();
    for (const auto& [key, item] : obj.items()) {
      if (name == "items") out->push_back(Value::array({key, item}));
      if (name == "keys") out->push_back(key);
      if (name == "values") out->push_back(item);
    }
  } else if (name == "get") {
    const Value* key = args.Get(0, "key");
    const Value* def = args.Get(1, "default");
    Value v = key ? GetItem(obj, *key) : Undefined();
    *out = IsUndefined(v) ? (def ? *def : Value(nullptr)) : v;
  } else {
    *found = false;
  }
  return Status::OK();
}

Status Range(const Args& args, Value* out) {
  if (args.pos.empty() || args.pos.size() > 3) return TypeError("range() takes 1 to 3 arguments");
  for (const Value& a : args.pos) {
    if (!IsInt(a)) return TypeError("range() takes integers");
  }
  int64_t start = args.pos.size() == 1 ? 0 : AsInt(args.pos[0]);
  int64_t stop = AsInt(args.pos[args.pos.size() == 1 ? 0 : 1]);
  int64_t step = args.pos.size() == 3 ? AsInt(args.pos[2]) : 1;
  if (step == 0) return TypeError("range() step must not be zero");
  *out = Value::array();
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (static_cast<int64_t>(out->size()) >= kMaxLoopIterations) {
      return ResourceExhausted("chat template: range() too long");
    }
    out->push_back(i);
  }
  return Status::OK();
}

}  // namespace

const Value* Args::Get(size_t i, std::string_view name) const {
  if (i < pos.size()) return &pos[i];
  for (const auto& [key, value] : kw) {
    if (!name.empty() && key == name) return &value;
  }
  return nullptr;
}

Value GetItem(const Value& obj, const Value& key) {
  if (obj.is_object() && key.is_string()) {
    auto it = obj.find(key.get_ref<const std::string&>());
    return it == obj.end() ? Undefined() : *it;
  }
  if ((obj.is_array() || obj.is_string()) && IsInt(key)) {
    int64_t i = AsInt(key);
    if (obj.is_array()) {
      int64_t n = static_cast<int64_t>(obj.size());
      if (i < 0) i += n;
      return (i < 0 || i >= n) ? Undefined() : obj[static_cast<size_t>(i)];
    }
    std::vector<std::string> cps = CodePoints(obj.get_ref<const std::string&>());
    int64_t n = static_cast<int64_t>(cps.size());
    if (i < 0) i += n;
    return (i < 0 || i >= n) ? Undefined() : Value(cps[static_cast<size_t>(i)]);
  }
  return Undefined();
}

Value GetAttrPath(const Value& obj, std::string_view path) {
  Value cur = obj;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = GetItem(cur, digits && cur.is_array() ? Value(std::stoll(part)) : Value(part));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return cur;
}

bool IsKnownTest(std::string_view name) {
  static constexpr std::string_view kTests[] = {
      "defined", "undefined", "none",        "string",  "number",   "integer",  "float",
      "boolean", "true",      "false",       "mapping", "sequence", "iterable", "callable",
      "odd",     "even",      "divisibleby", "eq",      "equalto",  "ne",       "lt",
      "gt",      "le",        "ge",          "in",      "lower",    "upper",    "sameas"};
  return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

Status ApplyTest(std::string_view name, const Value& v, const Args& args, bool* out) {
  const Value* a0 = args.Get(0, "");
  auto need_arg = [&]() { return TypeError("test '" + std::string(name) + "' needs an argument"); };
  if (name == "defined")
    *out = !IsUndefined(v);
  else if (name == "undefined")
    *out = IsUndefined(v);
  else if (name == "none")
    *out = v.is_null();
  else if (name == "string")
    *out = v.is_string();
  else if (name == "number")
    *out = v.is_number();
  else if (name == "integer")
    *out = v.is_number_integer();
  else if (name == "float")
    *out = v.is_number_float();
  else if (name == "boolean")
    *out = v.is_boolean();
  else if (name == "true")
    *out = v.is_boolean() && v.get<bool>();
  else if (name == "false")
    *out = v.is_boolean() && !v.get<bool>();
  else if (name == "mapping")
    *out = v.is_object();
  else if (name == "sequence" || name == "iterable")
    *out = v.is_array() || v.is_string() || v.is_object();
  else if (name == "callable")
    *out = false;
  else if (name == "odd" || name == "even") {
    if (!IsInt(v)) return TypeError("odd/even need an integer");
    *out = (AsInt(v) % 2 != 0) == (name == "odd");
  } else if (name == "divisibleby") {
    if (!a0) return need_arg();
    if (!IsInt(v) || !IsInt(*a0) || AsInt(*a0) == 0) return TypeError("divisibleby needs integers");
    *out = AsInt(v) % AsInt(*a0) == 0;
  } else if (name == "lower" || name == "upper") {
    *out =
        v.is_string() && MapAscii(v.get<std::string>(), name == "lower" ? ::tolower : ::toupper) ==
                             v.get<std::string>();
  } else {
    if (!a0) return need_arg();
    if (name == "eq" || name == "equalto" || name == "sameas")
      *out = Equals(v, *a0);
    else if (name == "ne")
      *out = !Equals(v, *a0);
    else if (name == "lt")
      return Less(v, *a0, out);
    else if (name == "gt")
      return Less(*a0, v, out);
    else if (name == "le" || name == "ge") {
      bool less = false;
      KILN_RETURN_IF_ERROR(name == "le" ? Less(*a0, v, &less) : Less(v, *a0, &less));
      *out = !less;
    } else if (name == "in") {
      if (a0->is_string() && v.is_string())
        *out = a0->get<std::string>().find(v.get<std::string>()) != std::string::npos;
      else if (a0->is_array())
        *out = std::any_of(a0->begin(), a0->end(), [&](const Value& x) { return Equals(x, v); });
      else if (a0->is_object())
        *out = v.is_string() && a0->contains(v.get<std::string>());
      else
        return TypeError("'in' needs a container");
    } else {
      return TypeError("unknown test '" + std::string(name) + "'");
    }
  }
  return Status::OK();
}

Status CallMethod(const Value& obj, std::string_view name, const Args& args, Value* out,
                  bool* found) {
  *found = true;
  if (obj.is_string())
    return StringMethod(obj.get_ref<const std::string&>(), name, args, out, found);
  if (obj.is_object()) return DictMethod(obj, name, args, out, found);
  *found = false;
  return Status::OK();
}

Status CallGlobal(std::string_view name, const Args& args, Value* out, bool* found) {
  *found = true;
  if (name == "raise_exception") {
    const Value* msg = args.Get(0, "");
    return InvalidArgument("chat template raised: " + (msg ? ToStr(*msg) : std::string()));
  }
  if (name == "range") return Range(args, out);
  if (name == "namespace" || name == "dict") {
    *out = Value::object();
    if (!args.pos.empty() && args.pos[0].is_object()) *out = args.pos[0];
    for (const auto& [key, value] : args.kw) (*out)[key] = value;
    return Status::OK();
  }
  if (name == "strftime_now") {
    const Value* fmt = args.Get(0, "format");
    if (!fmt || !fmt->is_string()) return TypeError("strftime_now() takes a format string");
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[256];
    size_t n = std::strftime(buf, sizeof(buf), fmt->get_ref<const std::string&>().c_str(), &tm);
    *out = std::string(buf, n);
    return Status::OK();
  }
  *found = false;
  return Status::OK();
}

}  // namespace kiln::engine::chat::internal
