// Efficiency: megabyte documents in well under a second, the counter called
// about once per sentence, and limits that hold for counters whose counts do
// not add up.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::ByteCounter;
using chunk_test::CheckChunkInvariants;
using chunk_test::CheckLossless;
using chunk_test::Doc;
using chunk_test::Options;
using chunk_test::Para;
using chunk_test::Repeat;

constexpr size_t kMegabyte = 1 << 20;

double SecondsToChunk(const ParsedDocument& doc, const ChunkOptions& options,
                      const TokenCounter& count, std::vector<Chunk>* chunks) {
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Chunk>> result = ChunkDocument(doc, options, count);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (result.ok()) *chunks = std::move(result).value();
  return seconds;
}

ParsedDocument MegabyteOfProse() {
  const std::string paragraph =
      "大模型的发展离不开算力、数据和人才。2023年以来，国内已有数百个大模型发布！"
      "They compete on price, e.g. a 90% cut in one year. 这是一个“百模大战”的时代。\n";
  std::vector<Block> blocks;
  size_t bytes = 0;
  while (bytes < kMegabyte) {
    blocks.push_back(Para(Repeat(paragraph, 8)));
    bytes += blocks.back().text.size();
  }
  return Doc(std::move(blocks));
}

TEST(ChunkEfficiencyTest, MegabyteOfProseInWellUnderASecond) {
  const ParsedDocument doc = MegabyteOfProse();
  std::vector<Chunk> chunks;
  const double seconds = SecondsToChunk(doc, Options(500, 50), ByteCounter(), &chunks);
  EXPECT_LT(seconds, 0.5);
  EXPECT_GT(chunks.size(), kMegabyte / 500);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 500, ByteCounter()));
}

TEST(ChunkEfficiencyTest, MegabyteWithoutPunctuationInWellUnderASecond) {
  std::string text;
  const std::string han =
      "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动";
  while (text.size() < kMegabyte) text += han;
  const ParsedDocument doc = Doc({Para(text)});
  std::vector<Chunk> chunks;
  const double seconds = SecondsToChunk(doc, Options(500, 50), ByteCounter(), &chunks);
  EXPECT_LT(seconds, 0.5);
  EXPECT_TRUE(CheckChunkInvariants(chunks, 500, ByteCounter()));
  EXPECT_TRUE(CheckLossless(doc, chunks));
}

TEST(ChunkEfficiencyTest, MegabyteWithARegexSeparator) {
  std::string text;
  while (text.size() < kMegabyte) text += "第十条 本办法自发布之日起施行，解释权归本单位所有。\n";
  ChunkOptions options = Options(200, 0);
  options.separators = {{"第[一二三四五六七八九十]+条", true}};
  std::vector<Chunk> chunks;
  const double seconds = SecondsToChunk(Doc({Para(text)}), options, ByteCounter(), &chunks);
  EXPECT_LT(seconds, 0.8);
  for (const Chunk& c : chunks) EXPECT_EQ(c.text.rfind("第十条", 0), 0u);
}

TEST(ChunkEfficiencyTest, HostileRegexOnAMegabyteFinishesOrIsRefused) {
  const ParsedDocument doc = Doc({Para(std::string(kMegabyte, 'a'))});
  ChunkOptions options = Options(500, 0);
  options.separators = {{"(a|b)*c", true}};
  EXPECT_EQ(ChunkDocument(doc, options, ByteCounter()).status().param(), "separators");
  options.separators = {{"[ab]*c", true}};
  const auto start = std::chrono::steady_clock::now();
  const Result<std::vector<Chunk>> chunks = ChunkDocument(doc, options, ByteCounter());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
  if (!chunks.ok()) {
    EXPECT_EQ(chunks.status().param(), "separators");
  }
}

TEST(ChunkEfficiencyTest, CountsEachSentenceAboutOnce) {
  const ParsedDocument doc = MegabyteOfProse();
  size_t calls = 0, bytes_counted = 0, doc_bytes = 0;
  const TokenCounter counting = [&](std::string_view text) {
    ++calls;
    bytes_counted += text.size();
    return static_cast<int64_t>(text.size());
  };
  for (const Block& b : doc.blocks) doc_bytes += b.text.size();
  std::vector<Chunk> chunks;
  SecondsToChunk(doc, Options(500, 50), counting, &chunks);
  // Once per sentence, plus once per finished chunk to report its tokens
  // (overlap makes that a little more than the document).
  EXPECT_LT(bytes_counted, 2.5 * doc_bytes);
  EXPECT_LT(calls, doc_bytes / 10);
}

TEST(ChunkEfficiencyTest, LimitHoldsWhenCountsDoNotAddUp) {
  // A counter where a concatenation counts more than its parts: the estimate
  // undercounts, and the final count catches it.
  const TokenCounter superadditive = [](std::string_view text) {
    const int64_t n = static_cast<int64_t>(text.size());
    return n + n * n / 400;
  };
  const ParsedDocument doc =
      Doc({Para(Repeat("数据是新的石油。", 200)), Para(Repeat("短句。", 50))});
  for (int64_t overlap : {0, 40}) {
    std::vector<Chunk> chunks;
    SecondsToChunk(doc, Options(200, overlap), superadditive, &chunks);
    ASSERT_FALSE(chunks.empty());
    EXPECT_TRUE(CheckChunkInvariants(chunks, 200, superadditive)) << overlap;
    if (overlap == 0) {
      EXPECT_TRUE(CheckLossless(doc, chunks));
    }
  }
}

}  // namespace
}  // namespace kiln::rag
