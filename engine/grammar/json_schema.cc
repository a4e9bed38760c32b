#include "engine/grammar/json_schema.h"

#include <algorithm>

namespace kiln::engine {
namespace {

using json = nlohmann::ordered_json;
using Kind = JsonNode::Kind;

// Keywords that only describe.
bool IsAnnotation(const std::string& key) {
  static const char* kKeys[] = {"description", "title",    "default",  "examples", "format",
                                "$schema",     "$id",      "$comment", "readOnly", "writeOnly",
                                "deprecated",  "nullable", "strict"};
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

bool IsSpace(uint8_t c) { return c == ' ' || c == '\n'; }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool IsHex(uint8_t c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

uint64_t AllBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace

JsonGrammar::JsonGrammar() {
  // Any JSON value: a string, a number, a literal, an object of any keys, an array.
  JsonNode* any = New();
  any->kind = Kind::kAnyOf;
  JsonNode* str = New();
  str->kind = Kind::kString;
  JsonNode* num = New();
  num->kind = Kind::kNumber;
  JsonNode* lit = New();
  lit->kind = Kind::kEnum;
  lit->literals = {"true", "false", "null"};
  JsonNode* obj = New();
  obj->kind = Kind::kObject;
  obj->free_keys = true;
  JsonNode* arr = New();
  arr->kind = Kind::kArray;
  any->options = {obj, arr, str, num, lit};
  any_ = any;
}

JsonNode* JsonGrammar::New() {
  nodes_.push_back(std::make_unique<JsonNode>());
  return nodes_.back().get();
}

std::shared_ptr<const JsonGrammar> JsonGrammar::AnyObject() {
  auto g = std::shared_ptr<JsonGrammar>(new JsonGrammar());
  g->root_ = g->any_->options[0];
  return g;
}

Result<std::shared_ptr<const JsonGrammar>> JsonGrammar::Compile(const nlohmann::json& schema) {
  return Compile(json::parse(schema.dump()));
}

Result<std::shared_ptr<const JsonGrammar>> JsonGrammar::Compile(const json& schema) {
  auto g = std::shared_ptr<JsonGrammar>(new JsonGrammar());
  KILN_ASSIGN_OR_RETURN(g->root_, g->Build(schema, 0));
  return std::shared_ptr<const JsonGrammar>(std::move(g));
}

Result<const JsonNode*> JsonGrammar::Build(const nlohmann::ordered_json& s, int depth) {
  if (depth > kMaxDepth)
    return InvalidArgument("the schema nests deeper than " + std::to_string(kMaxDepth));
  if (s.is_boolean()) {
    if (!s.get<bool>()) return InvalidArgument("a schema of false accepts nothing");
    return any_;
  }
  if (!s.is_object()) return InvalidArgument("a schema must be an object");
  // anyOf / oneOf, and a list of types, become options.
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!s.contains(key)) continue;
    if (!s[key].is_array() || s[key].empty())
      return InvalidArgument(std::string(key) + " must be a non-empty array");
    json rest = s;
    rest.erase(key);
    JsonNode* n = New();
    n->kind = Kind::kAnyOf;
    for (const json& option : s[key]) {
      json merged = rest;  // keywords beside anyOf apply to every option
      for (auto& [k, v] : option.items()) merged[k] = v;
      KILN_ASSIGN_OR_RETURN(const JsonNode* o, Build(merged, depth + 1));
      n->options.push_back(o);
    }
    return n;
  }
  if (s.contains("type") && s["type"].is_array()) {
    JsonNode* n = New();
    n->kind = Kind::kAnyOf;
    for (const json& t : s["type"]) {
      json one = s;
      one["type"] = t;
      KILN_ASSIGN_OR_RETURN(const JsonNode* o, Build(one, depth + 1));
      n->options.push_back(o);
    }
    if (n->options.empty()) return InvalidArgument("type must not be an empty list");
    return n;
  }
  if (s.contains("enum") || s.contains("const")) {
    JsonNode* n = New();
    n->kind = Kind::kEnum;
    const json values = s.contains("const") ? json::array({s["const"]}) : s["enum"];
    if (!values.is_array() || values.empty())
      return InvalidArgument("enum must be a non-empty array");
    if (values.size() > 64) return InvalidArgument("enum has more than 64 values");
    for (const json& v : values) n->literals.push_back(v.dump());
    return n;
  }
  for (auto& item : s.items()) {
    // A plain variable, not a structured binding: clang 14 (the fuzz build)
    // cannot capture a binding in the lambda below.
    const std::string& key = item.key();
    static const char* kKnown[] = {"type",      "properties", "required", "additionalProperties",
                                   "items",     "minItems",   "maxItems", "minLength",
                                   "maxLength", "enum",       "const"};
    if (IsAnnotation(key) || std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* k) {
                               return key == k;
                             }) != std::end(kKnown)) {
      continue;
    }
    return InvalidArgument("the schema keyword '" + key +
                           "' is not supported for constrained output");
  }
  if (!s.contains("type")) {
    if (s.contains("properties") || s.contains("items")) {
      json typed = s;
      typed["type"] = s.contains("properties") ? "object" : "array";
      return Build(typed, depth);
    }
    return any_;
  }
  if (!s["type"].is_string()) return InvalidArgument("type must be a string or a list of strings");
  const std::string type = s["type"].get<std::string>();
  JsonNode* n = New();
  auto count = [&](const char* key, int64_t* out) -> Status {
    if (!s.contains(key)) return Status::OK();
    if (!s[key].is_number_integer() || s[key].get<int64_t>() < 0) {
      return InvalidArgument(std::string(key) + " must be a non-negative integer");
    }
    *out = s[key].get<int64_t>();
    return Status::OK();
  };
  if (type == "string") {
    n->kind = Kind::kString;
    KILN_RETURN_IF_ERROR(count("minLength", &n->min_length));
    KILN_RETURN_IF_ERROR(count("maxLength", &n->max_length));
    if (n->min_length > n->max_length) return InvalidArgument("minLength is above maxLength");
  } else if (type == "number" || type == "integer") {
    n->kind = type == "number" ? Kind::kNumber : Kind::kInteger;
  } else if (type == "boolean") {
    n->kind = Kind::kEnum;
    n->literals = {"true", "false"};
  } else if (type == "null") {
    n->kind = Kind::kEnum;
    n->literals = {"null"};
  } else if (type == "array") {
    n->kind = Kind::kArray;
    if (s.contains("items")) {
      KILN_ASSIGN_OR_RETURN(n->items, Build(s["items"], depth + 1));
    }
    KILN_RETURN_IF_ERROR(count("minItems", &n->min_items));
    KILN_RETURN_IF_ERROR(count("maxItems", &n->max_items));
    if (n->min_items > n->max_items) return InvalidArgument("minItems is above maxItems");
  } else if (type == "object") {
    n->kind = Kind::kObject;
    const json props = s.value("properties", json::object());
    if (!props.is_object()) return InvalidArgument("properties must be an object");
    if (props.size() > 64) return InvalidArgument("more than 64 properties");
    n->free_keys = props.empty() &&
                   !(s.contains("additionalProperties") && s["additionalProperties"] == false);
    std::vector<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) return InvalidArgument("required must be an array");
      for (const json& r : s["required"]) {
        if (!r.is_string() || !props.contains(r.get<std::string>())) {
          return InvalidArgument("required names " + r.dump() + ", which is not a property");
        }
        required.push_back(r.get<std::string>());
      }
    }
    for (auto& [key, value] : props.items()) {
      for (unsigned char c : key) {
        if (c == '"' || c == '\\' || c < 0x20) {
          return InvalidArgument("property name " + json(key).dump() +
                                 " needs escaping; not supported");
        }
      }
      KILN_ASSIGN_OR_RETURN(const JsonNode* v, Build(value, depth + 1));
      n->keys.push_back(key);
      n->values.push_back(v);
      n->required.push_back(std::find(required.begin(), required.end(), key) != required.end());
    }
  } else {
    return InvalidArgument("unknown type '" + type + "'");
  }
  return n;
}

