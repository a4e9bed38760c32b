// What the channel tests share: requests as a platform sends them, and the
// platform side of the encrypted channels (platform_seal.h) under gtest.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/web/channels/platform_seal.h"
#include "web/channels/channel.h"
#include "web/http.h"

namespace kiln::web::channels {

inline Request Post(std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = "POST";
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The sealing helpers of platform_seal.h, checked to have worked.
inline std::string FeishuEncrypt(const std::string& plaintext,
                                 const std::string& encrypt_key = "test key") {
  std::string sealed = FeishuSeal(plaintext, encrypt_key);
  EXPECT_FALSE(sealed.empty());
  return sealed;
}

inline std::string WecomEncrypt(const std::string& msg, const std::string& receiver,
                                const std::string& encoding_aes_key) {
  std::string sealed = WecomSeal(msg, receiver, encoding_aes_key);
  EXPECT_FALSE(sealed.empty());
  return sealed;
}

}  // namespace kiln::web::channels
