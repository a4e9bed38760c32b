// JSON Schema compiled into a byte-level matcher for constrained decoding.
//
// JsonGrammar::Compile takes a schema (the subset tool parameters and
// structured outputs use) and builds a tree of nodes; JsonMatcher walks the
// text a model produces byte by byte and says whether each byte can still
// lead to a value that validates. The token-level constraint
// (token_constraint.h) asks it about whole tokens.
//
// Supported: type (one or a list), object with properties / required /
// additionalProperties (false or absent: only the listed properties, in the
// schema's order, each at most once, the required ones present; a schema with
// no properties accepts any keys), array with items / minItems / maxItems,
// string with minLength / maxLength (code points), number, integer, boolean,
// null, enum, const, anyOf / oneOf (as anyOf), and {} or true for any JSON
// value. Annotations (description, title, default, examples, format) are
// ignored. Anything else that would change what validates (pattern, $ref,
// allOf, not, minimum, ...) is refused with InvalidArgument naming it, so
// that a constrained output always validates against its schema.
//
// The text is compact JSON: no whitespace outside strings except at most
// kMaxSpaces spaces or newlines where JSON allows them.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::engine {

inline constexpr int kMaxSpaces = 2;
inline constexpr int kMaxDepth = 24;

struct JsonNode {
  enum class Kind { kAny, kObject, kArray, kString, kNumber, kInteger, kEnum, kAnyOf };
  Kind kind = Kind::kAny;
  // kObject
  std::vector<std::string> keys;        // in order
  std::vector<const JsonNode*> values;  // parallel to keys
  std::vector<bool> required;           // parallel to keys
  bool free_keys = false;               // no properties listed: any keys, any values
  // kArray
  const JsonNode* items = nullptr;  // null: any values
  int64_t min_items = 0, max_items = INT64_MAX;
  // kString
  int64_t min_length = 0, max_length = INT64_MAX;
  // kEnum: the literals as compact JSON text
  std::vector<std::string> literals;
  // kAnyOf
  std::vector<const JsonNode*> options;
};

class JsonGrammar {
 public:
  // Properties are expected in the schema's own order: pass the schema as
  // parsed into an ordered_json to keep it (a plain json sorts keys).
  static Result<std::shared_ptr<const JsonGrammar>> Compile(const nlohmann::ordered_json& schema);
  static Result<std::shared_ptr<const JsonGrammar>> Compile(const nlohmann::json& schema);
  // A grammar for any JSON object (response_format json_object).
  static std::shared_ptr<const JsonGrammar> AnyObject();
  const JsonNode* root() const { return root_; }
  const JsonNode* any() const { return any_; }

 private:
  JsonGrammar();
  Result<const JsonNode*> Build(const nlohmann::ordered_json& schema, int depth);
  JsonNode* New();

  std::vector<std::unique_ptr<JsonNode>> nodes_;
  const JsonNode* root_ = nullptr;
  const JsonNode* any_ = nullptr;
};

// Where a partly written value stands. Cheap to copy (the token constraint
// copies one per vocabulary branch it explores).
class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonGrammar> grammar);

  // Consumes one byte; false (and the matcher is then unusable: copy first)
  // when no valid value continues with it.
  bool Feed(uint8_t byte);
  bool Feed(std::string_view bytes);
  // The text so far is a complete value (nothing more needs to follow).
  bool CanEnd() const;
  // The value is complete and nothing more may follow.
  bool Done() const;
  // In the body of a string with no closing condition other than its length:
  // the token constraint's fast path. *room is the code points still allowed.
  bool InFreeString(int64_t* room) const;

 private:
  struct Frame {
    const JsonNode* node;
    uint8_t phase = 0;
    int8_t spaces = 0;  // whitespace used at this point
    int32_t a = 0;      // object: index of the last key; array: items; string: code points
    int32_t b = 0;      // key/literal/escape position
    uint64_t mask = 0;  // candidate keys or literals
  };
  using Stack = std::vector<Frame>;

  // Pushes the frames of `node` on `stack`, one stack per anyOf option, into `out`.
  void Push(Stack stack, const JsonNode* node, std::vector<Stack>* out) const;
  // Feeds `c` to one stack, appending what it becomes (0, 1 or more stacks).
  void Step(Stack stack, uint8_t c, std::vector<Stack>* out) const;
  static bool Completable(const Frame& f);

  std::shared_ptr<const JsonGrammar> grammar_;
  std::vector<Stack> alts_;  // the alternatives still alive
};

}  // namespace kiln::engine
