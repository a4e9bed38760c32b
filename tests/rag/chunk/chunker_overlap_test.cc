// Overlap: whole sentences from the end of the previous chunk, bounded, inside
// the chunk's limit, never across a heading.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::CheckChunkInvariants;
using chunk_test::CountTestTokens;
using chunk_test::Doc;
using chunk_test::Heading;
using chunk_test::MustChunk;
using chunk_test::Options;
using chunk_test::Para;
using chunk_test::TestCounter;

// "S17号句子内容。": seven tokens, and its number says where it came from.
std::string Sentence(int n) { return "S" + std::to_string(n) + "号句子内容。"; }

std::string Sentences(int from, int to) {
  std::string text;
  for (int i = from; i < to; ++i) text += Sentence(i);
  return text;
}

// The sentence numbers in a chunk, in order.
std::vector<int> Numbers(const std::string& text) {
  std::vector<int> numbers;
  for (size_t pos = 0; (pos = text.find('S', pos)) != std::string::npos;) {
    numbers.push_back(std::stoi(text.substr(++pos)));
  }
  return numbers;
}

TEST(ChunkOverlapTest, StartsWithTheLastWholeSentencesThatFit) {
  const std::vector<Chunk> chunks = MustChunk(Doc({Para(Sentences(0, 60))}), Options(50, 15));
  ASSERT_GT(chunks.size(), 5u);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 50, TestCounter()));
  EXPECT_EQ(Numbers(chunks[0].text), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  for (size_t i = 1; i < chunks.size(); ++i) {
    const std::vector<int> prev = Numbers(chunks[i - 1].text), cur = Numbers(chunks[i].text);
    ASSERT_GE(cur.size(), 3u);
    // Two sentences (14 tokens) fit an overlap of 15; three would not.
    EXPECT_EQ(cur[0], prev[prev.size() - 2]) << chunks[i].text;
    EXPECT_EQ(cur[1], prev.back()) << chunks[i].text;
    for (size_t k = 1; k < cur.size(); ++k) EXPECT_EQ(cur[k], cur[k - 1] + 1);
    const std::string overlap = Sentence(cur[0]) + Sentence(cur[1]);
    EXPECT_EQ(chunks[i].text.rfind(overlap, 0), 0u);
    EXPECT_LE(CountTestTokens(overlap), 15);
  }
  EXPECT_EQ(Numbers(chunks.back().text).back(), 59);
}

TEST(ChunkOverlapTest, NoOverlapWhenTheLastSentenceAloneIsLonger) {
  // Sentences of 21 tokens against an overlap of 15.
  std::string text;
  for (int i = 0; i < 12; ++i)
    text += "S" + std::to_string(i) + "一二三四五六七八九十一二三四五六七八九。";
  const std::vector<Chunk> chunks = MustChunk(Doc({Para(text)}), Options(64, 15));
  ASSERT_EQ(chunks.size(), 4u);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::vector<int> numbers = Numbers(chunks[i].text);
    EXPECT_EQ(numbers.front(), static_cast<int>(3 * i)) << chunks[i].text;
  }
}

TEST(ChunkOverlapTest, LimitIncludesTheOverlap) {
  // Every chunk after the first is overlap plus content within 50 tokens.
  for (int overlap : {0, 7, 14, 21, 25}) {
    const std::vector<Chunk> chunks =
        MustChunk(Doc({Para(Sentences(0, 40)), Para(Sentences(40, 80))}), Options(50, overlap));
    EXPECT_TRUE(CheckChunkInvariants(chunks, 50, TestCounter())) << overlap;
    for (size_t i = 1; i < chunks.size(); ++i) {
      const std::vector<int> prev = Numbers(chunks[i - 1].text), cur = Numbers(chunks[i].text);
      // Overlap: the sentences of the new chunk that the previous one had.
      size_t shared = 0;
      while (shared < cur.size() && cur[shared] <= prev.back()) ++shared;
      EXPECT_LE(static_cast<int>(shared) * 7, overlap) << chunks[i].text;
      if (shared > 0) {
        EXPECT_EQ(cur[shared - 1], prev.back());  // a suffix of the previous chunk
      }
    }
  }
}

TEST(ChunkOverlapTest, CrossesBlocksButNotHeadings) {
  const ParsedDocument doc =
      Doc({Heading(1, "A"), Para(Sentence(0) + Sentence(1)), Para(Sentence(2) + Sentence(3)),
           Para(Sentence(4) + Sentence(5)), Heading(1, "B"), Para(Sentence(6) + Sentence(7))});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(30, 10));
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].text, Sentence(0) + Sentence(1) + "\n\n" + Sentence(2) + Sentence(3));
  // The block S4 S5 did not fit; the new chunk repeats S3 from the block before.
  EXPECT_EQ(chunks[1].text, Sentence(3) + "\n\n" + Sentence(4) + Sentence(5));
  EXPECT_EQ(chunks[2].text, Sentence(6) + Sentence(7));
  EXPECT_EQ(chunks[2].heading_path, std::vector<std::string>{"B"});
}

TEST(ChunkOverlapTest, NeverRepeatsAWholePreviousChunk) {
  // A small block before a large one: the large one starts a fresh chunk,
  // and the small chunk is not repeated whole inside it.
  const ParsedDocument doc = Doc({Para(Sentence(0)), Para(Sentences(1, 20))});
  const std::vector<Chunk> chunks = MustChunk(doc, Options(30, 10));
  ASSERT_GT(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, Sentence(0));
  EXPECT_EQ(Numbers(chunks[1].text).front(), 1);
}

TEST(ChunkOverlapTest, OverlapBeginsOnlyAtASentenceStart) {
  // Long sentences (19 tokens) cut at clauses, each followed by a short one
  // (4 tokens): the short ones are the only overlap there can be.
  std::string text;
  for (int i = 0; i < 10; ++i) {
    text += "S" + std::to_string(2 * i) + "甲乙丙丁戊，己庚辛壬癸，子丑寅卯辰。";
    text += "S" + std::to_string(2 * i + 1) + "短句。";
  }
  const std::vector<Chunk> chunks = MustChunk(Doc({Para(text)}), Options(16, 8));
  EXPECT_TRUE(CheckChunkInvariants(chunks, 16, TestCounter()));
  int overlapping = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::string& t = chunks[i].text;
    const bool sentence_start = t[0] == 'S';
    const bool clause_start = t.rfind("己", 0) == 0 || t.rfind("子", 0) == 0;
    EXPECT_TRUE(sentence_start || clause_start) << t;
    if (sentence_start && Numbers(t).front() % 2 == 1) {
      // Starts with a short sentence: the overlap, which ended the chunk before.
      const std::string repeated = "S" + std::to_string(Numbers(t).front()) + "短句。";
      const std::string& prev = chunks[i - 1].text;
      EXPECT_EQ(prev.substr(prev.size() - repeated.size()), repeated) << t;
      ++overlapping;
    }
  }
  EXPECT_GT(overlapping, 3);
}

}  // namespace
}  // namespace kiln::rag
