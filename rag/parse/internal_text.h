// Helpers shared by the format parsers of rag/parse/: the block sink that
// enforces the text budget, Unicode-aware trimming, table-row formatting and
// the charset-aware decoding behind DecodeText. Internal to rag/parse/; pure
// functions and a single-owner sink, so thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "rag/document.h"

namespace kiln::rag::parse_internal {

// Collects the blocks of one document. Every parser funnels its output through
// here so that one place trims text, drops empty blocks and stops output that
// outgrows the text budget: table headers repeated per row and JSON paths
// repeated per leaf can make the output far larger than the input.
class BlockSink {
 public:
  explicit BlockSink(size_t max_text_bytes) : max_bytes_(max_text_bytes) {}

  // Adds a block holding `text` trimmed of whitespace at both ends (nothing
  // when that leaves it empty). Returns false once the budget is spent; the
  // caller should stop, and Finish() then reports kTooLarge.
  bool Add(BlockKind kind, std::string_view text, int level = 0);
  // Adds a kCode block: only blank lines around it and trailing whitespace
  // are removed, so the first line keeps its indentation.
  bool AddCode(std::string_view text);

  bool full() const { return full_; }
  // Bytes still allowed before the budget is spent.
  size_t remaining() const { return full_ ? 0 : max_bytes_ - bytes_; }
  size_t max_bytes() const { return max_bytes_; }
  const std::vector<Block>& blocks() const { return blocks_; }

  // kTooLarge when the budget was passed, else OK.
  Status Finish() const;
  std::vector<Block> TakeBlocks() { return std::move(blocks_); }

 private:
  bool Push(BlockKind kind, std::string_view text, int level);

  size_t max_bytes_;
  size_t bytes_ = 0;
  bool full_ = false;
  std::vector<Block> blocks_;
};

// Unicode white space, including the no-break, ideographic and zero-width
// spaces that Chinese documents use for layout.
bool IsSpaceCodePoint(uint32_t cp);
// `text` without white space at either end.
std::string_view TrimSpace(std::string_view text);
bool IsBlank(std::string_view text);
// ASCII-only lower-casing, for names and tags.
std::string AsciiLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Formats one table row against its header as "name: value; name2: value2".
// Empty cells are skipped; missing or empty header names become "column N"
// (1-based). Stops appending once the result passes `max_bytes`, so a hostile
// table cannot build a huge string before the sink refuses it.
std::string FormatTableRow(const std::vector<std::string>& header,
                           const std::vector<std::string>& cells, size_t max_bytes);

// Emits a table (rows of cell texts, the header first) as kTableRow blocks.
// A table with a header only keeps its text as one paragraph of cells.
void EmitTable(const std::vector<std::vector<std::string>>& rows, BlockSink* sink);

// DecodeText with a charset declared by the document or its upload
// (<meta charset>, "text/html; charset=gbk"): a GB charset accepts GB18030
// bytes without the plausibility test. Other declared charsets are ignored.
Result<std::string> DecodeTextWithCharset(std::string_view bytes, std::string_view charset,
                                          std::string* encoding);

}  // namespace kiln::rag::parse_internal
