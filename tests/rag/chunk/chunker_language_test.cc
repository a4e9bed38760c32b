// Examples in Chinese, English, mixed text and emoji: where cuts fall, and
// that nothing is lost or broken.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::ByteCounter;
using chunk_test::CheckChunkInvariants;
using chunk_test::CheckLossless;
using chunk_test::CountOccurrences;
using chunk_test::Doc;
using chunk_test::MustChunk;
using chunk_test::Options;
using chunk_test::Para;
using chunk_test::Repeat;
using chunk_test::TestCounter;

const char kLegalText[] =
    "第一条 总则。为了规范数据管理，保障数据安全，根据有关法律法规，制定本办法。"
    "本办法适用于本单位的数据处理活动。\n"
    "第二条 定义。本办法所称数据，是指任何以电子或者其他方式对信息的记录。"
    "数据处理，包括数据的收集、存储、使用、加工、传输、提供、公开等。\n"
    "第三条 原则。数据处理应当遵循合法、正当、必要和诚信原则，依照本办法第二条的规定执行。"
    "不得通过误导、欺诈、胁迫等方式处理数据。\n"
    "第四条 附则。本办法自发布之日起施行。";

TEST(ChunkLanguageTest, LegalArticlesEachStartAChunk) {
  ChunkOptions options = Options(64, 0);
  options.separators = {Separator{"第[一二三四五六七八九十]+条", true}};
  const ParsedDocument doc = Doc({Para(kLegalText)});
  const std::vector<Chunk> chunks = MustChunk(doc, options);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 64, TestCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
  // Every article marker opens a chunk; the reference "第二条" inside article
  // three is not a marker of its own.
  for (const char* marker : {"第一条", "第二条 ", "第三条", "第四条"}) {
    bool found = false;
    for (const Chunk& c : chunks) found = found || c.text.rfind(marker, 0) == 0;
    EXPECT_TRUE(found) << marker;
  }
  for (const Chunk& c : chunks) EXPECT_EQ(c.text.rfind("的规定执行", 0), std::string::npos);
}

TEST(ChunkLanguageTest, LegalArticlesOnOneLine) {
  ChunkOptions options = Options(40, 0);
  options.separators = {Separator{"第[一二三四五六七八九十]+条", true}};
  std::string one_line = kLegalText;
  for (size_t pos; (pos = one_line.find('\n')) != std::string::npos;) one_line.erase(pos, 1);
  const ParsedDocument doc = Doc({Para(one_line)});
  const std::vector<Chunk> chunks = MustChunk(doc, options);
  EXPECT_TRUE(CheckLossless(doc, chunks));
  size_t starts = 0;
  for (const Chunk& c : chunks) starts += c.text.rfind("第", 0) == 0 ? 1 : 0;
  EXPECT_GE(starts, 4u);
}

TEST(ChunkLanguageTest, TwoThousandCharactersWithoutPunctuationSplitOnCharacters) {
  std::string text;
  const std::string pool =
      "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动";
  const size_t pool_chars = pool.size() / 3;
  for (size_t i = 0; i < 2000; ++i) text += pool.substr(((i * 7) % pool_chars) * 3, 3);
  const ParsedDocument doc = Doc({Para(text)});
  for (int64_t overlap : {0, 50}) {
    const std::vector<Chunk> chunks = MustChunk(doc, Options(100, overlap));
    ASSERT_EQ(chunks.size(), 20u) << overlap;  // no sentence to overlap with
    for (const Chunk& c : chunks) {
      EXPECT_EQ(c.tokens, 100);
      EXPECT_EQ(c.text.size(), 300u);
    }
    EXPECT_TRUE(CheckChunkInvariants(chunks, 100, TestCounter()));
    EXPECT_TRUE(CheckLossless(doc, chunks));
  }
  // By bytes, a limit that is not a multiple of 3 still cuts between characters.
  const std::vector<Chunk> by_bytes = MustChunk(doc, Options(100, 0), ByteCounter());
  ASSERT_EQ(by_bytes.size(), 61u);  // 60 of 33 characters, then 20
  for (size_t i = 0; i + 1 < by_bytes.size(); ++i) EXPECT_EQ(by_bytes[i].text.size(), 99u) << i;
  EXPECT_TRUE(CheckChunkInvariants(by_bytes, 100, ByteCounter()));
}

TEST(ChunkLanguageTest, QuotedSentencesStayWithTheirClosingQuote) {
  const std::string text =
      "他说：“今天的会议很重要，大家一定要准时参加。”老师点了点头。"
      "「这件事情已经解决了吗？」她问道。《人工智能发展报告》指出：“大模型正在改变世界！”";
  const ParsedDocument doc = Doc({Para(text)});
  for (int64_t limit : {16, 20, 24, 32}) {
    const std::vector<Chunk> chunks = MustChunk(doc, Options(limit, 0));
    EXPECT_TRUE(CheckChunkInvariants(chunks, limit, TestCounter())) << limit;
    EXPECT_TRUE(CheckLossless(doc, chunks)) << limit;
    for (const Chunk& c : chunks) {
      // A closing quote is never separated from the mark it closes.
      EXPECT_NE(c.text.rfind("”", 0), 0u) << c.text;
      EXPECT_NE(c.text.rfind("」", 0), 0u) << c.text;
      if (c.text.find("参加") != std::string::npos) {
        EXPECT_NE(c.text.find("参加。”"), std::string::npos) << c.text;
      }
    }
  }
}

