// Structure: sections and heading paths, packing of blocks, table rows, code,
// and the order of boundaries an oversized block is split at.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::CheckChunkInvariants;
using chunk_test::CheckLossless;
using chunk_test::Code;
using chunk_test::Doc;
using chunk_test::Heading;
using chunk_test::Item;
using chunk_test::MustChunk;
using chunk_test::Options;
using chunk_test::Para;
using chunk_test::Repeat;
using chunk_test::Row;
using chunk_test::TestCounter;

using Path = std::vector<std::string>;

// Ten tokens: nine characters and a full stop.
const std::string kTen = "一二三四五六七八九。";

TEST(ChunkStructureTest, EmptyDocumentGivesNoChunks) {
  EXPECT_TRUE(MustChunk(Doc({}), Options(100, 10)).empty());
  EXPECT_TRUE(
      MustChunk(Doc({Heading(1, "Only a title"), Heading(2, "And another")}), Options(100, 10))
          .empty());
  EXPECT_TRUE(MustChunk(Doc({Para("  \n\t ")}), Options(100, 10)).empty());
}

TEST(ChunkStructureTest, PacksBlocksOfASectionWhileTheyFit) {
  const ParsedDocument doc = Doc({Para("甲" + kTen), Para("乙" + kTen), Item("丙" + kTen),
                                  Code("丁" + kTen), Para("戊" + kTen)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(35, 0));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "甲" + kTen + "\n\n乙" + kTen + "\n\n丙" + kTen);
  EXPECT_EQ(chunks[1].text, "丁" + kTen + "\n\n戊" + kTen);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 35, TestCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
}

TEST(ChunkStructureTest, HeadingsSetThePathAndAlwaysStartANewChunk) {
  const ParsedDocument doc =
      Doc({Para("前言。"), Heading(1, "第一章"), Para("甲。"), Heading(2, "第一节"), Para("乙。"),
           Heading(3, "一"), Para("丙。"), Heading(2, "第二节"), Para("丁。"), Heading(1, "第二章"),
           Para("戊。"), Heading(3, "跳级"), Para("己。"), Heading(2, "第三节"), Para("庚。")});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(500, 50));
  ASSERT_EQ(chunks.size(), 8u);
  const std::vector<std::pair<std::string, Path>> expected = {
      {"前言。", {}},
      {"甲。", {"第一章"}},
      {"乙。", {"第一章", "第一节"}},
      {"丙。", {"第一章", "第一节", "一"}},
      {"丁。", {"第一章", "第二节"}},
      {"戊。", {"第二章"}},
      {"己。", {"第二章", "跳级"}},
      {"庚。", {"第二章", "第三节"}},  // a level-2 heading replaces the level-3 one
  };
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].text, expected[i].first) << i;
    EXPECT_EQ(chunks[i].heading_path, expected[i].second) << i;
    EXPECT_EQ(chunks[i].position, static_cast<int64_t>(i));
  }
}

TEST(ChunkStructureTest, HeadingTextStaysOutOfChunkText) {
  const std::vector<Chunk> chunks =
      MustChunk(Doc({Heading(1, "  Installation  "), Para("Run the installer.")}), Options(100, 0));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "Run the installer.");
  EXPECT_EQ(chunks[0].heading_path, Path{"Installation"});
}

TEST(ChunkStructureTest, TableRowsAreChunksOfTheirOwn) {
  const ParsedDocument doc = Doc({Heading(1, "People"), Para("Before the table. It has rows."),
                                  Row("name: Ada; born: 1815"), Row("name: Alan; born: 1912"),
                                  Para("After the table. More text.")});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(500, 50));
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].text, "Before the table. It has rows.");
  EXPECT_EQ(chunks[1].text, "name: Ada; born: 1815");
  EXPECT_EQ(chunks[2].text, "name: Alan; born: 1912");
  // No overlap out of a row or across the table.
  EXPECT_EQ(chunks[3].text, "After the table. More text.");
  for (const Chunk& c : chunks) EXPECT_EQ(c.heading_path, Path{"People"});
}

