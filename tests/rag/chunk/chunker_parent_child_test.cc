// Parent-child mode: children at child_max_tokens inside parents at
// max_tokens, each child carrying its parent's text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::CheckChunkInvariants;
using chunk_test::CheckLossless;
using chunk_test::CountTestTokens;
using chunk_test::Doc;
using chunk_test::Heading;
using chunk_test::MustChunk;
using chunk_test::Para;
using chunk_test::Row;
using chunk_test::TestCounter;

ChunkOptions ParentChild(int64_t max_tokens, int64_t child_tokens, int64_t overlap) {
  ChunkOptions options;
  options.max_tokens = max_tokens;
  options.child_max_tokens = child_tokens;
  options.overlap_tokens = overlap;
  options.parent_child = true;
  return options;
}

// The distinct parents of `chunks`, in order.
std::vector<std::string> Parents(const std::vector<Chunk>& chunks) {
  std::vector<std::string> parents;
  for (const Chunk& c : chunks) {
    if (parents.empty() || parents.back() != c.parent_text) parents.push_back(c.parent_text);
  }
  return parents;
}

// `n` numbered sentences: prefix, number, `body`, a full stop.
std::string Numbered(const std::string& prefix, int n, const std::string& body) {
  std::string text;
  for (int i = 0; i < n; ++i) text += prefix + std::to_string(i) + body + "。";
  return text;
}

ParsedDocument SampleDoc() {
  return Doc({Heading(1, "一"), Para(Numbered("S", 30, "甲乙丙丁戊")),      // 7 tokens each
              Para(Numbered("T", 20, "庚辛壬")),                            // 5
              Heading(1, "二"), Para(Numbered("U", 12, "子丑寅卯辰巳午")),  // 9
              Row("名称: 甲; 数量: 3")});
}

TEST(ChunkParentChildTest, ChildrenFitTheirSizeAndParentsTheirs) {
  const ParsedDocument doc = SampleDoc();
  const std::vector<Chunk> chunks = MustChunk(doc, ParentChild(100, 20, 0));
  ASSERT_GT(chunks.size(), 10u);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 20, TestCounter()));  // positions count children
  for (const Chunk& c : chunks) {
    EXPECT_FALSE(c.parent_text.empty());
    EXPECT_LE(CountTestTokens(c.parent_text), 100);
    EXPECT_NE(c.parent_text.find(c.text), std::string::npos) << c.text;
  }
  // The parents alone are the document, cut as without parent-child mode.
  std::vector<Chunk> parents;
  for (const std::string& p : Parents(chunks)) parents.emplace_back().text = p;
  EXPECT_TRUE(CheckLossless(doc, parents));
  ChunkOptions plain = ParentChild(100, 20, 0);
  plain.parent_child = false;
  const std::vector<Chunk> plain_chunks = MustChunk(doc, plain);
  ASSERT_EQ(plain_chunks.size(), parents.size());
  for (size_t i = 0; i < parents.size(); ++i) EXPECT_EQ(plain_chunks[i].text, parents[i].text);
}

TEST(ChunkParentChildTest, ChildrenOfEachParentReassembleIt) {
  const std::vector<Chunk> chunks = MustChunk(SampleDoc(), ParentChild(100, 20, 0));
  for (const std::string& parent : Parents(chunks)) {
    std::vector<Chunk> children;
    for (const Chunk& c : chunks) {
      if (c.parent_text == parent) children.push_back(c);
    }
    // The parent as a one-block document: its children cover it exactly.
    EXPECT_TRUE(CheckLossless(Doc({Para(parent)}), children)) << parent;
  }
}

TEST(ChunkParentChildTest, ChildOverlapStaysInsideTheParent) {
  const std::vector<Chunk> chunks = MustChunk(SampleDoc(), ParentChild(100, 20, 50));
  EXPECT_TRUE(CheckChunkInvariants(chunks, 20, TestCounter()));
  for (size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_NE(chunks[i].parent_text.find(chunks[i].text), std::string::npos);
    if (chunks[i].parent_text != chunks[i - 1].parent_text) {
      // A parent's first child starts where the parent starts.
      EXPECT_EQ(chunks[i].parent_text.rfind(chunks[i].text, 0), 0u) << chunks[i].text;
    }
  }
  // Overlap is min(overlap, child / 2) = 10 tokens: one 7-token sentence.
  EXPECT_EQ(chunks[0].text, "S0甲乙丙丁戊。S1甲乙丙丁戊。");
  EXPECT_EQ(chunks[1].text, "S1甲乙丙丁戊。S2甲乙丙丁戊。");
}

TEST(ChunkParentChildTest, HeadingPathsAndTableRows) {
  const std::vector<Chunk> chunks = MustChunk(SampleDoc(), ParentChild(100, 20, 0));
  const Chunk& last = chunks.back();
  EXPECT_EQ(last.text, "名称: 甲; 数量: 3");
  EXPECT_EQ(last.parent_text, "名称: 甲; 数量: 3");
  EXPECT_EQ(last.heading_path, std::vector<std::string>{"二"});
  EXPECT_EQ(chunks.front().heading_path, std::vector<std::string>{"一"});
}

}  // namespace
}  // namespace kiln::rag
