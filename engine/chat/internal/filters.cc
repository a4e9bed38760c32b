// Filters (see builtins.h).
#include <algorithm>
#include <cmath>

#include "engine/chat/internal/builtins.h"
#include "engine/chat/internal/value.h"

namespace kiln::engine::chat::internal {
namespace {

constexpr std::string_view kFilters[] = {
    "abs",     "capitalize", "count",  "d",      "default",    "dictsort", "e",          "escape",
    "first",   "float",      "indent", "int",    "items",      "join",     "last",       "length",
    "list",    "lower",      "map",    "max",    "min",        "reject",   "rejectattr", "replace",
    "reverse", "round",      "safe",   "select", "selectattr", "sort",     "string",     "sum",
    "title",   "tojson",     "trim",   "unique", "upper",      "wordcount"};

std::string Ascii(std::string s, bool upper) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x80)
      c = static_cast<char>(upper ? ::toupper(c) : ::tolower(c));
  }
  return s;
}

// Jinja's title(): upper-case the first letter of each word, lower-case the rest.
std::string Title(const std::string& s) {
  std::string out = s;
  bool start = true;
  for (char& c : out) {
    bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (static_cast<unsigned char>(c) < 0x80)
      c = static_cast<char>(start ? ::toupper(c) : ::tolower(c));
    start = !alnum && c != '\'';
    if (static_cast<unsigned char>(c) >= 0x80) start = false;
  }
  return out;
}

std::string Replace(const std::string& s, const std::string& from, const std::string& to,
                    int64_t count) {
  std::string out;
  if (from.empty()) {
    int64_t n = 0;
    for (const std::string& cp : CodePoints(s)) {
      if (count < 0 || n++ < count) out += to;
      out += cp;
    }
    if (count < 0 || n < count) out += to;
    return out;
  }
  size_t start = 0;
  for (int64_t n = 0; count < 0 || n < count; ++n) {
    size_t at = s.find(from, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += to;
    start = at + from.size();
  }
  out.append(s, start);
  return out;
}

Status ToList(const Value& v, Value* out) {
  if (v.is_array()) {
    *out = v;
  } else if (v.is_string()) {
    *out = Value::array();
    for (std::string& cp : CodePoints(v.get_ref<const std::string&>()))
      out->push_back(std::move(cp));
  } else if (v.is_object()) {
    *out = Value::array();
    for (const auto& item : v.items()) out->push_back(item.key());
  } else if (IsUndefined(v)) {
    *out = Value::array();
  } else {
    return TypeError("'" + TypeName(v) + "' object is not iterable");
  }
  return Status::OK();
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// select/reject/selectattr/rejectattr.
Status Select(std::string_view name, const Value& input, const Args& args, Value* out) {
  bool by_attr = name.ends_with("attr");
  bool keep = name.starts_with("select");
  Value items;
  KILN_RETURN_IF_ERROR(ToList(input, &items));
  size_t first_test_arg = by_attr ? 1 : 0;
  std::string attr;
  if (by_attr) {
    if (args.pos.empty() || !args.pos[0].is_string())
      return TypeError(std::string(name) + " needs an attribute");
    attr = args.pos[0].get<std::string>();
  }
  std::string test;
  Args test_args;
  if (args.pos.size() > first_test_arg) {
    if (!args.pos[first_test_arg].is_string()) return TypeError("test name must be a string");
    test = args.pos[first_test_arg].get<std::string>();
    if (!IsKnownTest(test)) return TypeError("unknown test '" + test + "'");
    test_args.pos.assign(args.pos.begin() + static_cast<long>(first_test_arg) + 1, args.pos.end());
  }
  *out = Value::array();
  for (const Value& item : items) {
    Value subject = by_attr ? GetAttrPath(item, attr) : item;
    bool pass = false;
    if (test.empty()) {
      pass = Truthy(subject);
    } else {
      KILN_RETURN_IF_ERROR(ApplyTest(test, subject, test_args, &pass));
    }
    if (pass == keep) out->push_back(item);
  }
  return Status::OK();
}

Status Map(const Value& input, const Args& args, Value* out) {
  Value items;
  KILN_RETURN_IF_ERROR(ToList(input, &items));
  *out = Value::array();
  const Value* attr = args.Get(args.pos.size(), "attribute");
  if (attr) {
    const Value* def = args.Get(args.pos.size(), "default");
    for (const Value& item : items) {
      Value v = GetAttrPath(item, ToStr(*attr));
      out->push_back(IsUndefined(v) && def ? *def : v);
    }
    return Status::OK();
  }
  if (args.pos.empty() || !args.pos[0].is_string()) return TypeError("map needs a filter name");
  std::string filter = args.pos[0].get<std::string>();
  if (!IsKnownFilter(filter) || filter == "map")
    return TypeError("map: unknown filter '" + filter + "'");
  Args rest;
  rest.pos.assign(args.pos.begin() + 1, args.pos.end());
  rest.kw = args.kw;
  for (const Value& item : items) {
    Value v;
    KILN_RETURN_IF_ERROR(ApplyFilter(filter, item, rest, &v));
    out->push_back(std::move(v));
  }
  return Status::OK();
}

Status Sort(const Value& input, const Args& args, Value* out) {
  KILN_RETURN_IF_ERROR(ToList(input, out));
  const Value* reverse = args.Get(0, "reverse");
  const Value* attr = args.Get(2, "attribute");
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : *out)
    keyed.emplace_back(attr ? GetAttrPath(item, ToStr(*attr)) : item, item);
  Status status;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    bool less = false;
    if (status.ok()) status = Less(a.first, b.first, &less);
    return less;
  });
  KILN_RETURN_IF_ERROR(status);
  if (reverse && Truthy(*reverse)) std::reverse(keyed.begin(), keyed.end());
  *out = Value::array();
  for (auto& [key, item] : keyed) out->push_back(std::move(item));
  return Status::OK();
}

