// The platform side of the encrypted channels, without a test framework (the
// unit tests and the fuzz harness both use it): Feishu and WeCom encrypt and
// sign their deliveries, and the tests do the same to feed the receivers.
// Each gives "" where the encryption fails (a bad key).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/base64.h"
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {

// Feishu's {"encrypt": ...} text: base64(iv | AES-256-CBC under
// SHA-256(encrypt_key), PKCS#7).
inline std::string FeishuSeal(const std::string& plaintext, const std::string& encrypt_key) {
  const std::string iv(16, '\x42');
  const auto ct = Aes256CbcEncrypt(Sha256Bytes(encrypt_key), iv, plaintext, /*pkcs7=*/true);
  return ct ? Base64Encode(iv + *ct) : "";
}

// WeCom's Encrypt text: base64 of AES-256-CBC (key base64(EncodingAESKey +
// "="), iv its first 16 bytes) over random(16) | msg_len (4 bytes, network
// order) | msg | receiveid, padded PKCS#7-style to a multiple of 32 bytes.
inline std::string WecomSeal(const std::string& msg, const std::string& receiver,
                             const std::string& encoding_aes_key) {
  const std::string key = Base64Decode(encoding_aes_key + "=").value_or("");
  std::string plain(16, 'r');
  const uint32_t len = static_cast<uint32_t>(msg.size());
  for (int shift = 24; shift >= 0; shift -= 8) plain += static_cast<char>((len >> shift) & 255);
  plain += msg + receiver;
  const size_t pad = 32 - plain.size() % 32;
  plain.append(pad, static_cast<char>(pad));
  const auto ct = Aes256CbcEncrypt(key, std::string_view(key).substr(0, 16), plain,
                                   /*pkcs7=*/false);
  return ct ? Base64Encode(*ct) : "";
}

// WeCom's msg_signature: SHA-1 of the sorted parts, concatenated.
inline std::string WecomSig(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string all;
  for (const std::string& p : parts) all += p;
  return Sha1Hex(all);
}

}  // namespace kiln::web::channels
