#include "web/channels/channel.h"

#include "web/channels/telegram.h"
#include "web/channels/webhook.h"

namespace kiln::web::channels {

std::vector<std::string> SplitText(std::string_view text, size_t max_chars) {
  std::vector<std::string> pieces;
  if (max_chars == 0) return pieces;
  size_t start = 0;
  while (start < text.size()) {
    // Walk max_chars code points (continuation bytes are 10xxxxxx).
    size_t end = start;
    size_t chars = 0;
    while (end < text.size() && chars < max_chars) {
      ++end;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      ++chars;
    }
    if (end < text.size()) {
      // Prefer a break in the second half: a blank line, a line, a space.
      const std::string_view piece = text.substr(start, end - start);
      for (std::string_view brk : {std::string_view("\n\n"), std::string_view("\n"),
                                   std::string_view(" ")}) {
        const size_t at = piece.rfind(brk);
        if (at != std::string_view::npos && at >= piece.size() / 2) {
          end = start + at + brk.size();
          break;
        }
      }
    }
    std::string part(text.substr(start, end - start));
    while (!part.empty() && (part.back() == '\n' || part.back() == ' ')) part.pop_back();
    if (!part.empty()) pieces.push_back(std::move(part));
    start = end;
  }
  return pieces;
}

const Platform* PlatformFor(std::string_view type) {
  static const WebhookPlatform webhook;
  static const TelegramPlatform telegram;
  if (type == "webhook") return &webhook;
  if (type == "telegram") return &telegram;
  return nullptr;
}

}  // namespace kiln::web::channels