Status Indent(const std::string& s, const Args& args, Value* out) {
  const Value* width = args.Get(0, "width");
  const Value* first = args.Get(1, "first");
  const Value* blank = args.Get(2, "blank");
  std::string pad = width && width->is_string() ? width->get<std::string>()
                                                : std::string(width ? AsInt(*width) : 4, ' ');
  std::string result;
  size_t start = 0;
  bool first_line = true;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    bool indent =
        first_line ? (first && Truthy(*first)) : (!line.empty() || (blank && Truthy(*blank)));
    if (indent) result += pad;
    result += line;
    if (nl == std::string::npos) break;
    result += '\n';
    start = nl + 1;
    first_line = false;
  }
  *out = std::move(result);
  return Status::OK();
}

Status Json(const Value& input, const Args& args, Value* out) {
  const Value* ascii = args.Get(0, "ensure_ascii");
  const Value* indent = args.Get(1, "indent");
  const Value* sort_keys = args.Get(3, "sort_keys");
  std::string text;
  KILN_RETURN_IF_ERROR(ToJson(input,
                              indent && !indent->is_null() ? static_cast<int>(AsInt(*indent)) : -1,
                              sort_keys && Truthy(*sort_keys), &text));
  if (ascii && Truthy(*ascii)) {
    std::string escaped;
    for (const std::string& cp : CodePoints(text)) {
      if (cp.size() == 1) {
        escaped += cp;
        continue;
      }
      uint32_t c = static_cast<unsigned char>(cp[0]) & (cp.size() == 2   ? 0x1F
                                                        : cp.size() == 3 ? 0x0F
                                                                         : 0x07);
      for (size_t i = 1; i < cp.size(); ++i)
        c = (c << 6) | (static_cast<unsigned char>(cp[i]) & 0x3F);
      char buf[16];
      if (c >= 0x10000) {
        c -= 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      }
      escaped += buf;
    }
    text = std::move(escaped);
  }
  *out = std::move(text);
  return Status::OK();
}

Status Number(std::string_view name, const Value& input, const Args& args, Value* out) {
  const Value* def = args.Get(0, "default");
  if (input.is_number() || input.is_boolean()) {
    *out = name == "int" ? Value(AsInt(input)) : Value(AsDouble(input));
    return Status::OK();
  }
  if (input.is_string()) {
    const std::string& s = input.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') {
      *out = name == "int" ? Value(static_cast<int64_t>(d)) : Value(d);
      return Status::OK();
    }
  }
  *out = def ? *def : (name == "int" ? Value(0) : Value(0.0));
  return Status::OK();
}

}  // namespace

