#include "plugins/mcp/internal/content.h"

#include "base/utf8.h"
#include "plugins/mcp/internal/jsonrpc.h"

namespace kiln::plugins::mcp_internal {
namespace {

using nlohmann::json;

// The string member `key` of `object`, or "" (also for non-objects).
std::string StringField(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Decoded size of base64 text, near enough for a description.
std::string Base64Size(const json& object, const char* key) {
  const std::string data = StringField(object, key);
  return std::to_string(data.size() / 4 * 3) + " bytes";
}

std::string Quoted(const std::string& text) { return QuoteForMessage(text, 200); }

// " (mime)" or "".
std::string MimeSuffix(const json& object) {
  const std::string mime = StringField(object, "mimeType");
  return mime.empty() ? "" : " (" + Quoted(mime) + ")";
}

// The text a content item contributes: its text, or the text of an embedded
// text resource after a line naming it; empty for everything else.
bool ItemText(const json& item, std::string* text) {
  const std::string type = StringField(item, "type");
  if (type == "text" && item.contains("text") && item["text"].is_string()) {
    *text = item["text"].get<std::string>();
    return true;
  }
  if (type == "resource" && item.contains("resource")) {
    const json& resource = item["resource"];
    if (resource.is_object() && resource.contains("text") && resource["text"].is_string()) {
      *text = "[resource: " + Quoted(StringField(resource, "uri")) + MimeSuffix(resource) + "]\n" +
              resource["text"].get<std::string>();
      return true;
    }
  }
  return false;
}

}  // namespace

std::string CutUtf8(std::string_view text, size_t max_bytes) {
  std::string valid;
  AppendValidUtf8(text.substr(0, std::min(text.size(), max_bytes + 4)), /*final=*/true, &valid);
  if (valid.size() <= max_bytes) return valid;
  size_t keep = max_bytes;
  while (keep > 0 && (static_cast<uint8_t>(valid[keep]) & 0xC0) == 0x80) --keep;
  valid.resize(keep);
  return valid;
}

std::string DescribeContent(const json& item) {
  const std::string type = StringField(item, "type");
  if (type == "image" || type == "audio") {
    const std::string mime = StringField(item, "mimeType");
    return "[" + type + ": " + (mime.empty() ? "unknown type" : Quoted(mime)) + ", " +
           Base64Size(item, "data") + "]";
  }
  if (type == "resource") {
    const json empty = json::object();
    const json& resource = item.contains("resource") ? item["resource"] : empty;
    std::string line = "[resource: " + Quoted(StringField(resource, "uri")) + MimeSuffix(resource);
    if (resource.is_object() && resource.contains("blob")) line += ", " + Base64Size(resource, "blob");
    return line + "]";
  }
  if (type == "resource_link") {
    std::string line = "[resource link: " + Quoted(StringField(item, "name"));
    const std::string uri = StringField(item, "uri");
    if (!uri.empty()) line += " <" + Quoted(uri) + ">";
    const std::string description = StringField(item, "description");
    if (!description.empty()) line += ": " + Quoted(description);
    return line + "]";
  }
  if (type == "text") return "[text content without text]";
  if (type.empty()) return "[content item of unknown kind]";
  return "[" + Quoted(type) + " content]";
}

ToolResult ToolResultFromMcp(const json& result, size_t max_bytes) {
  if (!result.is_object()) {
    return MakeToolResult("[the MCP server answered with " + QuoteForMessage(DumpJson(result), 200) +
                              " instead of a tool result]",
                          max_bytes, /*is_error=*/true);
  }
  const bool is_error = result.contains("isError") && result["isError"].is_boolean() &&
                        result["isError"].get<bool>();
  std::string out;
  bool any_text = false;
  auto append_line = [&out](const std::string& piece) {
    if (!out.empty()) out += '\n';
    out += piece;
  };
  auto content = result.find("content");
  if (content != result.end() && content->is_array()) {
    for (const json& item : *content) {
      std::string text;
      if (ItemText(item, &text)) {
        append_line(text);
        any_text = true;
      } else {
        append_line(DescribeContent(item));
      }
    }
  }
  auto structured = result.find("structuredContent");
  if (!any_text && structured != result.end() && !structured->is_null()) {
    append_line(DumpJson(*structured));
  }
  if (out.empty()) out = "(the tool returned no content)";
  return MakeToolResult(out, max_bytes, is_error);
}

}  // namespace kiln::plugins::mcp_internal
