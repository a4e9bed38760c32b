// The full-text tokenizer's rules (storage/fulltext_tokens.h): CJK bigrams,
// folded words, byte offsets, and hostile bytes.
#include "storage/fulltext_tokens.h"

#include <gtest/gtest.h>

#include <random>

namespace kiln::storage {
namespace {

std::vector<std::string> Texts(std::string_view text) {
  std::vector<std::string> out;
  ForEachFullTextToken(text, [&](const FullTextToken& t) { out.push_back(t.text); });
  return out;
}

TEST(FullTextTokens, ChineseRunsBecomeBigrams) {
  EXPECT_EQ(Texts("大模型。"), (std::vector<std::string>{"大模", "模型"}));
  // Punctuation separates runs; a run of one character is a token alone.
  EXPECT_EQ(Texts("猫，大模型"), (std::vector<std::string>{"猫", "大模", "模型"}));
  // Kana and hangul are runs too.
  EXPECT_EQ(Texts("カタカナ"), (std::vector<std::string>{"カタ", "タカ", "カナ"}));
}

TEST(FullTextTokens, WordsAreFoldedAndCut) {
  EXPECT_EQ(Texts("GPT-3 训练 Café ÉCOLE Москва ＡＩ２"),
            (std::vector<std::string>{"gpt", "3", "训练", "café", "école", "москва", "ai2"}));
  EXPECT_EQ(Texts("AI大模型"), (std::vector<std::string>{"ai", "大模", "模型"}));
  const std::string long_word(200, 'x');
  auto tokens = Texts(long_word + " y");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].size(), kMaxWordBytes);
  EXPECT_EQ(tokens[1], "y");
}

TEST(FullTextTokens, PluralsAreFolded) {
  EXPECT_EQ(Texts("batteries boxes Kettles glass status cats was shoes"),
            (std::vector<std::string>{"battery", "boxe", "kettle", "glass", "status", "cat", "was",
                                      "shoe"}));
  EXPECT_EQ(Texts("30s cafés"), (std::vector<std::string>{"30s", "cafés"}));  // ASCII letters only
}

TEST(FullTextTokens, OffsetsPointIntoTheInput) {
  const std::string text = "Hi 大模型!";
  std::vector<FullTextToken> tokens;
  ForEachFullTextToken(text, [&](const FullTextToken& t) { tokens.push_back(t); });
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(text.substr(tokens[0].begin, tokens[0].end - tokens[0].begin), "Hi");
  EXPECT_EQ(text.substr(tokens[1].begin, tokens[1].end - tokens[1].begin), "大模");
  EXPECT_EQ(text.substr(tokens[2].begin, tokens[2].end - tokens[2].begin), "模型");
  EXPECT_EQ(tokens[1].kind, TokenKind::kCjkPair);
  EXPECT_EQ(tokens[0].kind, TokenKind::kWord);
}

TEST(FullTextTokens, InvalidBytesSeparateAndNeverEscapeTheInput) {
  EXPECT_EQ(Texts("ab\xFF"
                  "cd\xE5\xA4"),
            (std::vector<std::string>{"ab", "cd"}));
  EXPECT_TRUE(Texts("").empty());
  EXPECT_TRUE(Texts("\xC0\xAF \xED\xA0\x80 ?!").empty());  // overlong, surrogate
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    ForEachFullTextToken(junk, [&](const FullTextToken& t) {
      ASSERT_LE(t.begin, t.end);
      ASSERT_LE(t.end, junk.size());
      ASSERT_FALSE(t.text.empty());
    });
  }
}

}  // namespace
}  // namespace kiln::storage
