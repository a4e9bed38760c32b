// Properties over many random documents and over the real corpus: lossless
// with overlap 0, limits, no chunk opening with punctuation, positions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::ByteCounter;
using chunk_test::CheckChunkInvariants;
using chunk_test::CheckLossless;
using chunk_test::IsForbiddenStart;
using chunk_test::IsTestSpace;
using chunk_test::TestCounter;

constexpr char kCorpusDir[] = "/work/shared/corpus";

// Random text in the shapes that break chunkers: Chinese sentences with
// quotes and every terminal, English with abbreviations and decimals, long
// unbroken runs, emoji, stray line breaks.
class TextGenerator {
 public:
  explicit TextGenerator(uint32_t seed) : rng_(seed) {}

  std::string Paragraph() {
    std::string text;
    const int pieces = Uniform(1, 12);
    for (int i = 0; i < pieces; ++i) {
      switch (Uniform(0, 9)) {
        case 0:
        case 1:
        case 2:
          text += ChineseSentence();
          break;
        case 3:
          text += QuotedChinese();
          break;
        case 4:
        case 5:
          text += EnglishSentence();
          break;
        case 6:
          text += LongRun();
          break;
        case 7:
          text += Pick({"😀", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️"});
          break;
        case 8:
          text += Pick({"\n", "\n\n", " ", "\n \n", "　　"});
          break;
        default:
          text += Pick({"第一条 ", "第十二条 ", "### ", "- "}) + ChineseSentence();
          break;
      }
    }
    return Clean(text);
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::string Pick(const std::vector<std::string>& options) {
    return options[Uniform(0, static_cast<int>(options.size()) - 1)];
  }

  std::string Han(int n) {
    static const std::string kPool =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动";
    std::string out;
    for (int i = 0; i < n; ++i) out += kPool.substr(Uniform(0, kPool.size() / 3 - 1) * 3, 3);
    return out;
  }

  std::string ChineseSentence() {
    std::string s = Han(Uniform(1, 20));
    for (int k = Uniform(0, 3); k > 0; --k)
      s += Pick({"，", "、", "；", "：", ","}) + Han(Uniform(1, 15));
    return s + Pick({"。", "！", "？", "……", "？！", "。", "."});
  }

  std::string QuotedChinese() {
    const std::string inner = Han(Uniform(2, 12)) + Pick({"。", "！", "？"});
    return Han(Uniform(1, 4)) +
           Pick({"：“" + inner + "”", "「" + inner + "」", "（" + inner + "）"});
  }

  std::string EnglishSentence() {
    static const std::vector<std::string> kWords = {"the",  "model", "was",  "e.g.", "Mr.",
                                                    "3.14", "data",  "(see", "it)",  "cost,"};
    std::string s = Pick({"The", "A", "Dr.", "Prices", "\"Yes"});
    for (int k = Uniform(2, 14); k > 0; --k) s += " " + Pick(kWords);
    return s + Pick({". ", "! ", "? ", ".\" ", "... ", "."});
  }

  std::string LongRun() {
    switch (Uniform(0, 2)) {
      case 0:
        return Han(Uniform(50, 600));
      case 1:
        return std::string(Uniform(50, 900), 'x');
      default: {
        std::string words;
        for (int k = Uniform(20, 200); k > 0; --k) words += "word ";
        return words;
      }
    }
  }

  // Trimmed, and not opening with a mark no chunk may open with (a block
  // that starts with one makes its first chunk start with it).
  static std::string Clean(std::string text) {
    for (;;) {
      text = std::string(chunk_test::TrimForTest(text));
      if (text.empty()) return "空";
      size_t pos = 0;
      const uint32_t cp = DecodeUtf8(text, &pos);
      if (!IsForbiddenStart(cp)) return text;
      text.erase(0, pos);
    }
  }

  std::mt19937 rng_;
};

ParsedDocument RandomDocument(TextGenerator* gen) {
  std::vector<Block> blocks;
  for (int i = gen->Uniform(1, 10); i > 0; --i) {
    switch (gen->Uniform(0, 9)) {
      case 0:
        blocks.push_back(chunk_test::Heading(gen->Uniform(1, 4), "标题"));
        break;
      case 1:
        blocks.push_back(chunk_test::Row("名称: 数据; 数量: " + gen->Paragraph()));
        break;
      case 2:
        blocks.push_back(chunk_test::Code(gen->Paragraph()));
        break;
      case 3:
        blocks.push_back(chunk_test::Item(gen->Paragraph()));
        break;
      default:
        blocks.push_back(chunk_test::Para(gen->Paragraph()));
        break;
    }
  }
  return chunk_test::Doc(std::move(blocks));
}

ChunkOptions RandomOptions(TextGenerator* gen, int64_t overlap_percent) {
  static const std::vector<int64_t> kSizes = {16, 17, 24, 40, 64, 128, 500};
  ChunkOptions options;
  options.max_tokens = kSizes[gen->Uniform(0, kSizes.size() - 1)];
  options.overlap_tokens = options.max_tokens * overlap_percent / 100;
  switch (gen->Uniform(0, 3)) {
    case 0:
      options.separators = {{"\n\n", false}, {"；", false}};
      break;
    case 1:
      options.separators = {{"第[一二三四五六七八九十]+条", true}, {"###", false}};
      break;
    default:
      break;
  }
  return options;
}

TEST(ChunkPropertyTest, RandomDocumentsAreLosslessWithoutOverlap) {
  TextGenerator gen(20240518);
  for (int trial = 0; trial < 400; ++trial) {
    const ParsedDocument doc = RandomDocument(&gen);
    const ChunkOptions options = RandomOptions(&gen, 0);
    const bool bytes = gen.Uniform(0, 3) == 0;
    const TokenCounter count = bytes ? ByteCounter() : TestCounter();
    const std::vector<Chunk> chunks = chunk_test::MustChunk(doc, options, count);
    ASSERT_TRUE(CheckChunkInvariants(chunks, options.max_tokens, count))
        << "trial " << trial << " max " << options.max_tokens;
    ASSERT_TRUE(CheckLossless(doc, chunks)) << "trial " << trial << " max " << options.max_tokens;
  }
}

TEST(ChunkPropertyTest, RandomDocumentsKeepLimitsWithOverlap) {
  TextGenerator gen(7);
  for (int trial = 0; trial < 300; ++trial) {
    const ParsedDocument doc = RandomDocument(&gen);
    ChunkOptions options = RandomOptions(&gen, gen.Uniform(1, 50));
    const std::vector<Chunk> chunks = chunk_test::MustChunk(doc, options, TestCounter());
    ASSERT_TRUE(CheckChunkInvariants(chunks, options.max_tokens, TestCounter()))
        << "trial " << trial;
    // The same document without overlap has no more chunks.
    options.overlap_tokens = 0;
    EXPECT_LE(chunk_test::MustChunk(doc, options, TestCounter()).size(), chunks.size());
  }
}

// The corpus files as blocks: one paragraph per run of non-blank lines.
ParsedDocument LoadCorpusFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<Block> blocks;
  std::string paragraph, line;
  std::istringstream lines(buffer.str());
  auto flush = [&] {
    const std::string trimmed(chunk_test::TrimForTest(paragraph));
    if (!trimmed.empty()) blocks.push_back(chunk_test::Para(trimmed));
    paragraph.clear();
  };
  while (std::getline(lines, line)) {
    if (chunk_test::TrimForTest(line).empty()) {
      flush();
    } else {
      paragraph += line + "\n";
    }
  }
  flush();
  return chunk_test::Doc(std::move(blocks));
}

TEST(ChunkPropertyTest, CorpusFilesAreLosslessAndWithinLimits) {
  ASSERT_TRUE(std::filesystem::is_directory(kCorpusDir))
      << kCorpusDir << " is missing: the corpus test needs the shared sample documents";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpusDir)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    const ParsedDocument doc = LoadCorpusFile(entry.path());
    ASSERT_FALSE(doc.blocks.empty()) << entry.path();
    for (int64_t limit : {16, 64, 200, 500}) {
      const std::vector<Chunk> chunks = chunk_test::MustChunk(doc, chunk_test::Options(limit, 0));
      EXPECT_TRUE(CheckChunkInvariants(chunks, limit, TestCounter())) << entry.path() << limit;
      EXPECT_TRUE(CheckLossless(doc, chunks)) << entry.path() << " " << limit;
      const std::vector<Chunk> overlapping =
          chunk_test::MustChunk(doc, chunk_test::Options(limit, limit / 4));
      EXPECT_TRUE(CheckChunkInvariants(overlapping, limit, TestCounter())) << entry.path();
    }
  }
  EXPECT_GE(files, 5) << "expected the five corpus files in " << kCorpusDir;
}

}  // namespace
}  // namespace kiln::rag
