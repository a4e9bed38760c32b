// SchemaConverter: $ref inlining and the keyword filter.
#include "plugins/openapi/internal/schema.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

namespace kiln::plugins::internal {
namespace {

using nlohmann::json;

bool IsTypeName(const json& t) {
  static const std::set<std::string, std::less<>> kTypes = {
      "string", "number", "integer", "boolean", "array", "object", "null"};
  return t.is_string() && kTypes.contains(t.get_ref<const std::string&>());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One reference token of a JSON Pointer written in a URI fragment: percent-
// decoded, then ~1 -> '/' and ~0 -> '~'.
std::string DecodeToken(std::string_view token) {
  std::string decoded;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '%' && i + 2 < token.size() && HexValue(token[i + 1]) >= 0 &&
        HexValue(token[i + 2]) >= 0) {
      decoded += static_cast<char>(HexValue(token[i + 1]) * 16 + HexValue(token[i + 2]));
      i += 2;
    } else {
      decoded += token[i];
    }
  }
  std::string out;
  for (size_t i = 0; i < decoded.size(); ++i) {
    if (decoded[i] == '~' && i + 1 < decoded.size() &&
        (decoded[i + 1] == '0' || decoded[i + 1] == '1')) {
      out += decoded[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += decoded[i];
    }
  }
  return out;
}

// 3 and 3.0 are both integers here: YAML and hand-written JSON say either.
std::optional<uint64_t> NonNegativeInteger(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d >= 0 && d < 1e15 && d == static_cast<double>(static_cast<uint64_t>(d))) {
      return static_cast<uint64_t>(d);
    }
  }
  return std::nullopt;
}

// Adds "null" to a schema's type (and to its enum, which would otherwise
// refuse the null the type now allows).
void MakeNullable(json* schema) {
  if (schema->contains("type")) {
    json& type = (*schema)["type"];
    if (type.is_string()) type = json::array({type, "null"});
    if (std::find(type.begin(), type.end(), json("null")) == type.end()) type.push_back("null");
  } else if (schema->contains("anyOf") || schema->contains("oneOf")) {
    (*schema)[schema->contains("anyOf") ? "anyOf" : "oneOf"].push_back({{"type", "null"}});
  }
  if (schema->contains("enum") && (*schema)["enum"].is_array()) {
    json& values = (*schema)["enum"];
    if (std::find(values.begin(), values.end(), json(nullptr)) == values.end()) {
      values.push_back(nullptr);
    }
  }
}

}  // namespace

bool JsonNestsDeeperThan(const json& value, int max_depth) {
  std::vector<std::pair<const json*, int>> stack = {{&value, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const json& child : *node) stack.emplace_back(&child, depth + 1);
  }
  return false;
}

Result<const json*> SchemaConverter::Lookup(const std::string& ref, const std::string& where) {
  if (ref != "#" && !ref.starts_with("#/")) {
    return InvalidArgument(where + ": the $ref \"" + ref.substr(0, 200) +
                               "\" is not local; only references into this document (#/...) "
                               "are supported",
                           where);
  }
  const json* node = &doc_;
  size_t pos = 1;
  while (pos < ref.size()) {
    const size_t next = std::min(ref.find('/', pos + 1), ref.size());
    const std::string token = DecodeToken(std::string_view(ref).substr(pos + 1, next - pos - 1));
    pos = next;
    const json* child = nullptr;
    if (node->is_object()) {
      auto it = node->find(token);
      if (it != node->end()) child = &*it;
    } else if (node->is_array() && !token.empty() && token.size() < 10 &&
               std::all_of(token.begin(), token.end(),
                           [](char c) { return c >= '0' && c <= '9'; })) {
      const size_t index = std::stoul(token);
      if (index < node->size()) child = &(*node)[index];
    }
    if (child == nullptr) {
      return InvalidArgument(
          where + ": the $ref \"" + ref.substr(0, 200) + "\" points to nothing in the document",
          where);
    }
    node = child;
  }
  return node;
}

