#include "rag/chunk/packer.h"

#include <utility>

#include "base/check.h"

namespace kiln::rag::chunk {
namespace {

class Packer {
 public:
  Packer(const UnitList& units, int64_t limit, int64_t overlap, const TokenCounter& count)
      : units_(units), limit_(limit), overlap_(overlap), count_(count) {}

  std::vector<PackedChunk> Run(size_t begin, size_t end) {
    if (begin < end) Visit(begin, end, /*level=*/-1);
    Flush();
    return std::move(chunks_);
  }

 private:
  // Places the node [begin, end) whose internal cuts are all weaker than
  // `level`; its children are split at cuts of level + 1 or stronger.
  void Visit(size_t begin, size_t end, int level) {
    if (end - begin == 1 || units_.Tokens(begin, end) <= limit_) {
      Place(begin, end);
      return;
    }
    Flush();  // a node that must be split starts a fresh chunk
    const int child_level = level + 1;
    size_t start = begin;
    for (size_t i = begin + 1; i < end; ++i) {
      if (units_[i].cut <= child_level) {
        Visit(start, i, child_level);
        start = i;
      }
    }
    Visit(start, end, child_level);
  }

  void Place(size_t begin, size_t end) {
    KILN_DCHECK(!open_ || end_ == begin);
    if (open_ && units_.Tokens(begin_, end) <= limit_) {
      end_ = end;
      return;
    }
    Flush();
    begin_ = OverlapStart(begin, end);
    content_begin_ = begin;
    end_ = end;
    open_ = true;
  }

  // The first unit of the overlap for a chunk whose content starts with the
  // node [begin, end): the earliest sentence start after the previous
  // chunk's first content unit whose suffix fits both budgets.
  size_t OverlapStart(size_t begin, size_t end) const {
    if (overlap_ <= 0 || chunks_.empty() || chunks_.back().end != begin) return begin;
    const size_t floor = chunks_.back().content_begin;
    size_t best = begin;
    for (size_t x = begin; x > floor + 1;) {
      --x;
      if (units_.Tokens(x, begin) > overlap_ || units_.Tokens(x, end) > limit_) break;
      if (units_[x].cut <= kSentenceCut) best = x;
    }
    return best;
  }

  void Flush() {
    if (!open_) return;
    open_ = false;
    Emit(begin_, content_begin_, end_);
  }

  // Renders and counts a chunk; see PackUnits for what happens when the count
  // disagrees with the estimate.
  void Emit(size_t begin, size_t content_begin, size_t end) {
    std::string text = units_.Render(begin, end);
    if (text.empty()) return;
    const int64_t tokens = count_(text);
    if (tokens <= limit_ || end - begin == 1) {
      chunks_.push_back({begin, content_begin, end, std::move(text), tokens});
      return;
    }
    if (begin < content_begin) {
      Emit(content_begin, content_begin, end);
      return;
    }
    const size_t mid = StrongestCut(begin, end);
    Emit(begin, begin, mid);
    Emit(mid, mid, end);
  }

  // The strongest cut inside [begin, end), the one nearest the middle among
  // equals.
  size_t StrongestCut(size_t begin, size_t end) const {
    const size_t middle = begin + (end - begin) / 2;
    auto distance = [&](size_t i) { return i > middle ? i - middle : middle - i; };
    size_t best = begin + 1;
    for (size_t i = begin + 2; i < end; ++i) {
      if (units_[i].cut < units_[best].cut ||
          (units_[i].cut == units_[best].cut && distance(i) < distance(best))) {
        best = i;
      }
    }
    return best;
  }

  const UnitList& units_;
  const int64_t limit_;
  const int64_t overlap_;
  const TokenCounter& count_;

  bool open_ = false;  // a chunk [begin_, end_) with content from content_begin_ is open
  size_t begin_ = 0;
  size_t content_begin_ = 0;
  size_t end_ = 0;
  std::vector<PackedChunk> chunks_;
};

}  // namespace

std::vector<PackedChunk> PackUnits(const UnitList& units, size_t begin, size_t end, int64_t limit,
                                   int64_t overlap, const TokenCounter& count) {
  return Packer(units, limit, overlap, count).Run(begin, end);
}

}  // namespace kiln::rag::chunk
