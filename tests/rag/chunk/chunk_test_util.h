// Shared helpers of the chunker tests: token counters, document builders and
// property checks (lossless, limits, punctuation, positions).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "rag/chunk/chunker.h"
#include "rag/document.h"

namespace kiln::rag::chunk_test {

// Behaves like a real tokenizer at the scale that matters: one token per
// non-ASCII character (CJK, emoji, fullwidth punctuation), one per ASCII word
// (run of letters and digits), one per ASCII punctuation mark, none for
// whitespace. A piece cut out of a word counts a whole token, so sums of
// pieces never undercount.
inline int64_t CountTestTokens(std::string_view text) {
  int64_t tokens = 0;
  bool in_word = false;
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t cp = DecodeUtf8(text, &pos);
    const bool word = cp < 0x80 && ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                                    (cp >= '0' && cp <= '9'));
    const bool space = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000 || cp == 0xA0;
    if (word) {
      tokens += in_word ? 0 : 1;
    } else if (!space) {
      ++tokens;
    }
    in_word = word;
  }
  return tokens;
}

inline TokenCounter TestCounter() { return CountTestTokens; }
inline TokenCounter ByteCounter() {
  return [](std::string_view text) { return static_cast<int64_t>(text.size()); };
}

inline Block Para(std::string text) { return Block{BlockKind::kParagraph, 0, std::move(text)}; }
inline Block Heading(int level, std::string text) {
  return Block{BlockKind::kHeading, level, std::move(text)};
}
inline Block Row(std::string text) { return Block{BlockKind::kTableRow, 0, std::move(text)}; }
inline Block Code(std::string text) { return Block{BlockKind::kCode, 0, std::move(text)}; }
inline Block Item(std::string text) { return Block{BlockKind::kListItem, 0, std::move(text)}; }

inline ParsedDocument Doc(std::vector<Block> blocks) {
  ParsedDocument doc;
  doc.format = "txt";
  doc.encoding = "utf-8";
  doc.blocks = std::move(blocks);
  return doc;
}

inline ChunkOptions Options(int64_t max_tokens, int64_t overlap_tokens) {
  ChunkOptions options;
  options.max_tokens = max_tokens;
  options.overlap_tokens = overlap_tokens;
  return options;
}

inline std::vector<Chunk> MustChunk(const ParsedDocument& doc, const ChunkOptions& options,
                                    const TokenCounter& count = TestCounter()) {
  Result<std::vector<Chunk>> chunks = ChunkDocument(doc, options, count);
  EXPECT_TRUE(chunks.ok()) << chunks.status().ToString();
  return chunks.ok() ? std::move(chunks).value() : std::vector<Chunk>{};
}

inline bool IsTestSpace(uint32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000 || cp == 0xA0;
}

// `text` without leading and trailing whitespace (as IsTestSpace has it).
inline std::string_view TrimForTest(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsTestSpace(DecodeUtf8(text, &next))) break;
    begin = next;
  }
  size_t end = begin, pos = begin;
  while (pos < text.size()) {
    if (!IsTestSpace(DecodeUtf8(text, &pos))) end = pos;
  }
  return text.substr(begin, end - begin);
}

// Characters no chunk may start with. ASCII quotes are left out: they open
// sentences as often as they close them.
inline bool IsForbiddenStart(uint32_t cp) {
  static constexpr std::u32string_view kForbidden = U"。，、；：？！…”’」』）》】〕,.;:!?)]";
  return kForbidden.find(static_cast<char32_t>(cp)) != std::u32string_view::npos;
}

inline bool IsValidUtf8(std::string_view text) {
  std::string copy;
  AppendValidUtf8(text, /*final=*/true, &copy);
  return copy == text;
}

// Positions 0..n-1, tokens == count(text) <= limit, non-empty trimmed valid
// UTF-8 text that never starts with a forbidden character.
inline ::testing::AssertionResult CheckChunkInvariants(const std::vector<Chunk>& chunks,
                                                       int64_t limit, const TokenCounter& count) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    auto fail = [&](std::string_view why) {
      return ::testing::AssertionFailure() << "chunk " << i << " " << why << ": [" << c.text << "]";
    };
    if (c.position != static_cast<int64_t>(i)) return fail("has the wrong position");
    if (c.text.empty()) return fail("is empty");
    if (!IsValidUtf8(c.text)) return fail("is not valid UTF-8");
    if (c.tokens != count(c.text)) return fail("has tokens != count(text)");
    if (c.tokens > limit) return fail("is over the limit of " + std::to_string(limit));
    size_t pos = 0;
    const uint32_t first = DecodeUtf8(c.text, &pos);
    if (IsTestSpace(first)) return fail("starts with whitespace");
    if (IsForbiddenStart(first)) return fail("starts with punctuation");
  }
  return ::testing::AssertionSuccess();
}

// With overlap 0: walking the non-heading blocks (each trimmed and
// non-empty) in order, every chunk must match the source exactly, where
// "\n\n" stands for a block boundary and whitespace between chunks may be
// skipped.
inline ::testing::AssertionResult CheckLossless(const ParsedDocument& doc,
                                                const std::vector<Chunk>& chunks) {
  std::vector<std::string_view> blocks;
  for (const Block& b : doc.blocks) {
    if (b.kind != BlockKind::kHeading) blocks.push_back(b.text);
  }
  size_t bi = 0, off = 0;
  auto skip_space = [&] {
    while (bi < blocks.size()) {
      if (off >= blocks[bi].size()) {
        ++bi, off = 0;
        continue;
      }
      size_t next = off;
      if (!IsTestSpace(DecodeUtf8(blocks[bi], &next))) break;
      off = next;
    }
  };
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const std::string& text = chunks[ci].text;
    skip_space();
    for (size_t k = 0; k < text.size();) {
      if (bi < blocks.size() && off < blocks[bi].size() && text[k] == blocks[bi][off]) {
        ++k, ++off;
      } else if (bi < blocks.size() && off == blocks[bi].size() &&
                 text.compare(k, 2, "\n\n") == 0) {
        k += 2;
        ++bi, off = 0;
      } else {
        const std::string_view rest =
            bi < blocks.size() ? blocks[bi].substr(off, 60) : std::string_view("<end>");
        return ::testing::AssertionFailure()
               << "chunk " << ci << " differs from the source at byte " << k << ": chunk has ["
               << text.substr(k, 60) << "], source has [" << rest << "]";
      }
    }
  }
  skip_space();
  if (bi != blocks.size()) {
    return ::testing::AssertionFailure()
           << "source text left after the last chunk: [" << blocks[bi].substr(off, 80) << "]";
  }
  return ::testing::AssertionSuccess();
}

// Counts the whole-string occurrences of `needle` across chunk texts.
inline size_t CountOccurrences(const std::vector<Chunk>& chunks, std::string_view needle) {
  size_t n = 0;
  for (const Chunk& c : chunks) {
    for (size_t pos = 0; (pos = c.text.find(needle, pos)) != std::string::npos;
         pos += needle.size()) {
      ++n;
    }
  }
  return n;
}

// `n` copies of `unit` concatenated.
inline std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  out.reserve(unit.size() * n);
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

}  // namespace kiln::rag::chunk_test
