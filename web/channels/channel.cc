#include "web/channels/channel.h"

#include <openssl/evp.h>

#include <charconv>

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
      for (std::string_view brk :
           {std::string_view("\n\n"), std::string_view("\n"), std::string_view(" ")}) {
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

Status CheckTimestamp(std::string_view value, int64_t now, int64_t window, const char* header) {
  int64_t t = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
      value.size() > 12) {
    return Unauthenticated(std::string(header) + " must be unix seconds");
  }
  if (t < now - window || t > now + window) {
    return Unauthenticated(std::string(header) + " is more than " + std::to_string(window) +
                           " s away from the server's clock");
  }
  return Status::OK();
}

std::optional<std::string> Aes256CbcDecrypt(std::string_view key, std::string_view iv,
                                            std::string_view ciphertext, bool pkcs7) {
  if (key.size() != 32 || iv.size() != 16 || ciphertext.empty() || ciphertext.size() % 16 != 0) {
    return std::nullopt;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return std::nullopt;
  std::string out(ciphertext.size() + 16, '\0');
  int n = 0, tail = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(iv.data())) == 1 &&
      EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                        reinterpret_cast<const unsigned char*>(ciphertext.data()),
                        static_cast<int>(ciphertext.size())) == 1 &&
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &tail) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  out.resize(static_cast<size_t>(n + tail));
  if (pkcs7) {
    // Checked by hand (padding off above): every pad byte must say the pad length.
    const unsigned char pad = out.empty() ? 0 : static_cast<unsigned char>(out.back());
    if (pad == 0 || pad > 16 || pad > out.size()) return std::nullopt;
    for (size_t i = out.size() - pad; i < out.size(); ++i) {
      if (static_cast<unsigned char>(out[i]) != pad) return std::nullopt;
    }
    out.resize(out.size() - pad);
  }
  return out;
}

std::string Sha256Bytes(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string StringOf(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : "";
}

size_t ByteOfUtf16(std::string_view s, int64_t units) {
  if (units < 0) return std::string_view::npos;
  int64_t seen = 0;
  size_t i = 0;
  while (i < s.size() && seen < units) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    seen += len == 4 ? 2 : 1;
    i += len;
  }
  return seen == units && i <= s.size() ? i : std::string_view::npos;
}

const Platform* PlatformFor(std::string_view type) {
  if (type == "webhook") return WebhookPlatform();
  if (type == "telegram") return TelegramPlatform();
  if (type == "slack") return SlackPlatform();
  if (type == "line") return LinePlatform();
  if (type == "discord") return DiscordPlatform();
  if (type == "feishu") return FeishuPlatform();
  if (type == "wecom") return WecomPlatform();
  return nullptr;
}

}  // namespace kiln::web::channels
