// Python semantics over template values (ast.h's Value): truthiness, str(),
// repr(), json.dumps as Hugging Face's `tojson` calls it, equality, ordering and
// code-point string indexing. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/chat/internal/ast.h"

namespace kiln::engine::chat::internal {

// Render-time caps: a template is untrusted input (it comes from a model file).
inline constexpr size_t kMaxOutputBytes = 4 << 20;
inline constexpr int64_t kMaxLoopIterations = 100'000;
inline constexpr int64_t kMaxSteps = 10'000'000;  // nodes executed + expressions evaluated
inline constexpr int kMaxCallDepth = 32;

inline Value Undefined() { return Value(Value::value_t::discarded); }
inline bool IsUndefined(const Value& v) { return v.is_discarded(); }

bool Truthy(const Value& v);
bool IsInt(const Value& v);  // integers and booleans, as in Python
int64_t AsInt(const Value& v);
double AsDouble(const Value& v);

std::string ToStr(const Value& v);  // Python str(); Undefined renders ""
std::string Repr(const Value& v);   // Python repr()
std::string FloatRepr(double d);
// Python json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=sort_keys);
// indent < 0 means None. Fails on Undefined.
Status ToJson(const Value& v, int indent, bool sort_keys, std::string* out);

bool Equals(const Value& a, const Value& b);
// Python a < b; TypeError (as InvalidArgument) across unrelated types.
Status Less(const Value& a, const Value& b, bool* out);

// A string as code points (each a UTF-8 substring), so that length, indexing
// and slicing count characters the way Python does.
std::vector<std::string> CodePoints(std::string_view s);

std::string TypeName(const Value& v);
Status TypeError(std::string_view what);

}  // namespace kiln::engine::chat::internal
