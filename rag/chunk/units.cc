#include "rag/chunk/units.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "base/utf8.h"
#include "rag/chunk/text_scan.h"

namespace kiln::rag::chunk {

void UnitList::Add(const Unit& unit) {
  units_.push_back(unit);
  token_sums_.push_back(token_sums_.back() + unit.tokens);
  block_starts_.push_back(block_starts_.back() + (unit.cut == kBlockCut ? 1 : 0));
}

int64_t UnitList::Tokens(size_t begin, size_t end) const {
  if (begin >= end) return 0;
  const int64_t joins = block_starts_[end] - block_starts_[begin + 1];
  return token_sums_[end] - token_sums_[begin] + joins * joiner_tokens_;
}

std::string UnitList::Render(size_t begin, size_t end) const {
  std::string out;
  for (size_t i = begin; i < end;) {
    size_t j = i + 1;
    while (j < end && units_[j].block == units_[i].block) ++j;
    // Units of one block are adjacent views of its text: one span covers them.
    const char* first = units_[i].text.data();
    const char* last = units_[j - 1].text.data() + units_[j - 1].text.size();
    KILN_DCHECK(first <= last);
    const std::string_view segment = TrimSpace(std::string_view(first, last - first));
    if (!segment.empty()) {
      if (!out.empty()) out += kBlockJoiner;
      out += segment;
    }
    i = j;
  }
  return out;
}

namespace {

bool EndsWithSpace(std::string_view text) {
  return !text.empty() && TrimSpace(text).size() < text.size();
}

}  // namespace

// Where a hard piece [start, end) of atoms, full to the limit, should end
// instead of `end`: after a space if one is near (so "驻马店 永州" is not cut
// inside 永州 and a Latin word cut into letters resumes at a word), and never
// before punctuation, unless the piece is nothing but punctuation, where
// the limit wins.
size_t UnitBuilder::BestHardCut(const std::vector<Atom>& atoms, size_t start, size_t end) {
  size_t cut = end;
  if (!EndsWithSpace(atoms[end - 1].text)) {
    const size_t lookback = std::max<size_t>(1, (end - start) / 4);
    for (size_t k = end - 1; k > start && end - k <= lookback; --k) {
      if (EndsWithSpace(atoms[k - 1].text)) {
        cut = k;
        break;
      }
    }
  }
  size_t keep = cut;
  while (keep > start + 1 && IsNoStart(CodePointAt(atoms[keep].text, 0))) --keep;
  return IsNoStart(CodePointAt(atoms[keep].text, 0)) ? end : keep;
}

UnitBuilder::UnitBuilder(const SeparatorSet& separators, int64_t leaf_limit,
                         const TokenCounter& count, RegexBudget* budget, UnitList* out)
    : separators_(separators), leaf_limit_(leaf_limit), count_(count), budget_(budget), out_(out) {}

Status UnitBuilder::AddBlock(const Block& block, uint32_t index) {
  block_ = index;
  prose_ = block.kind != BlockKind::kCode;
  const std::string_view text = block.text;
  if (text.empty()) return Status::OK();
  std::vector<std::string_view> pieces{text};
  if (!separators_.empty()) {
    KILN_ASSIGN_OR_RETURN(const std::vector<size_t> cuts, separators_.FindCuts(text, budget_));
    pieces = CutText(text, cuts);
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    Split(pieces[i], kParagraphCut, i == 0 ? kBlockCut : kSeparatorCut);
  }
  return Status::OK();
}

// Cuts `text` at `level` and recurses one level down into each piece, down
// to sentences. The first piece keeps the cut that led to `text`.
void UnitBuilder::Split(std::string_view text, CutLevel level, CutLevel first_cut) {
  if (level > kSentenceCut || (level == kSentenceCut && !prose_)) {
    AddSentence(text, first_cut);
    return;
  }
  std::vector<size_t> cuts;
  switch (level) {
    case kParagraphCut:
      cuts = FindParagraphCuts(text);
      break;
    case kLineCut:
      cuts = FindLineCuts(text);
      break;
    default:
      cuts = FindSentenceCuts(text);
      break;
  }
  const std::vector<std::string_view> pieces = CutText(text, cuts);
  const auto next = static_cast<CutLevel>(level + 1);
  for (size_t i = 0; i < pieces.size(); ++i) Split(pieces[i], next, i == 0 ? first_cut : level);
}

// One sentence (or one line of code): counted once, and cut further only
// when it alone is over the leaf limit.
void UnitBuilder::AddSentence(std::string_view text, CutLevel cut) {
  const int64_t tokens = Count(text);
  if (tokens <= leaf_limit_) {
    Emit(text, tokens, cut);
    return;
  }
  if (prose_) {
    const std::vector<std::string_view> clauses = CutText(text, FindClauseCuts(text));
    if (clauses.size() > 1) {
      for (size_t i = 0; i < clauses.size(); ++i) {
        const CutLevel clause_cut = i == 0 ? cut : kClauseCut;
        const int64_t clause_tokens = Count(clauses[i]);
        if (clause_tokens <= leaf_limit_) {
          Emit(clauses[i], clause_tokens, clause_cut);
        } else {
          AddHard(clauses[i], clause_cut);
        }
      }
      return;
    }
  }
  AddHard(text, cut);
}

// The last resort: pieces of at most leaf_limit_ tokens made of whole atoms
// (Latin words, single CJK characters, whole emoji), each atom counted once.
// A word too large alone is cut between its graphemes, a grapheme too large
// between its code points.
void UnitBuilder::AddHard(std::string_view text, CutLevel first_cut) {
  std::vector<Atom> atoms;
  for (std::string_view word : SplitAtoms(text, /*group_words=*/true)) {
    const int64_t tokens = Count(word);
    if (tokens <= leaf_limit_) {
      atoms.push_back({word, tokens});
      continue;
    }
    for (std::string_view grapheme : SplitAtoms(word, /*group_words=*/false)) {
      const int64_t grapheme_tokens = Count(grapheme);
      if (grapheme_tokens <= leaf_limit_) {
        atoms.push_back({grapheme, grapheme_tokens});
        continue;
      }
      // An emoji sequence larger than the limit: code points are the floor.
      for (size_t pos = 0; pos < grapheme.size();) {
        const size_t start = pos;
        DecodeUtf8(grapheme, &pos);
        const std::string_view cp = grapheme.substr(start, pos - start);
        atoms.push_back({cp, Count(cp)});
      }
    }
  }
  CutLevel cut = first_cut;
  for (size_t start = 0; start < atoms.size();) {
    size_t end = start + 1;
    int64_t sum = atoms[start].tokens;
    while (end < atoms.size() && sum + atoms[end].tokens <= leaf_limit_) sum += atoms[end++].tokens;
    if (end < atoms.size()) {
      const size_t cut = BestHardCut(atoms, start, end);
      for (size_t i = cut; i < end; ++i) sum -= atoms[i].tokens;
      end = cut;
    }
    const char* first = atoms[start].text.data();
    const char* last = atoms[end - 1].text.data() + atoms[end - 1].text.size();
    Emit(std::string_view(first, last - first), sum, cut);
    cut = kHardCut;
    start = end;
  }
}

void UnitBuilder::Emit(std::string_view text, int64_t tokens, CutLevel cut) {
  out_->Add(Unit{text, tokens, block_, cut});
}

int64_t UnitBuilder::Count(std::string_view text) const {
  return std::max<int64_t>(0, count_(text));
}

}  // namespace kiln::rag::chunk