// ---- matching ----

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonGrammar> grammar)
    : grammar_(std::move(grammar)) {
  Push({}, grammar_->root(), &alts_);
}

void JsonMatcher::Push(Stack stack, const JsonNode* node, std::vector<Stack>* out) const {
  if (node == nullptr) node = grammar_->any();
  if (static_cast<int>(stack.size()) >= kMaxDepth) return;
  if (node->kind == Kind::kAnyOf) {
    for (const JsonNode* o : node->options) Push(stack, o, out);
    return;
  }
  Frame f{node};
  if (node->kind == Kind::kEnum) f.mask = AllBits(node->literals.size());
  stack.push_back(f);
  out->push_back(std::move(stack));
}

bool JsonMatcher::Completable(const Frame& f) {
  switch (f.node->kind) {
    case Kind::kNumber:
    case Kind::kInteger:
      return f.phase == 2 || f.phase == 3 || f.phase == 5 || f.phase == 8;
    case Kind::kEnum:
      for (size_t i = 0; i < f.node->literals.size(); ++i) {
        if ((f.mask >> i & 1) && static_cast<int32_t>(f.node->literals[i].size()) == f.b)
          return true;
      }
      return false;
    default:
      return false;
  }
}

namespace {

// Object keys that may come after key index `last` (-1: none yet): up to and
// including the next required one.
uint64_t NextKeys(const JsonNode& n, int32_t last) {
  uint64_t m = 0;
  for (size_t i = static_cast<size_t>(last + 1); i < n.keys.size(); ++i) {
    m |= uint64_t{1} << i;
    if (n.required[i]) break;
  }
  return m;
}

bool RequiredAfter(const JsonNode& n, int32_t last) {
  for (size_t i = static_cast<size_t>(last + 1); i < n.keys.size(); ++i) {
    if (n.required[i]) return true;
  }
  return false;
}

}  // namespace