TEST(ChunkLanguageTest, EnglishCutsAtSentenceEndsNotAbbreviations) {
  const std::string text =
      "Dr. Smith arrived at 3.14 p.m. on Monday. He brought tools, e.g. a hammer and a saw. "
      "Was it enough? Nobody knew! The report (see Fig. 2) said \"more work is needed.\" "
      "Mr. Jones agreed. The end.";
  const ParsedDocument doc = Doc({Para(text)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(16, 0));
  EXPECT_TRUE(CheckChunkInvariants(chunks, 16, TestCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
  for (const Chunk& c : chunks) {
    for (const char* bad : {"Smith", "14", "m.", "a hammer", "2)", "Jones"}) {
      EXPECT_NE(c.text.rfind(bad, 0), 0u) << c.text;
    }
  }
}

TEST(ChunkLanguageTest, LatinHardSplitsFallBetweenWords) {
  std::string text = Repeat("lorem ipsum dolor sit amet ", 60);  // no punctuation at all
  text.pop_back();
  const ParsedDocument doc = Doc({Para(text)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(32, 0), ByteCounter());
  EXPECT_TRUE(CheckLossless(doc, chunks));
  const std::vector<std::string> words = {"lorem", "ipsum", "dolor", "sit", "amet"};
  for (const Chunk& c : chunks) {
    const std::string last = c.text.substr(c.text.rfind(' ') + 1);
    EXPECT_NE(std::find(words.begin(), words.end(), last), words.end()) << c.text;
  }
}

TEST(ChunkLanguageTest, SpacedChineseWordsAreNotCutInside) {
  // A directory line: city names separated by spaces, no punctuation.
  const std::vector<std::string> cities = {"石家庄", "唐山", "秦皇岛", "邯郸", "邢台", "保定",
                                           "张家口", "承德", "沧州",   "廊坊", "衡水"};
  std::string text;
  for (int i = 0; i < 12; ++i) {
    for (const std::string& city : cities) text += city + " ";
  }
  text.pop_back();
  const ParsedDocument doc = Doc({Para(text)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(20, 0));
  ASSERT_GT(chunks.size(), 10u);
  EXPECT_TRUE(CheckLossless(doc, chunks));
  for (const Chunk& c : chunks) {
    const std::string first = c.text.substr(0, c.text.find(' '));
    const std::string last = c.text.substr(c.text.rfind(' ') + 1);
    EXPECT_NE(std::find(cities.begin(), cities.end(), first), cities.end()) << c.text;
    EXPECT_NE(std::find(cities.begin(), cities.end(), last), cities.end()) << c.text;
  }
}

TEST(ChunkLanguageTest, MixedChineseAndEnglish) {
  const std::string text =
      "2024年,OpenAI发布了GPT-4o模型。It supports text, audio and images! "
      "国内厂商也纷纷跟进,推出了自己的大模型;例如百度的文心一言、阿里的通义千问。"
      "Prices fell by 90%. 价格战由此开始……";
  const ParsedDocument doc = Doc({Para(text)});
  for (int64_t limit : {16, 24, 40}) {
    const std::vector<Chunk> chunks = MustChunk(doc, Options(limit, 0));
    EXPECT_TRUE(CheckChunkInvariants(chunks, limit, TestCounter())) << limit;
    EXPECT_TRUE(CheckLossless(doc, chunks)) << limit;
    EXPECT_EQ(CountOccurrences(chunks, "GPT-4o"), 1u);
  }
}

TEST(ChunkLanguageTest, EmojiAreNeverBroken) {
  const std::vector<std::string> emoji = {"😀", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️"};
  std::string text;
  for (int i = 0; i < 300; ++i) text += emoji[i % emoji.size()];
  const ParsedDocument doc = Doc({Para(text)});
  // By bytes the family is 18 bytes: whole under limits from 18 up.
  for (int64_t limit : {18, 23, 32}) {
    const std::vector<Chunk> chunks = MustChunk(doc, Options(limit, 0), ByteCounter());
    EXPECT_TRUE(CheckChunkInvariants(chunks, limit, ByteCounter())) << limit;
    EXPECT_TRUE(CheckLossless(doc, chunks)) << limit;
    for (const std::string& e : emoji) EXPECT_EQ(CountOccurrences(chunks, e), 60u) << e;
  }
  // Under 18 the family alone is over the limit and is cut between code
  // points, never inside one.
  const std::vector<Chunk> chunks = MustChunk(doc, Options(16, 0), ByteCounter());
  EXPECT_TRUE(CheckChunkInvariants(chunks, 16, ByteCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
  EXPECT_EQ(CountOccurrences(chunks, "😀"), 60u);
  EXPECT_EQ(CountOccurrences(chunks, "🇨🇳"), 60u);
}

}  // namespace
}  // namespace kiln::rag
