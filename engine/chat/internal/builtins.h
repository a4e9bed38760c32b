// Built-in filters, tests, methods and global functions of the Jinja subset,
// with the semantics jinja2 3.1 (and Python's str/dict methods) give them.
// `tojson` follows Hugging Face's override: json.dumps(ensure_ascii=False).
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/chat/internal/ast.h"

namespace kiln::engine::chat::internal {

struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;

  // The argument at position `i` or passed as `name`, or nullptr.
  const Value* Get(size_t i, std::string_view name) const;
};

// Parse-time checks, so that an unknown name fails when the template loads.
bool IsKnownFilter(std::string_view name);
bool IsKnownTest(std::string_view name);

// filters.cc
Status ApplyFilter(std::string_view name, const Value& input, const Args& args, Value* out);

// functions.cc
Status ApplyTest(std::string_view name, const Value& input, const Args& args, bool* out);
// Methods of strings (`.strip()`, `.split()`, ...) and dicts (`.items()`, `.get()`, ...).
// Sets *found to false, leaving *out alone, when `obj` has no such method.
Status CallMethod(const Value& obj, std::string_view name, const Args& args, Value* out,
                  bool* found);
// range, namespace, dict, raise_exception, strftime_now. *found as above.
Status CallGlobal(std::string_view name, const Args& args, Value* out, bool* found);

// obj.name / obj[key] with Jinja's lookup rules; Undefined when missing.
Value GetItem(const Value& obj, const Value& key);
// "a.b.0" as selectattr/map/sort take it.
Value GetAttrPath(const Value& obj, std::string_view path);

}  // namespace kiln::engine::chat::internal