void JsonMatcher::Step(Stack stack, uint8_t c, std::vector<Stack>* out) const {
  if (stack.empty()) return;  // the value is complete: nothing may follow
  Frame& f = stack.back();
  const JsonNode& n = *f.node;
  auto consumed = [&] { out->push_back(std::move(stack)); };
  auto done = [&] {  // this frame took its last byte
    stack.pop_back();
    out->push_back(std::move(stack));
  };
  auto end_before = [&] {  // complete before c: the parent reads c
    stack.pop_back();
    Step(std::move(stack), c, out);
  };
  auto space = [&] {
    if (!IsSpace(c) || f.spaces >= kMaxSpaces) return false;
    ++f.spaces;
    consumed();
    return true;
  };
  auto phase = [&](uint8_t p) {
    f.phase = p;
    f.spaces = 0;
  };
  // A value of `child` starts with c; this frame continues at phase p after it.
  auto value = [&](const JsonNode* child, uint8_t p) {
    phase(p);
    std::vector<Stack> started;
    Push(std::move(stack), child, &started);
    for (Stack& s : started) Step(std::move(s), c, out);
  };
  switch (n.kind) {
    case Kind::kString: {
      // mask: in a UTF-8 sequence (b > 0), the range of the next byte; in a
      // \u escape, the hex digits so far; kLowNext: a \uD8xx-\uDBxx escape
      // was read and its \uDCxx-\uDFxx partner must follow.
      constexpr uint64_t kLowNext = uint64_t{1} << 63;
      switch (f.phase) {
        case 0:
          if (c == '"') {
            phase(1);
            consumed();
          }
          return;
        case 1:
          if (f.mask & kLowNext) {
            if (c == '\\') {
              phase(2);
              consumed();
            }
            return;
          }
          if (f.b == 0 && c == '"') {
            if (f.a >= n.min_length) done();
            return;
          }
          if (c < 0x20) return;
          if (f.b == 0 && c == '\\') {
            if (f.a >= n.max_length) return;
            ++f.a;
            phase(2);
            consumed();
            return;
          }
          if (f.b > 0) {  // inside a UTF-8 sequence: a continuation byte in range
            const uint8_t lo = static_cast<uint8_t>(f.mask & 0xff);
            const uint8_t hi = static_cast<uint8_t>(f.mask >> 8 & 0xff);
            if (c < lo || c > hi) return;
            --f.b;
            f.mask = 0xBF80;  // later continuations: 80..BF
            consumed();
            return;
          }
          if (c >= 0x80) {  // a multi-byte code point starts (RFC 3629's table)
            int more = 0;
            uint16_t range = 0xBF80;
            if (c >= 0xC2 && c <= 0xDF) {
              more = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
              more = 2;
              if (c == 0xE0) range = 0xBFA0;
              if (c == 0xED) range = 0x9F80;
            } else if (c >= 0xF0 && c <= 0xF4) {
              more = 3;
              if (c == 0xF0) range = 0xBF90;
              if (c == 0xF4) range = 0x8F80;
            } else {
              return;
            }
            f.b = more;
            f.mask = range;
          }
          if (f.a >= n.max_length) return;
          ++f.a;
          consumed();
          return;
        case 2: {
          const bool low_next = (f.mask & kLowNext) != 0;
          if (c == 'u') {
            f.b = 0;
            f.mask = low_next ? kLowNext : 0;
            phase(3);
            consumed();
          } else if (!low_next && (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' ||
                                   c == 'n' || c == 'r' || c == 't')) {
            f.mask = 0;
            phase(1);
            consumed();
          }
          return;
        }
        case 3: {
          if (!IsHex(c)) return;
          const uint64_t v = static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
          const bool low_next = (f.mask & kLowNext) != 0;
          if (low_next) {
            if ((f.b == 0 && v != 0xD) || (f.b == 1 && v < 0xC)) return;
          } else if (f.b == 1 && (f.mask & 0xf) == 0xD && v >= 0xC) {
            return;  // a low surrogate with no high one before it
          }
          f.mask = (f.mask & kLowNext) | ((f.mask & 0xfff) << 4) | v;
          if (++f.b == 4) {
            const uint64_t unit = f.mask & 0xffff;
            f.b = 0;  // (b counts pending UTF-8 bytes again)
            f.mask = !low_next && unit >= 0xD800 && unit <= 0xDBFF ? kLowNext : 0;
            phase(1);
          }
          consumed();
          return;
        }
      }
      return;
    }
    case Kind::kNumber:
    case Kind::kInteger: {
      const bool integer = n.kind == Kind::kInteger;
      // Digits per part stay within what parses exactly (an int64, a double
      // with a two-digit exponent).
      auto to = [&](uint8_t p) {
        const bool digit = IsDigit(c);
        if (p != f.phase) f.a = 0;
        if (digit && ++f.a > (p == 8 ? 2 : 18)) return;
        f.phase = p;
        consumed();
      };
      switch (f.phase) {
        case 0:
          if (c == '-') return to(1);
          [[fallthrough]];
        case 1:
          if (c == '0') return to(3);
          if (c >= '1' && c <= '9') return to(2);
          return;
        case 2:
          if (IsDigit(c)) return to(2);
          [[fallthrough]];
        case 3:
          if (!integer && c == '.') return to(4);
          if (!integer && (c == 'e' || c == 'E')) return to(6);
          return end_before();
        case 4:
          if (IsDigit(c)) return to(5);
          return;
        case 5:
          if (IsDigit(c)) return to(5);
          if (c == 'e' || c == 'E') return to(6);
          return end_before();
        case 6:
          if (c == '+' || c == '-') return to(7);
          [[fallthrough]];
        case 7:
          if (IsDigit(c)) return to(8);
          return;
        case 8:
          if (IsDigit(c)) return to(8);
          return end_before();
      }
      return;
    }
    case Kind::kEnum: {
      uint64_t next = 0;
      bool complete = false;
      for (size_t i = 0; i < n.literals.size(); ++i) {
        if (!(f.mask >> i & 1)) continue;
        const std::string& lit = n.literals[i];
        if (static_cast<size_t>(f.b) < lit.size()) {
          if (static_cast<uint8_t>(lit[static_cast<size_t>(f.b)]) == c) next |= uint64_t{1} << i;
        } else {
          complete = true;
        }
      }
      if (next != 0) {
        f.mask = next;
        ++f.b;
        consumed();
      } else if (complete) {
        end_before();
      }
      return;
    }
    case Kind::kObject:
      switch (f.phase) {
        case 0:
          if (c == '{') {
            f.a = -1;
            phase(1);
            consumed();
          }
          return;
        case 1:  // after '{'
        case 7:  // after ','
          if (space()) return;
          if (c == '}' && f.phase == 1 && (n.free_keys || !RequiredAfter(n, f.a))) return done();
          if (c != '"') return;
          if (n.free_keys) {  // a key of any text: a string frame past its '"'
            phase(4);
            stack.push_back(Frame{grammar_->any()->options[2], 1});
            return consumed();
          }
          f.mask = NextKeys(n, f.a);
          if (f.mask == 0) return;
          f.b = 0;
          phase(3);
          return consumed();
        case 3: {  // inside a listed key
          if (c == '"') {
            for (size_t i = 0; i < n.keys.size(); ++i) {
              if ((f.mask >> i & 1) && static_cast<int32_t>(n.keys[i].size()) == f.b) {
                f.a = static_cast<int32_t>(i);
                phase(4);
                return consumed();
              }
            }
            return;
          }
          uint64_t next = 0;
          for (size_t i = 0; i < n.keys.size(); ++i) {
            if ((f.mask >> i & 1) && static_cast<size_t>(f.b) < n.keys[i].size() &&
                static_cast<uint8_t>(n.keys[i][static_cast<size_t>(f.b)]) == c) {
              next |= uint64_t{1} << i;
            }
          }
          if (next == 0) return;
          f.mask = next;
          ++f.b;
          return consumed();
        }
        case 4:  // after the key
          if (space()) return;
          if (c == ':') {
            phase(5);
            consumed();
          }
          return;
        case 5:  // after ':'
          if (space()) return;
          return value(n.free_keys ? nullptr : n.values[static_cast<size_t>(f.a)], 6);
        case 6:  // after a value
          if (space()) return;
          if (c == '}' && (n.free_keys || !RequiredAfter(n, f.a))) return done();
          if (c == ',' && (n.free_keys || NextKeys(n, f.a) != 0)) {
            phase(7);
            consumed();
          }
          return;
      }
      return;
    case Kind::kArray:
      switch (f.phase) {
        case 0:
          if (c == '[') {
            f.a = 0;
            phase(1);
            consumed();
          }
          return;
        case 1:  // after '['
          if (space()) return;
          if (c == ']') {
            if (n.min_items == 0) done();
            return;
          }
          if (n.max_items == 0) return;
          f.a = 1;
          return value(n.items, 2);
        case 2:  // after an item
          if (space()) return;
          if (c == ']' && f.a >= n.min_items) return done();
          if (c == ',' && f.a < n.max_items) {
            phase(3);
            consumed();
          }
          return;
        case 3:  // after ','
          if (space()) return;
          ++f.a;
          return value(n.items, 2);
      }
      return;
    case Kind::kAny:
    case Kind::kAnyOf:
      return;  // expanded by Push: never on a stack
  }
}

