#include "rag/chunk/chunker.h"

#include <algorithm>
#include <string>
#include <utility>

#include "rag/chunk/packer.h"
#include "rag/chunk/separators.h"
#include "rag/chunk/text_scan.h"
#include "rag/chunk/units.h"

namespace kiln::rag {
namespace {

constexpr int64_t kMinChunkTokens = 16;
constexpr int64_t kMaxChunkTokens = 8192;
constexpr int64_t kMinChildTokens = 8;

// The checks of ValidateChunkOptions other than the separators'.
Status CheckSizes(const ChunkOptions& options) {
  if (options.max_tokens < kMinChunkTokens || options.max_tokens > kMaxChunkTokens) {
    return InvalidArgument("chunk_size must be between 16 and 8192 tokens (got " +
                               std::to_string(options.max_tokens) + ")",
                           "chunk_size");
  }
  if (options.overlap_tokens < 0 || options.overlap_tokens > options.max_tokens / 2) {
    return InvalidArgument("chunk_overlap must be between 0 and half the chunk size, " +
                               std::to_string(options.max_tokens / 2) + " (got " +
                               std::to_string(options.overlap_tokens) + ")",
                           "chunk_overlap");
  }
  if (options.parent_child && (options.child_max_tokens < kMinChildTokens ||
                               options.child_max_tokens > options.max_tokens)) {
    return InvalidArgument("child_chunk_size must be between 8 and the chunk size, " +
                               std::to_string(options.max_tokens) + " (got " +
                               std::to_string(options.child_max_tokens) + ")",
                           "child_chunk_size");
  }
  return Status::OK();
}

// Walks the blocks in order: headings update the path, body blocks gather
// into runs that are packed together, table rows are packed alone.
class DocumentChunker {
 public:
  DocumentChunker(const ChunkOptions& options, const chunk::SeparatorSet& separators,
                  const TokenCounter& count)
      : options_(options),
        separators_(separators),
        count_(count),
        joiner_tokens_(std::max<int64_t>(0, count(chunk::kBlockJoiner))) {}

  Status Add(const Block& block) {
    switch (block.kind) {
      case BlockKind::kHeading: {
        KILN_RETURN_IF_ERROR(FlushRun());
        const int level = std::clamp(block.level, 1, 6);
        while (!headings_.empty() && headings_.back().first >= level) headings_.pop_back();
        headings_.emplace_back(level, std::string(chunk::TrimSpace(block.text)));
        return Status::OK();
      }
      case BlockKind::kTableRow:
        KILN_RETURN_IF_ERROR(FlushRun());
        return ChunkBlocks({&block}, /*overlap=*/0);
      default:
        run_.push_back(&block);
        return Status::OK();
    }
  }

  Result<std::vector<Chunk>> Finish() && {
    KILN_RETURN_IF_ERROR(FlushRun());
    return std::move(chunks_);
  }

 private:
  Status FlushRun() {
    if (run_.empty()) return Status::OK();
    const std::vector<const Block*> run = std::move(run_);
    run_.clear();
    return ChunkBlocks(run, options_.overlap_tokens);
  }

  Status ChunkBlocks(const std::vector<const Block*>& blocks, int64_t overlap) {
    chunk::UnitList units(joiner_tokens_);
    const int64_t leaf_limit =
        options_.parent_child ? options_.child_max_tokens : options_.max_tokens;
    chunk::UnitBuilder builder(separators_, leaf_limit, count_, &budget_, &units);
    for (size_t i = 0; i < blocks.size(); ++i) {
      KILN_RETURN_IF_ERROR(builder.AddBlock(*blocks[i], static_cast<uint32_t>(i)));
    }
    if (!options_.parent_child) {
      for (chunk::PackedChunk& c :
           chunk::PackUnits(units, 0, units.size(), options_.max_tokens, overlap, count_)) {
        Emit(std::move(c.text), "", c.tokens);
      }
      return Status::OK();
    }
    // Parents are context for the model: no overlap between them, or the
    // children cut from that overlap would be indexed twice.
    const int64_t child_overlap = std::min(overlap, options_.child_max_tokens / 2);
    for (const chunk::PackedChunk& parent :
         chunk::PackUnits(units, 0, units.size(), options_.max_tokens, 0, count_)) {
      for (chunk::PackedChunk& child : chunk::PackUnits(
               units, parent.begin, parent.end, options_.child_max_tokens, child_overlap, count_)) {
        Emit(std::move(child.text), parent.text, child.tokens);
      }
    }
    return Status::OK();
  }

  void Emit(std::string text, std::string parent_text, int64_t tokens) {
    Chunk& chunk = chunks_.emplace_back();
    chunk.text = std::move(text);
    chunk.parent_text = std::move(parent_text);
    chunk.heading_path.reserve(headings_.size());
    for (const auto& heading : headings_) chunk.heading_path.push_back(heading.second);
    chunk.position = static_cast<int64_t>(chunks_.size()) - 1;
    chunk.tokens = tokens;
  }

  const ChunkOptions& options_;
  const chunk::SeparatorSet& separators_;
  const TokenCounter& count_;
  const int64_t joiner_tokens_;
  chunk::RegexBudget budget_;                          // one deadline for the whole document
  std::vector<std::pair<int, std::string>> headings_;  // (level, title), outermost first
  std::vector<const Block*> run_;  // body blocks of the current section not yet packed
  std::vector<Chunk> chunks_;
};

}  // namespace

Status ValidateChunkOptions(const ChunkOptions& options) {
  KILN_RETURN_IF_ERROR(CheckSizes(options));
  return chunk::SeparatorSet::Compile(options.separators).status();
}

Result<std::vector<Chunk>> ChunkDocument(const ParsedDocument& doc, const ChunkOptions& options,
                                         const TokenCounter& count) {
  KILN_RETURN_IF_ERROR(CheckSizes(options));
  KILN_ASSIGN_OR_RETURN(const chunk::SeparatorSet separators,
                        chunk::SeparatorSet::Compile(options.separators));
  if (!count) return InvalidArgument("a token counter is required");
  DocumentChunker chunker(options, separators, count);
  for (const Block& block : doc.blocks) KILN_RETURN_IF_ERROR(chunker.Add(block));
  return std::move(chunker).Finish();
}

}  // namespace kiln::rag
