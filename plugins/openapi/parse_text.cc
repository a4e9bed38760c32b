// ParseOpenApiText: size, encoding and nesting checks, then JSON or YAML.
#include <string>

#include "base/utf8.h"
#include "plugins/openapi/internal/text.h"
#include "plugins/openapi/openapi.h"

namespace kiln::plugins {
namespace internal {


std::string LineColumn(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // counts characters, not UTF-8 continuation bytes
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace internal

namespace {

// Offset of the first byte that is not part of valid UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    if (DecodeUtf8(text, &pos) == kReplacementChar &&
        text.substr(start, pos - start) != "\xEF\xBF\xBD") {
      return start;
    }
  }
  return std::string_view::npos;
}

// JSON opens with '[' or with '{' and a quoted key. `{openapi: 3.1.0}` is
// YAML's flow style, read as YAML; deciding up front (rather than trying YAML
// after JSON fails) keeps JSON's errors, since YAML would accept much broken JSON.
bool LooksLikeJson(std::string_view text) {
  if (text.front() == '[') return true;
  if (text.front() != '{') return false;
  const size_t next = text.find_first_not_of(" \t\r\n", 1);
  return next == std::string_view::npos || text[next] == '"' || text[next] == '}';
}

Result<nlohmann::json> ParseJson(std::string_view text) {
  if (JsonTextNestsDeeperThan(text, kMaxOpenApiNesting)) {
    return InvalidArgument("the document nests arrays and objects deeper than " +
                           std::to_string(kMaxOpenApiNesting) + " levels");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string detail = e.what();
    const size_t colon = detail.find(": ");
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    return InvalidArgument("the document is not valid JSON (" +
                           internal::LineColumn(text, e.byte > 0 ? e.byte - 1 : 0) +
                           "): " + detail);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("the document is not valid JSON: ") + e.what());
  }
}

}  // namespace

Result<nlohmann::json> ParseOpenApiText(std::string_view text) {
  if (text.size() > kMaxOpenApiDocumentBytes) {
    return InvalidArgument("the document is " + std::to_string(text.size()) + " bytes; at most " +
                           std::to_string(kMaxOpenApiDocumentBytes) + " bytes (2 MB) are accepted");
  }
  if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
    return InvalidArgument("the document is not valid UTF-8 (" + internal::LineColumn(text, bad) +
                           ", byte " + std::to_string(bad) + ")");
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a byte order mark
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return InvalidArgument("the document is empty");

  Result<nlohmann::json> doc = LooksLikeJson(text.substr(first))
                                   ? ParseJson(text)
                                   : internal::YamlToJson(text, kMaxOpenApiNesting);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return InvalidArgument("the document must be a JSON object or a YAML mapping, not " +
                           std::string(doc->type_name()));
  }
  return doc;
}

}  // namespace kiln::plugins
