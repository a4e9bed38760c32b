// Tokenizer behaviour on small hand-made vocabularies (no model files).
#include "engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "tests/engine/tokenizer/tiny_vocabs.h"

namespace kiln::engine {
namespace {

using testing::IdOf;
using testing::Make;
using Ids = std::vector<int32_t>;

TEST(BpeTokenizerTest, MergesByRankAndSplitsWords) {
  auto tok = Make(testing::TinyBpeVocab({"a b", "ab c", "Ġ ab"}));
  ASSERT_NE(tok, nullptr);
  const int32_t abc = IdOf(*tok, "abc"), gab = IdOf(*tok, "Ġab");
  EXPECT_EQ(tok->Encode("abc ab", false, false), (Ids{abc, gab}));
  EXPECT_EQ(tok->Decode({abc, gab}), "abc ab");
}

TEST(BpeTokenizerTest, LowerRankMergesFirst) {
  auto bc_first = Make(testing::TinyBpeVocab({"b c", "a b"}));
  auto ab_first = Make(testing::TinyBpeVocab({"a b", "b c"}));
  ASSERT_NE(bc_first, nullptr);
  ASSERT_NE(ab_first, nullptr);
  EXPECT_EQ(bc_first->Encode("abc", false, false),
            (Ids{IdOf(*bc_first, "a"), IdOf(*bc_first, "bc")}));
  EXPECT_EQ(ab_first->Encode("abc", false, false),
            (Ids{IdOf(*ab_first, "ab"), IdOf(*ab_first, "c")}));
}

TEST(BpeTokenizerTest, DigitsAreSplitOneByOne) {
  auto tok = Make(testing::TinyBpeVocab({}));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("12", false, false), (Ids{IdOf(*tok, "1"), IdOf(*tok, "2")}));
}

TEST(BpeTokenizerTest, SpecialTokensOnlyWhenParsed) {
  auto tok = Make(testing::TinyBpeVocab({"a b"}));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("<|im_end|>ab", false, true), (Ids{1, IdOf(*tok, "ab")}));
  const Ids plain = tok->Encode("<|im_end|>ab", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0);
  EXPECT_TRUE(tok->IsEndOfGeneration(0));  // eos
  EXPECT_TRUE(tok->IsEndOfGeneration(1));  // <|im_end|> by name
  EXPECT_FALSE(tok->IsEndOfGeneration(2));
  EXPECT_EQ(tok->Decode({1, 2}), "<|im_end|>a");
  EXPECT_EQ(tok->Decode({1, 2}, /*render_special=*/false), "a");
}

TEST(BpeTokenizerTest, UnknownPreTokenizerIsAnError) {
  Vocab v = testing::TinyBpeVocab({});
  v.pre = "no-such-pre";
  auto tok = Tokenizer::FromVocab(std::move(v));
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("no-such-pre"), std::string::npos);
}

TEST(SpmTokenizerTest, MergesByScoreWithByteFallback) {
  auto tok = Make(testing::TinySpmVocab());
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("hello", false, false), (Ids{IdOf(*tok, "hello")}));
  EXPECT_EQ(tok->Encode(" hello", true, false), (Ids{1, IdOf(*tok, "\xE2\x96\x81hello")}));
  // "é" is no piece: its two UTF-8 bytes become byte tokens.
  EXPECT_EQ(tok->Encode("\xC3\xA9", false, false),
            (Ids{IdOf(*tok, "<0xC3>"), IdOf(*tok, "<0xA9>")}));
  EXPECT_EQ(tok->Decode(tok->Encode("h\xC3\xA9llo w", true, false), false), "h\xC3\xA9llo w");
}

TEST(SpmTokenizerTest, UserDefinedTokensAreAlwaysRecognised) {
  auto tok = Make(testing::TinySpmVocab());
  ASSERT_NE(tok, nullptr);
  const int32_t t = IdOf(*tok, "<t>");
  EXPECT_EQ(tok->Encode("<t>", false, false), (Ids{t}));
  EXPECT_EQ(tok->Encode("<end_of_turn>", false, true), (Ids{4}));
  EXPECT_NE(tok->Encode("<end_of_turn>", false, false), (Ids{4}));
  EXPECT_TRUE(tok->IsEndOfGeneration(4));
}

TEST(SpecialSplitTest, LongerSpecialTokenWins) {
  Vocab v = testing::TinyBpeVocab({});
  v.tokens.push_back("<|im_end|>a");
  v.types.push_back(TokenType::kControl);
  auto tok = Make(std::move(v));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("<|im_end|>a<|im_end|>", false, true), (Ids{tok->n_vocab() - 1, 1}));
}

TEST(TokenizerTest, OutOfRangeIdsDecodeToNothing) {
  auto tok = Make(testing::TinySpmVocab());
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Decode({-1, tok->n_vocab(), INT32_MAX, IdOf(*tok, "h")}), "h");
  EXPECT_EQ(tok->TokenText(-5), "");
  EXPECT_EQ(tok->TokenText(tok->n_vocab()), "");
}

TEST(TokenizerTest, RejectsBadVocab) {
  Vocab v = testing::TinySpmVocab();
  v.bos = 1 << 30;
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());
  v = testing::TinySpmVocab();
  v.scores.pop_back();
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());
  EXPECT_FALSE(Tokenizer::FromVocab(Vocab{}).ok());
}

TEST(TokenizerFromGgufTest, UnknownModelIsAClearError) {
  GgufWriter w;
  w.SetString("tokenizer.ggml.model", "rwkv");
  w.SetStringArray("tokenizer.ggml.tokens", {"a", "b"});
  auto file = GgufFile::FromBytes(w.Serialize());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = Tokenizer::FromGguf(**file);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("rwkv"), std::string::npos);
}

TEST(TokenizerFromGgufTest, MissingTokensIsAnError) {
  GgufWriter w;
  w.SetString("tokenizer.ggml.model", "llama");
  auto file = GgufFile::FromBytes(w.Serialize());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = Tokenizer::FromGguf(**file);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("tokenizer.ggml.tokens"), std::string::npos);
}

TEST(TokenizerFromGgufTest, ReadsBertVocab) {
  GgufWriter w;
  w.SetString("tokenizer.ggml.model", "bert");
  w.SetStringArray("tokenizer.ggml.tokens", {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "##s"});
  w.SetInt32Array("tokenizer.ggml.token_type", {3, 3, 3, 3, 1, 1});
  w.SetUint32("tokenizer.ggml.unknown_token_id", 1);
  w.SetUint32("tokenizer.ggml.cls_token_id", 2);
  w.SetUint32("tokenizer.ggml.seperator_token_id", 3);
  auto file = GgufFile::FromBytes(w.Serialize());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = Tokenizer::FromGguf(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->Encode("Hellos HELLO world", true, false), (Ids{2, 4, 5, 4, 1, 3}));
  EXPECT_EQ((*tok)->Decode({2, 4, 5, 4, 3}, false), "hellos hello");
}

}  // namespace
}  // namespace kiln::engine
