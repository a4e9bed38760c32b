// The helpers every channel platform leans on, against published values where
// there are some: SHA-1 (FIPS 180 examples), Ed25519 and AES-256-CBC (the
// spec's Discord and Feishu vectors), hex; and the text rules: answers cut in
// the unit a platform counts without ever splitting a character, mention
// markers erased without a regex, signed timestamps in their window.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/base64.h"
#include "base/sha256.h"
#include "base/utf8.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

size_t Utf16Units(const std::string& s) {
  size_t n = 0;
  for (uint32_t cp : DecodeUtf8(s)) n += cp > 0xFFFF ? 2 : 1;
  return n;
}

bool ValidUtf8(const std::string& s) {
  std::string copy;
  return AppendValidUtf8(s, /*final=*/true, &copy) == s.size() && copy == s;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(SplitText, CountsUtf16UnitsSoEmojiTakeTwo) {
  const std::string grin = "\xF0\x9F\x98\x80";  // U+1F600: 4 bytes, 2 UTF-16 units
  auto pieces = SplitText(Repeat(grin, 9), 5);
  ASSERT_EQ(pieces.size(), 5u);  // 2 + 2 + 2 + 2 + 1 emoji
  for (size_t i = 0; i + 1 < pieces.size(); ++i) EXPECT_EQ(Utf16Units(pieces[i]), 4u);
  EXPECT_EQ(pieces.back(), grin);
  // A limit narrower than one character still moves on, a character at a time.
  pieces = SplitText(Repeat(grin, 3), 1);
  EXPECT_EQ(pieces, std::vector<std::string>(3, grin));
  // BMP text: one unit a character, whatever its UTF-8 length.
  pieces = SplitText(Repeat("é字", 10), 4);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0], "é字é字");
}

TEST(SplitText, CountsBytesWithoutCuttingAMultiByteCharacter) {
  const std::string zh = Repeat("好", 1000);  // 3,000 bytes
  auto pieces = SplitText(zh, 2048, TextUnit::kUtf8Bytes);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].size(), 2046u);  // 682 characters: the 683rd would pass 2,048
  EXPECT_EQ(pieces[0] + pieces[1], zh);
  pieces = SplitText(std::string(5000, 'a'), 2048, TextUnit::kUtf8Bytes);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].size(), 2048u);
  EXPECT_EQ(pieces[2].size(), 904u);
  // A break in the second half is still preferred.
  pieces =
      SplitText(std::string(1500, 'a') + "\n" + std::string(1000, 'b'), 2048, TextUnit::kUtf8Bytes);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], std::string(1500, 'a'));
}

// Random text of 1- to 4-byte characters (no spaces, so nothing is trimmed):
// at every awkward limit, each piece is whole UTF-8 within the limit and the
// pieces put together give the text back.
TEST(SplitText, NeverSplitsACodePointAtAnyLimit) {
  const std::vector<std::string> alphabet = {
      "a", "Z", "7", "é", "ж", "字", "好", "€", "\xF0\x9F\x98\x80", "\xF0\x9F\x8D\x8E"};
  std::mt19937 rng(9);
  std::string text;
  for (int i = 0; i < 700; ++i) text += alphabet[rng() % alphabet.size()];
  for (TextUnit unit : {TextUnit::kUtf16, TextUnit::kUtf8Bytes}) {
    for (size_t limit : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 255, 1023}) {
      std::string back;
      for (const std::string& piece : SplitText(text, limit, unit)) {
        ASSERT_TRUE(ValidUtf8(piece)) << limit;
        const size_t size = unit == TextUnit::kUtf16 ? Utf16Units(piece) : piece.size();
        if (Utf8Length(piece) > 1) {
          EXPECT_LE(size, limit);
        }
        back += piece;
      }
      EXPECT_EQ(back, text) << limit;
    }
  }
}

bool IsUpperOrDigit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

TEST(EraseMarkers, ErasesEachMarkerAndTheSpaceAfterIt) {
  EXPECT_EQ(EraseMarkers("<@U0BOT> summarize", "<@", IsUpperOrDigit, ">"), "summarize");
  EXPECT_EQ(EraseMarkers("hi <@U1> and <@U2>\tyou", "<@", IsUpperOrDigit, ">"), "hi and you");
  // Not markers: no id, an id of other characters, no closing suffix.
  EXPECT_EQ(EraseMarkers("<@> <@u1> <@U1", "<@", IsUpperOrDigit, ">"), "<@> <@u1> <@U1");
  EXPECT_EQ(EraseMarkers(
                "@_user_12 在吗", "@_user_", [](char c) { return c >= '0' && c <= '9'; }, ""),
            "在吗");
}

// std::regex recursed once a character here and overflowed the stack at about
// 40,000 spaces (a message a user can send).
TEST(EraseMarkers, ALongRunAfterAMarkerDoesNotOverflowTheStack) {
  const std::string text = "<@U0BOT>" + std::string(400000, ' ') + "x";
  EXPECT_EQ(EraseMarkers(text, "<@", IsUpperOrDigit, ">"), "x");
  const std::string ids = "<@" + std::string(400000, 'A') + "> x";
  EXPECT_EQ(EraseMarkers(ids, "<@", IsUpperOrDigit, ">"), "x");
}

TEST(Crypto, Sha1HexMatchesThePublishedExamples) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Crypto, HexDecodeTakesEitherCaseAndNothingElse) {
  EXPECT_EQ(HexDecode("00ff7Fa0"), std::string("\x00\xff\x7f\xa0", 4));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(HexDecode("0x").has_value());
}

