// Validation of JSON values against a JSON Schema (draft 2020-12 subset).
//
// Supported keywords: type (string or list), enum, const, properties, required,
// additionalProperties (bool or schema), minProperties, maxProperties, items,
// minItems, maxItems, uniqueItems, minLength, maxLength (Unicode code points),
// pattern (ECMAScript, searched), minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, anyOf, allOf, oneOf, not. Annotation keywords (description,
// title, default, examples, format, readOnly, $comment) are ignored.
//
// The same schema objects are published in /openapi.json, so what the document
// says and what the server enforces cannot drift. Thread-safe (stateless; the
// compiled regex cache is internally locked).
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/utf8.h"

namespace kiln {

// Returns OK, or InvalidArgument whose param is the path of the first offending
// value ("model_params.top_p", "variables[2].name"; the root is "") and whose
// message says what is wrong ("must be at most 2").
Status ValidateJson(const nlohmann::json& value, const nlohmann::json& schema);

}  // namespace kiln
