#include "base/base64.h"
#include "base/random.h"

#include <gtest/gtest.h>

#include <set>

#include "base/sha256.h"

namespace kiln {
namespace {

TEST(Random, AlnumHasLengthAndAlphabet) {
  std::string s = RandomAlnum(1000);
  ASSERT_EQ(s.size(), 1000u);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  EXPECT_NE(RandomAlnum(32), RandomAlnum(32));
}

TEST(Random, IdsAreUniqueAndSortByCreation) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 2000; ++i) {
    std::string id = NewId("bot");
    ASSERT_EQ(id.rfind("bot_", 0), 0u);
    ASSERT_EQ(id.size(), 4u + 10 + 12);
    EXPECT_TRUE(seen.insert(id).second);
    // Regression: ids made within one millisecond sorted by their random tail.
    EXPECT_GT(id, previous) << "ids sort in creation order";
    previous = id;
  }
}

TEST(Sha256, HmacKnownVectors) {
  // RFC 4231 test cases 1 and 2, and Slack's signature vector from
  // ../shared/specs/channels.md.
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256Hex("test_signing_secret",
                          "v0:1700000000:{\"type\":\"url_verification\",\"token\":\"tkn\","
                          "\"challenge\":\"abc123\"}"),
            "3f16ee536ebca8da48f6167b29f143bf2ea349d7cdb36692424735c742108c07");
}

TEST(Base64, EncodesAndDecodesStrictly) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm9vYmE=").value(), "fooba");
  EXPECT_EQ(Base64Decode("Zg==").value(), "f");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)).value(), all);
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v\n", "Zm9-", "=Zm9"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
  // LINE's signature vector (../shared/specs/channels.md section 7).
  EXPECT_EQ(Base64Encode(HmacSha256("test_channel_secret",
                                    R"({"destination":"U00000000000000000000000000000000","events":[]})")),
            "8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA=");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace kiln