TEST(Crypto, Ed25519VerifiesTheSpecsDiscordVectorOnly) {
  const std::string key =
      *HexDecode("8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  const std::string sig = *HexDecode(
      "9ef52e0980512fc86504213828935ead2d8ad69632af84e31aae7c0a1593a04f"
      "81779d871c1d68240dce56038c60788e51e59a6c3f14c72a4183c785b1e8b70e");
  const std::string message = std::string("1700000000") + R"({"type":1})";
  EXPECT_TRUE(Ed25519Verify(key, sig, message));
  std::string flipped = message;
  flipped.back() ^= 1;
  EXPECT_FALSE(Ed25519Verify(key, sig, flipped));
  std::string bad_sig = sig;
  bad_sig[10] ^= 1;
  EXPECT_FALSE(Ed25519Verify(key, bad_sig, message));
  std::string other_key = key;
  other_key[0] ^= 1;
  EXPECT_FALSE(Ed25519Verify(other_key, sig, message));
  EXPECT_FALSE(Ed25519Verify(key, sig.substr(0, 63), message));
  EXPECT_FALSE(Ed25519Verify(key.substr(0, 31), sig, message));
}

TEST(Crypto, AesCbcDecryptsTheSpecsFeishuVectorAndRoundTrips) {
  const std::string key = Sha256Bytes("test key");
  const std::string raw = *Base64Decode("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  const std::string iv = raw.substr(0, 16);
  EXPECT_EQ(Aes256CbcDecrypt(key, iv, raw.substr(16), /*pkcs7=*/true), "hello world");
  // Without unpadding, the 5 bytes of 0x05 are still there.
  EXPECT_EQ(Aes256CbcDecrypt(key, iv, raw.substr(16), /*pkcs7=*/false),
            "hello world" + std::string(5, '\x05'));
  // Encrypting the same plaintext under the same iv gives the vector back.
  EXPECT_EQ(Aes256CbcEncrypt(key, iv, "hello world", /*pkcs7=*/true), raw.substr(16));
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 255}) {
    const std::string plain(n, 'p');
    const auto ct = Aes256CbcEncrypt(key, iv, plain, /*pkcs7=*/true);
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ct->size(), (n / 16 + 1) * 16);  // a whole block of padding when aligned
    EXPECT_EQ(Aes256CbcDecrypt(key, iv, *ct, /*pkcs7=*/true), plain);
  }
}

TEST(Crypto, AesCbcRefusesBadSizesAndBadPadding) {
  const std::string key(32, 'k'), iv(16, 'i');
  EXPECT_FALSE(Aes256CbcDecrypt(key, iv, std::string(15, 'c'), true).has_value());
  EXPECT_FALSE(Aes256CbcDecrypt(key, iv, "", true).has_value());
  EXPECT_FALSE(Aes256CbcDecrypt(key.substr(1), iv, std::string(16, 'c'), true).has_value());
  EXPECT_FALSE(Aes256CbcDecrypt(key, iv.substr(1), std::string(16, 'c'), true).has_value());
  EXPECT_FALSE(Aes256CbcEncrypt(key, iv, std::string(17, 'p'), /*pkcs7=*/false).has_value());
  // A block whose last byte is not a consistent pad length (0x11 and 0x00).
  for (char last : {'\x11', '\x00'}) {
    std::string block(16, 'x');
    block.back() = last;
    const auto ct = Aes256CbcEncrypt(key, iv, block, /*pkcs7=*/false);
    ASSERT_TRUE(ct.has_value());
    EXPECT_FALSE(Aes256CbcDecrypt(key, iv, *ct, /*pkcs7=*/true).has_value());
  }
  // "...\x02\x02\x03": the pad length is 3 but two pad bytes say 2.
  std::string block(13, 'x');
  block += "\x02\x02\x03";
  EXPECT_FALSE(
      Aes256CbcDecrypt(key, iv, *Aes256CbcEncrypt(key, iv, block, false), true).has_value());
}

TEST(CheckTimestamp, UnixSecondsWithinTheWindowEitherWay) {
  const int64_t now = 1700000000;
  EXPECT_TRUE(CheckTimestamp("1700000000", now, 300, "T").ok());
  EXPECT_TRUE(CheckTimestamp("1700000300", now, 300, "T").ok());
  EXPECT_TRUE(CheckTimestamp("1699999700", now, 300, "T").ok());
  for (const char* bad : {"1700000301", "1699999699", "", " 1700000000", "1700000000 ",
                          "+1700000000", "1.7e9", "0x6553f100", "1700000000000"}) {
    const Status s = CheckTimestamp(bad, now, 300, "X-Test-Timestamp");
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << bad;
    EXPECT_NE(s.message().find("X-Test-Timestamp"), std::string::npos);
  }
}

TEST(ByteOfUtf16, MapsUnitsToBytesAndRefusesTheMiddleOfAPair) {
  const std::string s =
      "a\xF0\x9F\x98\x80"
      "b字";  // a, U+1F600 (2 units), b, 字
  EXPECT_EQ(ByteOfUtf16(s, 0), 0u);
  EXPECT_EQ(ByteOfUtf16(s, 1), 1u);
  EXPECT_EQ(ByteOfUtf16(s, 2), std::string::npos);  // inside the surrogate pair
  EXPECT_EQ(ByteOfUtf16(s, 3), 5u);
  EXPECT_EQ(ByteOfUtf16(s, 4), 6u);
  EXPECT_EQ(ByteOfUtf16(s, 5), 9u);
  EXPECT_EQ(ByteOfUtf16(s, 6), std::string::npos);
  EXPECT_EQ(ByteOfUtf16(s, -1), std::string::npos);
}

}  // namespace
}  // namespace kiln::web::channels
