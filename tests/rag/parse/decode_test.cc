// DecodeText: UTF-8, UTF-16 with BOM, GB18030, and what is refused.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::Iconv;
using testing::kCorpusDir;
using testing::kCorpusFiles;
using testing::ReadFile;

// Traditional Chinese written for this test (not from the corpus).
constexpr std::string_view kTraditional =
    "臺灣的資訊產業發展迅速，軟體與硬體廠商合作密切。\n"
    "「開放原始碼」社群也日益壯大；許多開發者參與國際專案！";

std::string Decode(std::string_view bytes, std::string* encoding = nullptr) {
  auto text = DecodeText(bytes, encoding);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

TEST(DecodeTextTest, Utf8WithAndWithoutBom) {
  std::string encoding;
  EXPECT_EQ(Decode("hello 世界", &encoding), "hello 世界");
  EXPECT_EQ(encoding, "utf-8");
  EXPECT_EQ(Decode("\xEF\xBB\xBFhello 世界", &encoding), "hello 世界");
  EXPECT_EQ(encoding, "utf-8");
}

TEST(DecodeTextTest, NormalisesLineEndings) {
  EXPECT_EQ(Decode("a\r\nb\rc\n\r\nd"), "a\nb\nc\n\nd");
}

TEST(DecodeTextTest, EmptyInputIsEmptyText) {
  std::string encoding = "unset";
  EXPECT_EQ(Decode("", &encoding), "");
  EXPECT_EQ(encoding, "utf-8");
}

TEST(DecodeTextTest, NullEncodingPointerIsAllowed) {
  auto text = DecodeText("plain", nullptr);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "plain");
}

// Every corpus file, re-encoded as Windows and older Chinese software would
// write it, decodes back to the same text.
TEST(DecodeTextTest, CorpusInUtf16AndGb18030DecodesToTheSameText) {
  for (const std::string& file : kCorpusFiles) {
    const auto utf8 = ReadFile(std::string(kCorpusDir) + "/" + file);
    ASSERT_TRUE(utf8.has_value()) << "missing corpus file " << kCorpusDir << "/" << file
                                  << " (see /work/shared/corpus/README.md)";
    const std::string expected = Decode(*utf8);

    const std::string le = "\xFF\xFE" + Iconv(*utf8, "UTF-8", "UTF-16LE");
    const std::string be = "\xFE\xFF" + Iconv(*utf8, "UTF-8", "UTF-16BE");
    const std::string gb = Iconv(*utf8, "UTF-8", "GB18030");
    ASSERT_GT(le.size(), 2u);
    ASSERT_GT(be.size(), 2u);
    ASSERT_FALSE(gb.empty());

    std::string encoding;
    EXPECT_EQ(Decode(le, &encoding), expected) << file;
    EXPECT_EQ(encoding, "utf-16le");
    EXPECT_EQ(Decode(be, &encoding), expected) << file;
    EXPECT_EQ(encoding, "utf-16be");
    EXPECT_EQ(Decode(gb, &encoding), expected) << file;
    EXPECT_EQ(encoding, "gb18030");
  }
}

TEST(DecodeTextTest, TraditionalChineseInUtf8AndGb18030) {
  std::string encoding;
  EXPECT_EQ(Decode(kTraditional, &encoding), kTraditional);
  EXPECT_EQ(encoding, "utf-8");
  const std::string gb = Iconv(kTraditional, "UTF-8", "GB18030");
  ASSERT_FALSE(gb.empty());
  EXPECT_EQ(Decode(gb, &encoding), kTraditional);
  EXPECT_EQ(encoding, "gb18030");
}

TEST(DecodeTextTest, Utf16SurrogatePairs) {
  // U+1F600 then "a": D83D DE00 0061.
  std::string encoding;
  EXPECT_EQ(Decode(std::string("\xFF\xFE\x3D\xD8\x00\xDE\x61\x00", 8), &encoding),
            "\xF0\x9F\x98\x80"
            "a");
  EXPECT_EQ(Decode(std::string("\xFE\xFF\xD8\x3D\xDE\x00\x00\x61", 8), &encoding),
            "\xF0\x9F\x98\x80"
            "a");
}

void ExpectUndecodable(std::string_view bytes) {
  std::string encoding;
  auto text = DecodeText(bytes, &encoding);
  ASSERT_FALSE(text.ok()) << "decoded as " << encoding;
  EXPECT_EQ(text.status().code(), StatusCode::kUnprocessable);
  EXPECT_NE(text.status().message().find("neither UTF-8"), std::string::npos)
      << text.status().message();
}

TEST(DecodeTextTest, InvalidSequencesAreRefused) {
  ExpectUndecodable("caf\xE9 au lait, na\xEFve r\xE9sum\xE9 ");  // Windows-1252
  ExpectUndecodable("\x80 leading continuation byte");
  ExpectUndecodable("ends in a lone lead byte \xFF");
  // GB18030 for 中文 followed by half of another character.
  ExpectUndecodable(Iconv("中文内容", "UTF-8", "GB18030") + "\xD6");
  // Lone surrogates and an odd byte count after a UTF-16 BOM.
  ExpectUndecodable(std::string("\xFF\xFE\x00\xD8\x61\x00", 6));
  ExpectUndecodable(std::string("\xFE\xFF\xDC\x00\x00\x61", 6));
  ExpectUndecodable(std::string("\xFF\xFE\x61\x00\x62", 5));
  // Invalid UTF-8 after a UTF-8 BOM is not reinterpreted.
  ExpectUndecodable("\xEF\xBB\xBF\xC3\x28");
}

TEST(DecodeTextTest, DecodableButImplausibleGb18030IsRefused) {
  // Korean text encodes into four-byte GB18030 codes: decodable, but not
  // plausible as Chinese, so it is not silently accepted as such.
  const std::string gb = Iconv("안녕하세요 세계 여러분 반갑습니다", "UTF-8", "GB18030");
  ASSERT_FALSE(gb.empty());
  ExpectUndecodable(gb);
}

TEST(DecodeTextTest, InvalidUtf8IsNotReportedAsUtf8) {
  // An overlong '/' is invalid UTF-8; whatever happens, it is not UTF-8.
  std::string encoding;
  auto text = DecodeText(
      "path\xC0\xAF"
      "etc",
      &encoding);
  if (text.ok()) {
    EXPECT_EQ(encoding, "gb18030");
  }
}

void ExpectNotText(std::string_view bytes) {
  auto text = DecodeText(bytes, nullptr);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kUnprocessable);
  EXPECT_EQ(text.status().message().rfind("the file is not text", 0), 0u)
      << text.status().message();
}

TEST(DecodeTextTest, BinaryJunkIsRefused) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::string junk(64 + rng() % 4000, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    ExpectNotText(junk);
  }
  ExpectNotText(std::string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\x00", 20));
  ExpectNotText(
      std::string("\x7f"
                  "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>",
                  19));
  ExpectNotText(std::string("text with a NUL\0 inside", 23));
  ExpectNotText("mostly \x01\x02\x03\x04\x05\x06\x07\x08 control \x0e\x0f\x10\x11\x12");
  ExpectNotText("%PDF-1.7\n1 0 obj\n<< >>\nendobj\n");
  ExpectNotText("PK\x03\x04 not a text file");
}

TEST(DecodeTextTest, AFewControlCharactersAreTolerated) {
  std::string text(2000, 'a');
  text[100] = '\x1b';  // an escape sequence in a log file
  text[900] = '\f';
  text[901] = '\t';
  EXPECT_EQ(Decode(text), text);
}

}  // namespace
}  // namespace kiln::rag
