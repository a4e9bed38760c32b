// Arbitrary JSON validated against a schema that uses every keyword we support.
#include <cstddef>
#include <cstdint>

#include "base/json_schema.h"

namespace {
const nlohmann::json& Schema() {
  static const nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object", "required": ["a"], "additionalProperties": {"type": "integer"},
    "minProperties": 1, "maxProperties": 20,
    "properties": {
      "a": {"type": ["string", "null"], "minLength": 1, "maxLength": 50, "pattern": "^[a-z]+$"},
      "b": {"type": "array", "maxItems": 10, "uniqueItems": true,
            "items": {"anyOf": [{"type": "number", "minimum": -5, "exclusiveMaximum": 5},
                                {"enum": ["x", true, null]}]}},
      "c": {"oneOf": [{"type": "object", "properties": {"d": {"const": 1}}}, {"type": "string"}]},
      "e": {"allOf": [{"type": "integer"}, {"not": {"const": 3}}]}
    }})");
  return schema;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  kiln::Status st = kiln::ValidateJson(doc, Schema());
  if (!st.ok() && st.code() != kiln::StatusCode::kInvalidArgument) __builtin_trap();
  return 0;
}