TEST(ChunkStructureTest, LongTableRowIsHardSplitWithoutOverlap) {
  std::string row;
  for (int i = 0; i < 40; ++i) row += "column" + std::to_string(i) + ": value; ";
  row.pop_back();
  const ParsedDocument doc = Doc({Row(row)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(32, 0));
  ASSERT_GT(chunks.size(), 4u);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 32, TestCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
  // Split at the "; " clause marks: every chunk but the last ends with ";".
  for (size_t i = 0; i + 1 < chunks.size(); ++i) EXPECT_EQ(chunks[i].text.back(), ';') << i;
  // Same with overlap asked for: rows never carry any.
  const std::vector<Chunk> with_overlap = MustChunk(doc, Options(32, 16));
  EXPECT_TRUE(CheckLossless(doc, with_overlap));
}

TEST(ChunkStructureTest, OversizedBlockSplitsAtParagraphBreaksFirst) {
  // Two paragraphs of 30 tokens in one block, each made of short sentences.
  const std::string half_a = Repeat("甲乙丙丁。", 6), half_b = Repeat("戊己庚辛。", 6);
  const ParsedDocument doc = Doc({Para(half_a + "\n\n" + half_b)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(40, 0));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, half_a);
  EXPECT_EQ(chunks[1].text, half_b);
}

TEST(ChunkStructureTest, ThenAtLineBreaksThenAtSentences) {
  const std::string line_a = Repeat("甲乙丙丁。", 6), line_b = Repeat("戊己庚辛。", 6);
  const std::vector<Chunk> by_line = MustChunk(Doc({Para(line_a + "\n" + line_b)}), Options(40, 0));
  ASSERT_EQ(by_line.size(), 2u);
  EXPECT_EQ(by_line[0].text, line_a);
  EXPECT_EQ(by_line[1].text, line_b);

  // One line of 60 tokens: cuts fall only after a full stop.
  const std::vector<Chunk> by_sentence = MustChunk(Doc({Para(line_a + line_b)}), Options(24, 0));
  ASSERT_EQ(by_sentence.size(), 3u);
  for (const Chunk& c : by_sentence) EXPECT_EQ(c.text.substr(c.text.size() - 3), "。") << c.text;
}

TEST(ChunkStructureTest, ASentenceTooLongAloneSplitsAtClauses) {
  const std::string sentence = Repeat("甲乙丙丁戊，", 10) + "完。";  // 62 tokens, one sentence
  const ParsedDocument doc = Doc({Para("短句。"), Para(sentence)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(20, 0));
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].text, "短句。");  // the oversized block starts a fresh chunk
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(chunks[i].text, Repeat("甲乙丙丁戊，", 3)) << i;
  EXPECT_EQ(chunks[4].text, "甲乙丙丁戊，完。");
  EXPECT_TRUE(CheckLossless(doc, chunks));
}

TEST(ChunkStructureTest, CodeSplitsAtLinesNotSentences) {
  std::string code;
  for (int i = 0; i < 30; ++i) code += "x = f(a. b); y = g(c, d); z = h(e)\n";
  const ParsedDocument doc = Doc({Code(code)});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(64, 0));
  ASSERT_GT(chunks.size(), 1u);
  for (const Chunk& c : chunks) {
    EXPECT_EQ(c.text.rfind("x = f(a. b);", 0), 0u) << c.text;
    EXPECT_EQ(c.text.substr(c.text.size() - 6), "= h(e)") << c.text;
  }
  EXPECT_TRUE(CheckChunkInvariants(chunks, 64, TestCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
}

TEST(ChunkStructureTest, EveryChunkOfASectionCarriesItsPath) {
  const ParsedDocument doc = Doc({Heading(2, "Long"), Para(Repeat("Words make sentences. ", 100))});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(40, 10));
  ASSERT_GT(chunks.size(), 5u);
  for (const Chunk& c : chunks) EXPECT_EQ(c.heading_path, Path{"Long"});
  EXPECT_TRUE(CheckChunkInvariants(chunks, 40, TestCounter()));
}

}  // namespace
}  // namespace kiln::rag