bool JsonMatcher::Feed(uint8_t byte) {
  std::vector<Stack> next;
  for (Stack& s : alts_) Step(std::move(s), byte, &next);
  // Identical alternatives (anyOf options that agree so far) are kept once.
  std::vector<Stack> unique;
  for (Stack& s : next) {
    bool seen = false;
    for (const Stack& u : unique) {
      if (u.size() == s.size() &&
          std::equal(u.begin(), u.end(), s.begin(), [](const Frame& x, const Frame& y) {
            return x.node == y.node && x.phase == y.phase && x.spaces == y.spaces && x.a == y.a &&
                   x.b == y.b && x.mask == y.mask;
          })) {
        seen = true;
        break;
      }
    }
    if (!seen) unique.push_back(std::move(s));
  }
  alts_ = std::move(unique);
  return !alts_.empty();
}

bool JsonMatcher::Feed(std::string_view bytes) {
  for (char c : bytes) {
    if (!Feed(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool JsonMatcher::CanEnd() const {
  for (const Stack& s : alts_) {
    if (s.empty() || (s.size() == 1 && Completable(s.back()))) return true;
  }
  return false;
}

bool JsonMatcher::Done() const {
  for (const Stack& s : alts_) {
    if (!s.empty()) return false;
  }
  return !alts_.empty();
}

bool JsonMatcher::InFreeString(int64_t* room) const {
  if (alts_.size() != 1 || alts_[0].empty()) return false;
  const Frame& f = alts_[0].back();
  if (f.node->kind != Kind::kString || f.phase != 1 || f.b != 0) return false;
  *room = f.node->max_length - f.a;
  return true;
}

}  // namespace kiln::engine
