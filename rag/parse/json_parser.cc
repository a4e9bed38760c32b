// ParseJson: JSON -> blocks of "path: value" text. A top-level array of
// objects is a table (one row per element); anything else becomes one
// paragraph per top-level key or element. Keys keep their document order.
#include <algorithm>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

#include "base/json_text.h"

#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {
namespace {

using Json = nlohmann::ordered_json;

// Flattening recurses once per level; deeper documents are refused up front
// (the nlohmann parser itself is not recursive).
constexpr size_t kMaxDepth = 256;


bool IsScalar(const Json& value) { return !value.is_object() && !value.is_array(); }

// Text of a scalar; "" for null, which is then skipped like an empty cell.
std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

// Appends "path: value" entries for the leaves under `value`, separated by
// `separator`. Objects extend the path with ".key"; arrays of scalars join
// with ", "; other arrays extend it with "[i]". Stops past `max_bytes`.
void Flatten(const std::string& path, const Json& value, std::string_view separator,
             size_t max_bytes, std::string* out) {
  if (out->size() > max_bytes) return;
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      Flatten(path.empty() ? key : path + "." + key, child, separator, max_bytes, out);
    }
    return;
  }
  std::string text;
  if (value.is_array()) {
    const bool scalars = std::all_of(value.begin(), value.end(), IsScalar);
    if (!scalars) {
      for (size_t i = 0; i < value.size(); ++i) {
        Flatten(path + "[" + std::to_string(i) + "]", value[i], separator, max_bytes, out);
      }
      return;
    }
    for (const Json& element : value) {
      const std::string element_text = ScalarText(element);
      if (element_text.empty()) continue;
      if (!text.empty()) text += ", ";
      text += element_text;
      if (text.size() > max_bytes) break;
    }
  } else {
    text = ScalarText(value);
  }
  if (TrimSpace(text).empty()) return;
  if (!out->empty()) out->append(separator);
  if (!path.empty()) out->append(path + ": ");
  out->append(text);
}

// One block per element (as a table row when every element is an object) or
// per top-level key; a scalar document is one paragraph.
void EmitDocument(const Json& doc, BlockSink* sink) {
  std::string text;
  if (doc.is_array()) {
    const bool table = !doc.empty() && std::all_of(doc.begin(), doc.end(),
                                                   [](const Json& v) { return v.is_object(); });
    for (const Json& element : doc) {
      text.clear();
      Flatten("", element, table ? "; " : "\n", sink->remaining(), &text);
      if (!sink->Add(table ? BlockKind::kTableRow : BlockKind::kParagraph, text)) return;
    }
  } else if (doc.is_object()) {
    for (const auto& [key, child] : doc.items()) {
      text.clear();
      Flatten(key, child, "\n", sink->remaining(), &text);
      if (!sink->Add(BlockKind::kParagraph, text)) return;
    }
  } else {
    sink->Add(BlockKind::kParagraph, ScalarText(doc));
  }
}

}  // namespace

Status ParseJson(std::string_view text, BlockSink* sink) {
  if (JsonTextNestsDeeperThan(text, static_cast<int>(kMaxDepth))) {
    return Unprocessable("the JSON nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  // nlohmann::json reports errors by throwing; they stop here.
  try {
    const Json doc = Json::parse(text);
    EmitDocument(doc, sink);
  } catch (const Json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    return Unprocessable("the JSON is invalid at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("not enough memory to parse the JSON");
  } catch (const std::exception& e) {
    return Unprocessable(std::string("the JSON could not be read: ") + e.what());
  }
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