Result<const json*> SchemaConverter::Resolve(const json& node, const std::string& where) {
  const json* current = &node;
  for (int hops = 0; current->is_object() && current->contains("$ref"); ++hops) {
    const json& ref = (*current)["$ref"];
    if (!ref.is_string()) return InvalidArgument(where + ": $ref must be a string", where);
    if (hops == kMaxRefChain) {
      return InvalidArgument(
          where + ": the $ref chain is circular or longer than " + std::to_string(kMaxRefChain),
          where);
    }
    KILN_ASSIGN_OR_RETURN(current, Lookup(ref.get<std::string>(), where));
  }
  return current;
}

Result<json> SchemaConverter::Convert(const json& schema, const std::string& where) {
  expanding_.clear();
  return ConvertAt(schema, where, 0);
}

Result<json> SchemaConverter::ConvertRef(const json& schema, const std::string& where, int depth) {
  const json& ref_value = schema["$ref"];
  if (!ref_value.is_string()) return InvalidArgument(where + ": $ref must be a string", where);
  const std::string ref = ref_value.get<std::string>();
  if (std::find(expanding_.begin(), expanding_.end(), ref) != expanding_.end()) {
    std::string chain;
    for (auto it = std::find(expanding_.begin(), expanding_.end(), ref); it != expanding_.end();
         ++it) {
      chain += *it + " -> ";
    }
    return InvalidArgument(
        where + ": circular $ref (" + chain + ref + "); recursive schemas cannot be tool arguments",
        where);
  }
  if (static_cast<int>(expanding_.size()) >= kMaxRefChain) {
    return InvalidArgument(where + ": $refs nest deeper than " + std::to_string(kMaxRefChain),
                           where);
  }
  KILN_ASSIGN_OR_RETURN(const json* target, Lookup(ref, where));
  expanding_.push_back(ref);
  Result<json> out = ConvertAt(*target, where + "(" + ref + ")", depth);
  expanding_.pop_back();
  if (!out.ok()) return out.status();
  // A description beside the $ref (allowed in 3.1) says what this use means.
  auto description = schema.find("description");
  if (out->is_object() && description != schema.end() && description->is_string()) {
    (*out)["description"] = *description;
  }
  return out;
}

Result<json> SchemaConverter::ConvertAt(const json& schema, const std::string& where, int depth) {
  if (depth > kMaxSchemaDepth) {
    return InvalidArgument(
        where + ": schemas nest deeper than " + std::to_string(kMaxSchemaDepth) + " levels", where);
  }
  if (++nodes_ > kMaxSchemaNodes) {
    return InvalidArgument("the document's schemas grow past " + std::to_string(kMaxSchemaNodes) +
                               " nodes once their $refs are inlined",
                           where);
  }
  if (schema.is_boolean()) return schema.get<bool>() ? json::object() : json(false);
  if (!schema.is_object()) return InvalidArgument(where + ": a schema must be an object", where);
  if (schema.contains("$ref")) return ConvertRef(schema, where, depth);

  json out = json::object();
  for (const auto& [key, value] : schema.items()) {
    KILN_RETURN_IF_ERROR(CopyKeyword(key, value, where, depth, &out));
  }
  if (auto all_of = schema.find("allOf"); all_of != schema.end()) {
    KILN_RETURN_IF_ERROR(MergeAllOf(*all_of, where + ".allOf", depth, &out));
  }
  if (v30_) {
    auto nullable = schema.find("nullable");
    if (nullable != schema.end() && !nullable->is_boolean()) {
      return InvalidArgument(where + ".nullable: must be true or false", where + ".nullable");
    }
    if (nullable != schema.end() && nullable->get<bool>()) MakeNullable(&out);
  }
  return out;
}

