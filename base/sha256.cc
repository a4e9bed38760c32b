#include "base/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/check.h"

namespace kiln {

namespace {

std::string Hex(const unsigned char* digest, unsigned int len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string Digest(std::string_view data, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  KILN_CHECK(EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()),
             static_cast<unsigned int>(bytes.size()));
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Digest(data, EVP_sha256())); }

std::string Sha256Bytes(std::string_view data) { return Digest(data, EVP_sha256()); }

std::string Sha1Hex(std::string_view data) { return HexEncode(Digest(data, EVP_sha1())); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  KILN_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
                  &len) != nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  const std::string mac = HmacSha256(key, data);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()),
             static_cast<unsigned int>(mac.size()));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kiln
