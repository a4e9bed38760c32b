#include "base/json_schema.h"

#include <mutex>
#include <regex>
#include <string>
#include <unordered_map>

namespace kiln {
namespace {

using nlohmann::json;

std::string JoinPath(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

std::string JoinIndex(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

bool MatchesType(const json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    // 3.0 is an integer in JSON Schema.
    return v.is_number_float() &&
           v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>()));
  }
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

std::string TypeName(const json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();  // "string", "object", "array", "boolean", "null"
}

std::string NumberText(double d) {
  if (d == static_cast<double>(static_cast<int64_t>(d)))
    return std::to_string(static_cast<int64_t>(d));
  std::string s = std::to_string(d);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

// std::regex construction is slow; schemas are few and fixed, so cache by pattern.
const std::regex* CompiledPattern(const std::string& pattern) {
  static std::mutex mu;
  static auto* cache = new std::unordered_map<std::string, std::unique_ptr<std::regex>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(pattern);
  if (it != cache->end()) return it->second.get();
  std::unique_ptr<std::regex> re;
  try {
    re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    re = nullptr;  // a bad pattern in our own schema: treated as matching nothing
  }
  return cache->emplace(pattern, std::move(re)).first->second.get();
}

Status Fail(const std::string& path, std::string message) {
  return InvalidArgument((path.empty() ? std::string("body") : path) + " " + message, path);
}

Status Validate(const json& v, const json& s, const std::string& path);

Status ValidateObject(const json& v, const json& s, const std::string& path) {
  if (auto it = s.find("required"); it != s.end()) {
    for (const auto& name : *it) {
      const std::string& key = name.get_ref<const std::string&>();
      if (!v.contains(key)) return Fail(JoinPath(path, key), "is required");
    }
  }
  if (auto it = s.find("minProperties"); it != s.end() && v.size() < it->get<size_t>()) {
    return Fail(path, "must have at least " + std::to_string(it->get<size_t>()) + " properties");
  }
  if (auto it = s.find("maxProperties"); it != s.end() && v.size() > it->get<size_t>()) {
    return Fail(path, "must have at most " + std::to_string(it->get<size_t>()) + " properties");
  }
  const json* props = nullptr;
  if (auto it = s.find("properties"); it != s.end()) props = &*it;
  auto additional = s.find("additionalProperties");
  for (auto item = v.begin(); item != v.end(); ++item) {
    std::string child = JoinPath(path, item.key());
    if (props != nullptr) {
      if (auto p = props->find(item.key()); p != props->end()) {
        KILN_RETURN_IF_ERROR(Validate(item.value(), *p, child));
        continue;
      }
    }
    if (additional == s.end()) continue;
    if (additional->is_boolean()) {
      if (!additional->get<bool>()) return Fail(child, "is not a known field");
      continue;
    }
    KILN_RETURN_IF_ERROR(Validate(item.value(), *additional, child));
  }
  return Status::OK();
}

Status ValidateArray(const json& v, const json& s, const std::string& path) {
  if (auto it = s.find("minItems"); it != s.end() && v.size() < it->get<size_t>()) {
    return Fail(path, "must have at least " + std::to_string(it->get<size_t>()) + " items");
  }
  if (auto it = s.find("maxItems"); it != s.end() && v.size() > it->get<size_t>()) {
    return Fail(path, "must have at most " + std::to_string(it->get<size_t>()) + " items");
  }
  if (auto it = s.find("uniqueItems"); it != s.end() && it->get<bool>()) {
    for (size_t i = 0; i < v.size(); ++i) {
      for (size_t j = i + 1; j < v.size(); ++j) {
        if (v[i] == v[j]) return Fail(JoinIndex(path, j), "repeats an earlier item");
      }
    }
  }
  if (auto it = s.find("items"); it != s.end() && it->is_object()) {
    for (size_t i = 0; i < v.size(); ++i)
      KILN_RETURN_IF_ERROR(Validate(v[i], *it, JoinIndex(path, i)));
  }
  return Status::OK();
}

Status ValidateString(const json& v, const json& s, const std::string& path) {
  const std::string& text = v.get_ref<const std::string&>();
  size_t length = 0;
  bool counted = false;
  auto count = [&] {
    if (!counted) length = Utf8Length(text), counted = true;
    return length;
  };
  if (auto it = s.find("minLength"); it != s.end() && count() < it->get<size_t>()) {
    return Fail(path, "must be at least " + std::to_string(it->get<size_t>()) + " characters");
  }
  if (auto it = s.find("maxLength"); it != s.end() && count() > it->get<size_t>()) {
    return Fail(path, "must be at most " + std::to_string(it->get<size_t>()) + " characters");
  }
  if (auto it = s.find("pattern"); it != s.end()) {
    const std::regex* re = CompiledPattern(it->get<std::string>());
    if (re == nullptr || !std::regex_search(text, *re)) {
      return Fail(path, "does not match the pattern " + it->get<std::string>());
    }
  }
  return Status::OK();
}

Status ValidateNumber(const json& v, const json& s, const std::string& path) {
  double d = v.get<double>();
  if (auto it = s.find("minimum"); it != s.end() && d < it->get<double>()) {
    return Fail(path, "must be at least " + NumberText(it->get<double>()));
  }
  if (auto it = s.find("maximum"); it != s.end() && d > it->get<double>()) {
    return Fail(path, "must be at most " + NumberText(it->get<double>()));
  }
  if (auto it = s.find("exclusiveMinimum"); it != s.end() && d <= it->get<double>()) {
    return Fail(path, "must be greater than " + NumberText(it->get<double>()));
  }
  if (auto it = s.find("exclusiveMaximum"); it != s.end() && d >= it->get<double>()) {
    return Fail(path, "must be less than " + NumberText(it->get<double>()));
  }
  return Status::OK();
}

Status ValidateCombinators(const json& v, const json& s, const std::string& path) {
  if (auto it = s.find("allOf"); it != s.end()) {
    for (const auto& sub : *it) KILN_RETURN_IF_ERROR(Validate(v, sub, path));
  }
  if (auto it = s.find("anyOf"); it != s.end()) {
    Status first;
    for (const auto& sub : *it) {
      Status st = Validate(v, sub, path);
      if (st.ok()) return st;
      if (first.ok()) first = st;
    }
    return first.ok() ? Fail(path, "matches none of the allowed forms") : first;
  }
  if (auto it = s.find("oneOf"); it != s.end()) {
    int matched = 0;
    for (const auto& sub : *it) matched += Validate(v, sub, path).ok() ? 1 : 0;
    if (matched != 1) return Fail(path, "must match exactly one of the allowed forms");
  }
  if (auto it = s.find("not"); it != s.end() && Validate(v, *it, path).ok()) {
    return Fail(path, "matches a forbidden form");
  }
  return Status::OK();
}

Status Validate(const json& v, const json& s, const std::string& path) {
  if (s.is_boolean()) return s.get<bool>() ? Status::OK() : Fail(path, "is not allowed");
  if (!s.is_object()) return Status::OK();
  if (auto it = s.find("type"); it != s.end()) {
    bool ok = false;
    std::string expected;
    if (it->is_string()) {
      expected = it->get<std::string>();
      ok = MatchesType(v, expected);
    } else {
      for (const auto& t : *it) {
        if (!expected.empty()) expected += " or ";
        expected += t.get<std::string>();
        ok = ok || MatchesType(v, t.get<std::string>());
      }
    }
    if (!ok) return Fail(path, "must be " + expected + ", not " + TypeName(v));
  }
  if (auto it = s.find("const"); it != s.end() && v != *it) {
    return Fail(path, "must be " + it->dump());
  }
  if (auto it = s.find("enum"); it != s.end()) {
    bool found = false;
    for (const auto& option : *it) found = found || option == v;
    if (!found) return Fail(path, "must be one of " + it->dump());
  }
  if (v.is_object()) KILN_RETURN_IF_ERROR(ValidateObject(v, s, path));
  if (v.is_array()) KILN_RETURN_IF_ERROR(ValidateArray(v, s, path));
  if (v.is_string()) KILN_RETURN_IF_ERROR(ValidateString(v, s, path));
  if (v.is_number()) KILN_RETURN_IF_ERROR(ValidateNumber(v, s, path));
  return ValidateCombinators(v, s, path);
}

}  // namespace

Status ValidateJson(const nlohmann::json& value, const nlohmann::json& schema) {
  return Validate(value, schema, "");
}

}  // namespace kiln
