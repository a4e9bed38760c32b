#include "web/channels/channel.h"

#include <openssl/evp.h>

#include <cctype>
#include <charconv>

namespace kiln::web::channels {

namespace {

// The units one UTF-8 sequence of `bytes` bytes takes; four-byte sequences
// are the code points past U+FFFF, two UTF-16 units.
size_t UnitsOf(size_t bytes, TextUnit unit) {
  if (unit == TextUnit::kUtf8Bytes) return bytes;
  return bytes >= 4 ? 2 : 1;
}

}  // namespace

std::vector<std::string> SplitText(std::string_view text, size_t max_units, TextUnit unit) {
  std::vector<std::string> pieces;
  if (max_units == 0) return pieces;
  size_t start = 0;
  while (start < text.size()) {
    // Take whole code points (continuation bytes are 10xxxxxx) while they fit.
    size_t end = start;
    size_t units = 0;
    while (end < text.size()) {
      size_t next = end + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) {
        ++next;
      }
      const size_t width = UnitsOf(next - end, unit);
      if (units + width > max_units && end > start) break;
      units += width;
      end = next;
      if (units >= max_units) break;
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

std::string EraseMarkers(std::string_view text, std::string_view prefix, bool (*is_id)(char),
                         std::string_view suffix) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with(prefix)) {
      size_t j = i + prefix.size();
      while (j < text.size() && is_id(text[j])) ++j;
      if (j > i + prefix.size() && text.substr(j).starts_with(suffix)) {
        j += suffix.size();
        while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        i = j;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

Status RequirePost(const Request& request, const char* platform) {
  if (request.method == "POST") return Status::OK();
  return InvalidArgument(std::string(platform) + " sends webhooks as POST only");
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

namespace {

// AES-256-CBC over whole 16-byte blocks with OpenSSL's padding off: each
// caller pads (and checks padding) its own way.
std::optional<std::string> Aes256CbcBlocks(bool encrypt, std::string_view key, std::string_view iv,
                                           std::string_view input) {
  if (key.size() != 32 || iv.size() != 16 || input.empty() || input.size() % 16 != 0) {
    return std::nullopt;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return std::nullopt;
  std::string out(input.size() + 16, '\0');
  int n = 0, tail = 0;
  const bool ok =
      EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), nullptr,
                        reinterpret_cast<const unsigned char*>(key.data()),
                        reinterpret_cast<const unsigned char*>(iv.data()), encrypt ? 1 : 0) == 1 &&
      EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
      EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                       reinterpret_cast<const unsigned char*>(input.data()),
                       static_cast<int>(input.size())) == 1 &&
      EVP_CipherFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &tail) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

}  // namespace

std::optional<std::string> Aes256CbcDecrypt(std::string_view key, std::string_view iv,
                                            std::string_view ciphertext, bool pkcs7) {
  std::optional<std::string> out = Aes256CbcBlocks(/*encrypt=*/false, key, iv, ciphertext);
  if (!out || !pkcs7) return out;
  // Every pad byte must say the pad length.
  const unsigned char pad = static_cast<unsigned char>(out->back());
  if (pad == 0 || pad > 16) return std::nullopt;
  for (size_t i = out->size() - pad; i < out->size(); ++i) {
    if (static_cast<unsigned char>((*out)[i]) != pad) return std::nullopt;
  }
  out->resize(out->size() - pad);
  return out;
}

std::optional<std::string> Aes256CbcEncrypt(std::string_view key, std::string_view iv,
                                            std::string_view plaintext, bool pkcs7) {
  if (!pkcs7) return Aes256CbcBlocks(/*encrypt=*/true, key, iv, plaintext);
  std::string padded(plaintext);
  const size_t pad = 16 - padded.size() % 16;
  padded.append(pad, static_cast<char>(pad));
  return Aes256CbcBlocks(/*encrypt=*/true, key, iv, padded);
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

bool Ed25519Verify(std::string_view public_key, std::string_view signature,
                   std::string_view message) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size());
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

std::string StringOf(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : "";
}

bool BoolOf(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_boolean() && o[key].get<bool>();
}

int64_t IntOf(const nlohmann::json& o, const char* key, int64_t fallback) {
  return o.is_object() && o.contains(key) && o[key].is_number_integer() ? o[key].get<int64_t>()
                                                                        : fallback;
}

int64_t IndexOf(const nlohmann::json& o, const char* key) {
  const int64_t v = IntOf(o, key, -1);
  return v >= 0 && v < (int64_t{1} << 31) ? v : -1;
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