bool IsKnownFilter(std::string_view name) {
  return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

Status ApplyFilter(std::string_view name, const Value& in, const Args& args, Value* out) {
  const Value* a0 = args.Get(0, "");
  auto str = [&]() { return ToStr(in); };
  if (name == "default" || name == "d") {
    const Value* def = args.Get(0, "default_value");
    const Value* boolean = args.Get(1, "boolean");
    bool use_default = IsUndefined(in) || (boolean && Truthy(*boolean) && !Truthy(in));
    *out = use_default ? (def ? *def : Value("")) : in;
  } else if (name == "trim") {
    std::string set = a0 && a0->is_string() ? a0->get<std::string>() : " \t\n\r\f\v";
    std::string s = str();
    size_t b = s.find_first_not_of(set);
    *out = b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(set) - b + 1);
  } else if (name == "length" || name == "count") {
    if (in.is_string())
      *out = static_cast<int64_t>(CodePoints(in.get_ref<const std::string&>()).size());
    else if (in.is_array() || in.is_object())
      *out = static_cast<int64_t>(in.size());
    else if (IsUndefined(in))
      *out = 0;
    else
      return TypeError("object of type '" + TypeName(in) + "' has no len()");
  } else if (name == "upper" || name == "lower") {
    *out = Ascii(str(), name == "upper");
  } else if (name == "capitalize") {
    std::string s = Ascii(str(), false);
    if (!s.empty()) s[0] = static_cast<char>(::toupper(s[0]));
    *out = s;
  } else if (name == "title") {
    *out = Title(str());
  } else if (name == "tojson") {
    return Json(in, args, out);
  } else if (name == "first" || name == "last") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    *out = items.empty() ? Undefined() : (name == "first" ? items.front() : items.back());
  } else if (name == "join") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    const Value* attr = args.Get(1, "attribute");
    std::string sep = a0 ? ToStr(*a0) : std::string(), result;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) result += sep;
      result += ToStr(attr ? GetAttrPath(items[i], ToStr(*attr)) : items[i]);
      if (result.size() > kMaxOutputBytes) return ResourceExhausted("chat template: join too long");
    }
    *out = std::move(result);
  } else if (name == "replace") {
    const Value* to = args.Get(1, "new");
    const Value* count = args.Get(2, "count");
    if (!a0 || !to) return TypeError("replace needs two arguments");
    *out = Replace(str(), ToStr(*a0), ToStr(*to), count ? AsInt(*count) : -1);
    if (out->get_ref<const std::string&>().size() > kMaxOutputBytes) {
      return ResourceExhausted("chat template: replace result too long");
    }
  } else if (name == "string") {
    *out = str();
  } else if (name == "int" || name == "float") {
    return Number(name, in, args, out);
  } else if (name == "list") {
    return ToList(in, out);
  } else if (name == "items" || name == "dictsort") {
    if (!in.is_object() && !IsUndefined(in))
      return TypeError(std::string(name) + " needs a mapping");
    *out = Value::array();
    if (in.is_object()) {
      for (const auto& item : in.items()) out->push_back(Value::array({item.key(), item.value()}));
    }
    if (name == "dictsort") return Sort(*out, Args{}, out);
  } else if (name == "abs") {
    if (!in.is_number()) return TypeError("abs needs a number");
    *out = in.is_number_float() ? Value(std::fabs(in.get<double>())) : Value(std::llabs(AsInt(in)));
  } else if (name == "safe") {
    *out = in;
  } else if (name == "e" || name == "escape") {
    *out = HtmlEscape(str());
  } else if (name == "reverse") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    std::reverse(items.begin(), items.end());
    if (!in.is_string()) {
      *out = std::move(items);
      return Status::OK();
    }
    std::string s;
    for (const Value& cp : items) s += cp.get_ref<const std::string&>();
    *out = std::move(s);
  } else if (name == "unique") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    *out = Value::array();
    for (const Value& item : items) {
      if (std::none_of(out->begin(), out->end(), [&](const Value& x) { return Equals(x, item); })) {
        out->push_back(item);
      }
    }
  } else if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    return Select(name, in, args, out);
  } else if (name == "map") {
    return Map(in, args, out);
  } else if (name == "sort") {
    return Sort(in, args, out);
  } else if (name == "indent") {
    return Indent(str(), args, out);
  } else if (name == "min" || name == "max") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    if (items.empty()) {
      *out = Undefined();
      return Status::OK();
    }
    Value best = items[0];
    for (const Value& item : items) {
      bool less = false;
      KILN_RETURN_IF_ERROR(name == "min" ? Less(item, best, &less) : Less(best, item, &less));
      if (less) best = item;
    }
    *out = best;
  } else if (name == "sum") {
    Value items;
    KILN_RETURN_IF_ERROR(ToList(in, &items));
    bool is_float = false;
    double fsum = 0;
    int64_t isum = 0;
    for (const Value& item : items) {
      if (!item.is_number() && !item.is_boolean()) return TypeError("sum needs numbers");
      is_float |= item.is_number_float();
      fsum += AsDouble(item);
      isum += AsInt(item);
    }
    *out = is_float ? Value(fsum) : Value(isum);
  } else if (name == "round") {
    const Value* precision = args.Get(0, "precision");
    double scale = std::pow(10.0, precision ? static_cast<double>(AsInt(*precision)) : 0.0);
    *out = std::round(AsDouble(in) * scale) / scale;
  } else if (name == "wordcount") {
    Value words;
    bool found = false;
    KILN_RETURN_IF_ERROR(CallMethod(Value(str()), "split", Args{}, &words, &found));
    *out = static_cast<int64_t>(words.size());
  } else {
    return TypeError("unknown filter '" + std::string(name) + "'");
  }
  return Status::OK();
}

}  // namespace kiln::engine::chat::internal
