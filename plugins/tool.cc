#include "plugins/tool.h"

#include "base/utf8.h"

namespace kiln::plugins {

ToolResult MakeToolResult(std::string_view text, size_t max_bytes, bool is_error) {
  ToolResult r;
  r.is_error = is_error;
  std::string valid;
  AppendValidUtf8(text, /*final=*/true, &valid);
  if (valid.size() <= max_bytes) {
    r.output = std::move(valid);
    return r;
  }
  r.truncated = true;
  std::string marker = " [... truncated " + std::to_string(valid.size()) + " bytes in all]";
  size_t keep = max_bytes > marker.size() ? max_bytes - marker.size() : 0;
  // Back up to a character boundary (never inside a UTF-8 sequence).
  while (keep > 0 && (static_cast<uint8_t>(valid[keep]) & 0xC0) == 0x80) --keep;
  r.output = valid.substr(0, keep);
  if (r.output.size() + marker.size() <= max_bytes) r.output += marker;
  return r;
}

bool ValidToolName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string SanitizeToolName(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (ok) {
      if (gap && !out.empty()) out += '_';
      out += c;
      gap = false;
    } else {
      gap = true;
    }
    if (out.size() >= 64) break;
  }
  if (out.size() > 64) out.resize(64);
  return out.empty() ? "tool" : out;
}

}  // namespace kiln::plugins
