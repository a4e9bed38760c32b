#include "engine/tokenizer/internal/pretokenize.h"

#include "engine/tokenizer/internal/unicode.h"

namespace kiln::engine::tokenizer_internal {
namespace {

// The GPT-2 split of cpts[begin, end), appended to `out`.
void SplitRange(const std::vector<uint32_t>& cpts, size_t begin, size_t end,
                std::vector<Span>* out) {
  constexpr uint32_t kNone = 0xFFFFFFFF;
  const auto cpt = [&](size_t i) { return i < end ? cpts[i] : kNone; };
  const auto letter = [&](size_t i) { return i < end && IsLetter(cpts[i]); };
  const auto number = [&](size_t i) { return i < end && IsNumber(cpts[i]); };
  const auto space = [&](size_t i) { return i < end && IsWhitespace(cpts[i]); };
  const auto other = [&](size_t i) { return i < end && !space(i) && !letter(i) && !number(i); };

  size_t pos = begin;
  const auto emit = [&](size_t to) {
    if (to > pos) out->push_back({pos, to});
    pos = to;
  };
  while (pos < end) {
    const uint32_t c = cpts[pos];
    if (c == '\'' && pos + 1 < end) {
      const uint32_t n1 = cpt(pos + 1), n2 = cpt(pos + 2);
      if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
        emit(pos + 2);
        continue;
      }
      if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
        emit(pos + 3);
        continue;
      }
    }
    // " ?X+" for the classes letter, number, other: an optional leading U+0020.
    const size_t head = pos + (c == ' ' ? 1 : 0);
    bool matched = false;
    if (letter(head)) {
      size_t i = head;
      while (letter(i)) ++i;
      emit(i);
      matched = true;
    } else if (number(head)) {
      size_t i = head;
      while (number(i)) ++i;
      emit(i);
      matched = true;
    } else if (other(head)) {
      size_t i = head;
      while (other(i)) ++i;
      emit(i);
      matched = true;
    }
    if (matched) continue;
    size_t n = 0;
    while (space(pos + n)) ++n;
    if (n > 1 && pos + n < end) {
      emit(pos + n - 1);  // \s+(?!\S): leave the last space to the next word
    } else if (n > 0) {
      emit(pos + n);
    } else {
      emit(pos + 1);
    }
  }
}

}  // namespace

std::vector<Span> SplitGpt2(const std::vector<uint32_t>& cpts, bool split_digits) {
  std::vector<Span> out;
  out.reserve(cpts.size() / 3 + 1);
  if (!split_digits) {
    SplitRange(cpts, 0, cpts.size(), &out);
    return out;
  }
  size_t start = 0;
  for (size_t i = 0; i < cpts.size(); ++i) {
    if (!IsNumber(cpts[i])) continue;
    SplitRange(cpts, start, i, &out);
    out.push_back({i, i + 1});
    start = i + 1;
  }
  SplitRange(cpts, start, cpts.size(), &out);
  return out;
}

}  // namespace kiln::engine::tokenizer_internal
