// ReduceSchema (content.h): an MCP inputSchema cut down to what the grammar
// enforces. Every rule below only ever widens what the schema accepts, so a
// call the reduced schema allows may still be refused by the server, never
// the other way round.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "plugins/mcp/internal/content.h"

namespace kiln::plugins::mcp_internal {
namespace {

using nlohmann::json;

bool KnownType(const json& t) {
  static const char* kTypes[] = {"string", "number", "integer", "boolean",
                                 "null",   "array",  "object"};
  if (!t.is_string()) return false;
  const std::string& s = t.get_ref<const std::string&>();
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* k) { return s == k; });
}

bool IsCount(const json& v) {
  return (v.is_number_unsigned() || v.is_number_integer()) && v.get<int64_t>() >= 0;
}

class Reducer {
 public:
  explicit Reducer(const json& root) : root_(root) {}

  json Reduce(const json& s, int depth) {
    if (depth > kMaxSchemaDepth) return json::object();
    if (s.is_boolean()) return s;
    if (!s.is_object()) return json::object();
    if (auto ref = s.find("$ref"); ref != s.end()) return Inline(s, *ref, depth);
    if (auto all = s.find("allOf"); all != s.end()) {
      json rest = s;
      rest.erase("allOf");
      // One element is how generators wrap a $ref that has siblings; more
      // would need a real intersection, so they are dropped (widening).
      if (all->is_array() && all->size() == 1 && (*all)[0].is_object()) {
        json merged = (*all)[0];
        for (auto& [k, v] : rest.items()) merged[k] = v;
        return Reduce(merged, depth + 1);
      }
      return Reduce(rest, depth + 1);
    }
    return ReduceKeywords(s, depth);
  }

 private:
  // A local reference "#/$defs/Name" or "#/definitions/Name", or null.
  const json* Lookup(const std::string& ref, std::string* name) const {
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      const std::string p = prefix;
      if (ref.compare(0, p.size(), p) != 0) continue;
      // JSON Pointer escapes: "~1" is '/', "~0" is '~'.
      std::string key;
      const std::string raw = ref.substr(p.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
          key += raw[++i] == '0' ? '~' : '/';
        } else if (raw[i] == '/') {
          return nullptr;  // a deeper pointer: not worth following
        } else {
          key += raw[i];
        }
      }
      const std::string section = p.substr(2, p.size() - 3);  // "$defs" or "definitions"
      auto defs = root_.find(section);
      if (defs == root_.end() || !defs->is_object()) return nullptr;
      auto target = defs->find(key);
      if (target == defs->end()) return nullptr;
      *name = section + "/" + key;
      return &*target;
    }
    return nullptr;
  }

  json Inline(const json& s, const json& ref, int depth) {
    json rest = s;
    rest.erase("$ref");
    std::string name;
    const json* target = ref.is_string() ? Lookup(ref.get<std::string>(), &name) : nullptr;
    // A recursive type cannot be inlined: from the loop on, any value.
    if (target == nullptr || std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      return Reduce(rest, depth + 1);
    }
    json merged = target->is_object() ? *target : json::object();
    for (auto& [k, v] : rest.items()) merged[k] = v;  // siblings of $ref win
    stack_.push_back(name);
    json out = Reduce(merged, depth + 1);
    stack_.pop_back();
    return out;
  }

  json ReduceKeywords(const json& s, int depth) {
    json out = json::object();
    if (auto t = s.find("type"); t != s.end()) {
      if (KnownType(*t)) {
        out["type"] = *t;
      } else if (t->is_array()) {
        json types = json::array();
        for (const json& one : *t) {
          if (KnownType(one)) types.push_back(one);
        }
        if (!types.empty()) out["type"] = types;
      }
    }
    if (auto d = s.find("description"); d != s.end() && d->is_string()) {
      out["description"] = CutUtf8(d->get_ref<const std::string&>(), kMaxSchemaDescriptionBytes);
    }
    if (auto e = s.find("enum"); e != s.end() && e->is_array() && !e->empty()) out["enum"] = *e;
    if (auto c = s.find("const"); c != s.end()) out["const"] = *c;
    for (const char* key : {"minItems", "maxItems", "minLength", "maxLength"}) {
      if (auto v = s.find(key); v != s.end() && IsCount(*v)) out[key] = *v;
    }
    if (auto p = s.find("properties"); p != s.end() && p->is_object()) {
      json props = json::object();
      for (auto& [k, v] : p->items()) props[k] = Reduce(v, depth + 1);
      out["properties"] = std::move(props);
    }
    if (auto r = s.find("required"); r != s.end() && r->is_array() && out.contains("properties")) {
      json required = json::array();
      std::set<std::string> seen;
      for (const json& name : *r) {
        if (!name.is_string() || !out["properties"].contains(name.get<std::string>())) continue;
        if (seen.insert(name.get<std::string>()).second) required.push_back(name);
      }
      if (!required.empty()) out["required"] = std::move(required);
    }
    if (auto i = s.find("items"); i != s.end() && (i->is_object() || i->is_boolean())) {
      out["items"] = Reduce(*i, depth + 1);
    }
    if (auto a = s.find("additionalProperties"); a != s.end()) {
      if (a->is_boolean()) {
        out["additionalProperties"] = *a;
      } else if (a->is_object()) {
        out["additionalProperties"] = Reduce(*a, depth + 1);
      }
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      auto list = s.find(key);
      if (list == s.end() || !list->is_array() || list->empty()) continue;
      json options = json::array();
      bool any = false;
      for (const json& option : *list) {
        json reduced = Reduce(option, depth + 1);
        // An option that accepts anything makes the whole list accept anything.
        if ((reduced.is_object() && reduced.empty()) || reduced == json(true)) any = true;
        options.push_back(std::move(reduced));
      }
      if (!any) out[key] = std::move(options);
    }
    return out;
  }

  const json& root_;
  std::vector<std::string> stack_;  // the $defs being inlined, outermost first
};

}  // namespace

json ReduceSchema(const json& input_schema) {
  Reducer reducer(input_schema);
  json out = reducer.Reduce(input_schema, 0);
  // Tool arguments are always an object, whatever the server declared.
  if (!out.is_object()) return json{{"type", "object"}};
  auto type = out.find("type");
  if (type == out.end()) {
    out["type"] = "object";
  } else if (*type != "object") {
    return json{{"type", "object"}};
  }
  return out;
}

}  // namespace kiln::plugins::mcp_internal