Status SchemaConverter::CopyKeyword(const std::string& key, const json& value,
                                    const std::string& where, int depth, json* out) {
  const std::string at = where + "." + key;
  if (key == "type") {
    const bool ok = IsTypeName(value) || (value.is_array() && !value.empty() &&
                                          std::all_of(value.begin(), value.end(), IsTypeName));
    if (!ok) return InvalidArgument(at + ": must be a JSON type name or a list of them", at);
    (*out)[key] = value;
  } else if (key == "description") {
    if (!value.is_string()) return InvalidArgument(at + ": must be a string", at);
    (*out)[key] = value;
  } else if (key == "enum") {
    if (!value.is_array()) return InvalidArgument(at + ": must be a list", at);
    (*out)[key] = value;
  } else if (key == "const") {
    (*out)[key] = value;
  } else if (key == "minItems" || key == "maxItems" || key == "minLength" || key == "maxLength") {
    std::optional<uint64_t> n = NonNegativeInteger(value);
    if (!n) return InvalidArgument(at + ": must be a non-negative integer", at);
    (*out)[key] = *n;
  } else if (key == "required") {
    if (!value.is_array() ||
        !std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
      return InvalidArgument(at + ": must be a list of property names", at);
    }
    (*out)[key] = value;
  } else if (key == "properties") {
    if (!value.is_object()) return InvalidArgument(at + ": must be an object of schemas", at);
    json properties = json::object();
    for (const auto& [name, sub] : value.items()) {
      KILN_ASSIGN_OR_RETURN(json converted, ConvertAt(sub, at + "." + name, depth + 1));
      if (!converted.is_boolean()) properties[name] = std::move(converted);  // false: never valid
    }
    (*out)[key] = std::move(properties);
  } else if (key == "items") {
    KILN_ASSIGN_OR_RETURN(json items, ConvertAt(value, at, depth + 1));
    if (items.is_boolean()) {
      (*out)["maxItems"] = 0;  // `items: false`: no element is valid
    } else {
      (*out)[key] = std::move(items);
    }
  } else if (key == "additionalProperties") {
    if (value.is_boolean()) {
      (*out)[key] = value;
    } else {
      KILN_ASSIGN_OR_RETURN(json extra, ConvertAt(value, at, depth + 1));
      (*out)[key] = std::move(extra);
    }
  } else if (key == "anyOf" || key == "oneOf") {
    KILN_ASSIGN_OR_RETURN(json list, ConvertList(value, at, depth));
    (*out)[key] = std::move(list);
  }
  // Everything else (format, pattern, minimum, default, example, title,
  // discriminator, ...) is dropped: the grammar cannot enforce it, and the
  // plugin's server still validates what it receives.
  return Status::OK();
}

Result<json> SchemaConverter::ConvertList(const json& list, const std::string& where, int depth) {
  if (!list.is_array() || list.empty()) {
    return InvalidArgument(where + ": must be a non-empty list of schemas", where);
  }
  json out = json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    KILN_ASSIGN_OR_RETURN(json member,
                          ConvertAt(list[i], where + "[" + std::to_string(i) + "]", depth + 1));
    if (!member.is_boolean()) out.push_back(std::move(member));
  }
  if (out.empty()) out.push_back(json::object());  // all `false`: keep the list valid
  return out;
}

// allOf is not a keyword the grammar knows, but it is how documents compose
// objects (a base plus extras), so its members are folded into one schema:
// properties and required united, other keywords taken where still unset.
Status SchemaConverter::MergeAllOf(const json& list, const std::string& where, int depth,
                                   json* out) {
  KILN_ASSIGN_OR_RETURN(json members, ConvertList(list, where, depth));
  for (json& member : members) {
    for (auto& [key, value] : member.items()) {
      if (key == "properties") {
        json& properties = (*out)["properties"];
        for (auto& [name, sub] : value.items()) {
          if (!properties.contains(name)) properties[name] = std::move(sub);
        }
      } else if (key == "required") {
        json& required = (*out)["required"];
        if (!required.is_array()) required = json::array();
        for (const json& name : value) {
          if (std::find(required.begin(), required.end(), name) == required.end()) {
            required.push_back(name);
          }
        }
      } else if (!out->contains(key)) {
        (*out)[key] = std::move(value);
      }
    }
  }
  return Status::OK();
}

}  // namespace kiln::plugins::internal
