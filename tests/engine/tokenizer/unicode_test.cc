#include "engine/tokenizer/internal/unicode.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/internal/pretokenize.h"
#include "engine/tokenizer/internal/wordpiece_tokenizer.h"

namespace kiln::engine::tokenizer_internal {
namespace {

TEST(UnicodeTest, Classes) {
  EXPECT_TRUE(IsLetter('a'));
  EXPECT_TRUE(IsLetter(0x4E2D));  // 中
  EXPECT_TRUE(IsLetter(0xAC00));  // 가
  EXPECT_FALSE(IsLetter('1'));
  EXPECT_TRUE(IsNumber(0x00B2));  // ² (No)
  EXPECT_TRUE(IsNumber(0x0663));  // Arabic-Indic three (Nd)
  EXPECT_TRUE(IsNumber(0x216B));  // Ⅻ (Nl)
  EXPECT_EQ(ClassOf(','), CharClass::kPunct);
  EXPECT_EQ(ClassOf(0x0301), CharClass::kMark);
  EXPECT_EQ(ClassOf(0x200B), CharClass::kControl);  // Cf
  EXPECT_EQ(ClassOf(0x0378), CharClass::kUnassigned);
  EXPECT_EQ(ClassOf(0x1F600), CharClass::kOther);  // So
  EXPECT_TRUE(IsWhitespace(0x3000));
  EXPECT_TRUE(IsWhitespace(0x85));
  EXPECT_FALSE(IsWhitespace(0x200B));
  EXPECT_EQ(ClassOf(0x10FFFF), CharClass::kUnassigned);
  EXPECT_EQ(ClassOf(0x110000), CharClass::kControl);
}

TEST(UnicodeTest, DecodeReplacesEachBadByte) {
  EXPECT_EQ(DecodeUtf8("a\xE4\xB8\xAD"), (std::vector<uint32_t>{'a', 0x4E2D}));
  EXPECT_EQ(DecodeUtf8("\xC0\xAF"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));  // overlong
  EXPECT_EQ(DecodeUtf8("\xED\xA0\x80"), (std::vector<uint32_t>(3, 0xFFFD)));   // surrogate
  EXPECT_EQ(DecodeUtf8("\xF4\x90\x80\x80"), (std::vector<uint32_t>(4, 0xFFFD)));
  EXPECT_EQ(DecodeUtf8("\xE4\xB8"), (std::vector<uint32_t>(2, 0xFFFD)));
}

TEST(UnicodeTest, ValidPrefixHoldsBackOnlyWhatCanComplete) {
  std::string out;
  EXPECT_EQ(AppendValidUtf8("ab\xE4\xB8", false, &out), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(AppendValidUtf8("ab\xE4\xB8", true, &out), 4u);
  EXPECT_EQ(out, "ab\xEF\xBF\xBD");
  out.clear();
  EXPECT_EQ(AppendValidUtf8("\xE0\x80", false, &out), 2u);  // E0 80 can never be valid
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(PreTokenizeTest, Gpt2Splits) {
  const auto words = [](std::string_view s) {
    const auto cpts = DecodeUtf8(s);
    std::vector<std::string> out;
    for (const Span& sp : SplitGpt2(cpts, true)) {
      std::string w;
      for (size_t i = sp.begin; i < sp.end; ++i) AppendUtf8(cpts[i], &w);
      out.push_back(w);
    }
    return out;
  };
  EXPECT_EQ(words("I'm here  now 42!"),
            (std::vector<std::string>{"I", "'m", " here", " ", " now", " ", "4", "2", "!"}));
  EXPECT_EQ(words("a\n\n b"), (std::vector<std::string>{"a", "\n\n", " b"}));
}

TEST(PreTokenizeTest, BertNormalizesAndSplits) {
  EXPECT_EQ(
      BertPreTokenize("H\xC3\xA9llo, \xE4\xB8\x96\xE7\x95\x8C!\x01 \xC3\x85ngstr\xC3\xB6m"),
      (std::vector<std::string>{"hello", ",", "\xE4\xB8\x96", "\xE7\x95\x8C", "!", "angstrom"}));
}

}  // namespace
}  // namespace kiln::engine::tokenizer_internal
