// Units: the smallest pieces the packer places, each with its token count and
// the strength of the cut before it. Internal to rag/chunk/.
//
// A run of blocks (consecutive body blocks of one section, or one table row)
// is cut down to sentences, always, because overlap is made of whole
// sentences; a sentence larger than the leaf limit is cut further at clause
// punctuation, and a clause still too large at character boundaries. The cut
// levels nest, so the units of a run describe a tree (block > separator piece
// > paragraph > line > sentence > clause > hard piece) that the packer walks.
//
// Units are views into the blocks' text: a UnitList is valid while the
// document it was built from is. Not thread-safe; one per run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rag/chunk/chunker.h"
#include "rag/chunk/separators.h"
#include "rag/document.h"

namespace kiln::rag::chunk {

// The strength of the cut before a unit; smaller is stronger.
enum CutLevel : uint8_t {
  kBlockCut = 0,
  kSeparatorCut,
  kParagraphCut,
  kLineCut,
  kSentenceCut,  // this and the levels above start a sentence: overlap may begin here
  kClauseCut,
  kHardCut,
};

struct Unit {
  std::string_view text;  // into the block's text, trailing whitespace included
  int64_t tokens = 0;     // counter(text), or the sum over its atoms for hard pieces
  uint32_t block = 0;     // index of the block within its run
  CutLevel cut = kBlockCut;
};

// Chunk text is the units' text, block by block, joined with kBlockJoiner.
inline constexpr std::string_view kBlockJoiner = "\n\n";

class UnitList {
 public:
  explicit UnitList(int64_t joiner_tokens) : joiner_tokens_(joiner_tokens) {}

  void Add(const Unit& unit);
  size_t size() const { return units_.size(); }
  const Unit& operator[](size_t i) const { return units_[i]; }

  // Estimated tokens of units [begin, end) as one chunk: the sum of their
  // counts plus one joiner per block boundary inside. Taking the count of a
  // concatenation as the sum of its parts is what lets a slow tokenizer run
  // once per sentence instead of once per candidate chunk; Render's text is
  // counted once more at the end to check the limit really holds.
  int64_t Tokens(size_t begin, size_t end) const;

  // The text of units [begin, end): units of one block concatenated, blocks
  // joined with kBlockJoiner, whitespace at block edges trimmed. "" when it
  // is all whitespace.
  std::string Render(size_t begin, size_t end) const;

 private:
  int64_t joiner_tokens_;
  std::vector<Unit> units_;
  std::vector<int64_t> token_sums_{0};    // [size + 1] tokens of units [0, i)
  std::vector<int64_t> block_starts_{0};  // [size + 1] block-starting units among [0, i)
};

class UnitBuilder {
 public:
  // `leaf_limit`: no unit is larger (unless a single character is).
  // Borrows everything; all must outlive the builder.
  UnitBuilder(const SeparatorSet& separators, int64_t leaf_limit, const TokenCounter& count,
              RegexBudget* budget, UnitList* out);

  // Appends the units of `block`, numbered `index` within the run. Fails only
  // when regex separators run out of budget.
  Status AddBlock(const Block& block, uint32_t index);

 private:
  struct Atom {
    std::string_view text;
    int64_t tokens;
  };

  static size_t BestHardCut(const std::vector<Atom>& atoms, size_t start, size_t end);
  void Split(std::string_view text, CutLevel level, CutLevel first_cut);
  void AddSentence(std::string_view text, CutLevel cut);
  void AddHard(std::string_view text, CutLevel first_cut);
  void Emit(std::string_view text, int64_t tokens, CutLevel cut);
  int64_t Count(std::string_view text) const;

  const SeparatorSet& separators_;
  int64_t leaf_limit_;
  const TokenCounter& count_;
  RegexBudget* budget_;
  UnitList* out_;
  uint32_t block_ = 0;
  bool prose_ = true;  // false for code: no sentence or clause cuts
};

}  // namespace kiln::rag::chunk
