#include "engine/chat/internal/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kiln::engine::chat::internal {

bool Truthy(const Value& v) {
  switch (v.type()) {
    case Value::value_t::boolean:
      return v.get<bool>();
    case Value::value_t::number_integer:
      return v.get<int64_t>() != 0;
    case Value::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case Value::value_t::number_float:
      return v.get<double>() != 0;
    case Value::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case Value::value_t::array:
    case Value::value_t::object:
      return !v.empty();
    default:
      return false;  // null, Undefined
  }
}

bool IsInt(const Value& v) {
  return v.is_number_integer() || v.is_boolean();  // is_number_integer covers unsigned
}

int64_t AsInt(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return 0;
}

double AsDouble(const Value& v) {
  if (v.is_number_float()) return v.get<double>();
  return static_cast<double>(AsInt(v));
}

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  double mag = std::fabs(d);
  // Python switches to exponent notation outside [1e-4, 1e16).
  bool sci = mag != 0 && (mag < 1e-4 || mag >= 1e16);
  auto res = std::to_chars(buf, buf + sizeof(buf), d,
                           sci ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, res.ptr);
  if (!sci && s.find('.') == std::string::npos) s += ".0";
  return s;
}

namespace {

void AppendReprString(const std::string& s, std::string* out) {
  char quote = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  out->push_back(quote);
  for (unsigned char c : s) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '\r') {
      *out += "\\r";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      *out += buf;
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back(quote);
}

void AppendRepr(const Value& v, std::string* out) {
  if (v.is_string()) {
    AppendReprString(v.get_ref<const std::string&>(), out);
  } else if (v.is_array()) {
    out->push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) *out += ", ";
      AppendRepr(v[i], out);
    }
    out->push_back(']');
  } else if (v.is_object()) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (!first) *out += ", ";
      first = false;
      AppendReprString(key, out);
      *out += ": ";
      AppendRepr(item, out);
    }
    out->push_back('}');
  } else {
    *out += ToStr(v);
  }
}

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

Status AppendJson(const Value& v, int indent, bool sort_keys, int level, std::string* out) {
  if (level > 256) return InvalidArgument("tojson: value nested too deeply");
  auto newline = [&](int lvl) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * lvl), ' ');
  };
  const char* item_sep = indent >= 0 ? "," : ", ";
  switch (v.type()) {
    case Value::value_t::discarded:
      return TypeError("Undefined is not JSON serializable");
    case Value::value_t::null:
      *out += "null";
      return Status::OK();
    case Value::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return Status::OK();
    case Value::value_t::number_float: {
      double d = v.get<double>();
      *out += std::isnan(d)   ? "NaN"
              : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                              : FloatRepr(d);
      return Status::OK();
    }
    case Value::value_t::string:
      AppendJsonString(v.get_ref<const std::string&>(), out);
      break;
    case Value::value_t::array: {
      if (v.empty()) {
        *out += "[]";
        break;
      }
      out->push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) *out += item_sep;
        if (indent >= 0) newline(level + 1);
        KILN_RETURN_IF_ERROR(AppendJson(v[i], indent, sort_keys, level + 1, out));
      }
      if (indent >= 0) newline(level);
      out->push_back(']');
      break;
    }
    case Value::value_t::object: {
      if (v.empty()) {
        *out += "{}";
        break;
      }
      std::vector<const std::string*> keys;
      for (const auto& item : v.items()) keys.push_back(&item.key());
      if (sort_keys) {
        std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
      }
      out->push_back('{');
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) *out += item_sep;
        if (indent >= 0) newline(level + 1);
        AppendJsonString(*keys[i], out);
        *out += ": ";
        KILN_RETURN_IF_ERROR(AppendJson(v.at(*keys[i]), indent, sort_keys, level + 1, out));
      }
      if (indent >= 0) newline(level);
      out->push_back('}');
      break;
    }
    default:
      *out += ToStr(v);
  }
  return Status::OK();
}

}  // namespace

std::string ToStr(const Value& v) {
  switch (v.type()) {
    case Value::value_t::discarded:
      return "";
    case Value::value_t::null:
      return "None";
    case Value::value_t::boolean:
      return v.get<bool>() ? "True" : "False";
    case Value::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case Value::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case Value::value_t::number_float:
      return FloatRepr(v.get<double>());
    case Value::value_t::string:
      return v.get<std::string>();
    default: {
      std::string out;
      AppendRepr(v, &out);
      return out;
    }
  }
}

std::string Repr(const Value& v) {
  std::string out;
  AppendRepr(v, &out);
  return out;
}

Status ToJson(const Value& v, int indent, bool sort_keys, std::string* out) {
  return AppendJson(v, indent, sort_keys, 0, out);
}

bool Equals(const Value& a, const Value& b) {
  bool a_num = a.is_number() || a.is_boolean();
  bool b_num = b.is_number() || b.is_boolean();
  if (a_num && b_num) {
    if (IsInt(a) && IsInt(b)) return AsInt(a) == AsInt(b);
    return AsDouble(a) == AsDouble(b);
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Equals(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, item] : a.items()) {
      auto it = b.find(key);
      if (it == b.end() || !Equals(item, *it)) return false;
    }
    return true;
  }
  if (a.is_discarded()) return true;
  return a == b;
}

Status Less(const Value& a, const Value& b, bool* out) {
  if ((a.is_number() || a.is_boolean()) && (b.is_number() || b.is_boolean())) {
    *out = (IsInt(a) && IsInt(b)) ? AsInt(a) < AsInt(b) : AsDouble(a) < AsDouble(b);
    return Status::OK();
  }
  if (a.is_string() && b.is_string()) {
    *out = a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
    return Status::OK();
  }
  if (a.is_array() && b.is_array()) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (Equals(a[i], b[i])) continue;
      return Less(a[i], b[i], out);
    }
    *out = a.size() < b.size();
    return Status::OK();
  }
  return TypeError("'<' not supported between " + TypeName(a) + " and " + TypeName(b));
}

std::vector<std::string> CodePoints(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 1;
    if (i + len > s.size()) len = 1;
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string TypeName(const Value& v) {
  switch (v.type()) {
    case Value::value_t::discarded:
      return "undefined";
    case Value::value_t::null:
      return "none";
    case Value::value_t::boolean:
      return "bool";
    case Value::value_t::number_float:
      return "float";
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned:
      return "int";
    case Value::value_t::string:
      return "str";
    case Value::value_t::array:
      return "list";
    case Value::value_t::object:
      return "dict";
    default:
      return "value";
  }
}

Status TypeError(std::string_view what) {
  return InvalidArgument("chat template: " + std::string(what));
}

}  // namespace kiln::engine::chat::internal
