#include "rag/chunk/separators.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "base/utf8.h"
#include "rag/chunk/text_scan.h"

namespace kiln::rag::chunk {
namespace {

static_assert(sizeof(wchar_t) == 4, "regex separators match UTF-32 code points");

constexpr size_t kMaxSeparators = 32;
constexpr size_t kMaxSeparatorBytes = 200;
constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

Status Refuse(size_t index, std::string_view pattern, std::string_view why) {
  return InvalidArgument("separators[" + std::to_string(index) + "]: \"" + std::string(pattern) +
                             "\" " + std::string(why),
                         "separators");
}

std::wstring ToWide(std::string_view text, std::vector<size_t>* offsets) {
  std::wstring wide;
  wide.reserve(text.size());
  if (offsets != nullptr) offsets->reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    if (offsets != nullptr) offsets->push_back(pos);
    wide.push_back(static_cast<wchar_t>(DecodeUtf8(text, &pos)));
  }
  if (offsets != nullptr) offsets->push_back(text.size());
  return wide;
}

bool IsValidUtf8(std::string_view text) {
  std::string copy;
  AppendValidUtf8(text, /*final=*/true, &copy);
  return copy == text;
}

// The lead byte of the code point that ends at `pos`.
size_t PrevStart(std::string_view text, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80 && pos - start < 4) {
    --start;
  }
  return start;
}

// Whether the character at `pos` starts a line or a sentence: only spaces and
// closing quotes lie between it and a line break, the text start, or a
// terminal (。！？… . ! ?) or list-opening (；：; :) mark.
bool StartsLineOrSentence(std::string_view text, size_t pos) {
  while (pos > 0) {
    const size_t start = PrevStart(text, pos);
    const uint32_t cp = CodePointAt(text, start);
    if (cp == '\n') return true;
    if (IsSpace(cp) || IsClosing(cp) || cp == '"' || cp == '\'') {
      pos = start;
      continue;
    }
    return IsCjkTerminal(cp) || cp == 0xFF1B || cp == 0xFF1A || cp == '.' || cp == '!' ||
           cp == '?' || cp == ';' || cp == ':';
  }
  return true;
}

// Where a match [begin, end) cuts: before its first non-space character when
// that starts a line or sentence (a marker like "第二条" opens the next
// piece), else after the match (a delimiter like "\n\n" closes the piece).
size_t CutForMatch(std::string_view text, size_t begin, size_t end) {
  size_t first = begin;
  while (first < end && IsSpace(CodePointAt(text, first))) DecodeUtf8(text, &first);
  if (first >= end) return end;
  return StartsLineOrSentence(text, first) ? first : end;
}

struct Quantifier {
  size_t min = 0;
  size_t max = 0;
};

// Parses a quantifier at `*i` (*, +, ?, {n}, {n,}, {n,m}, each maybe lazy),
// advancing past it.
bool ParseQuantifier(std::string_view p, size_t* i, Quantifier* q) {
  size_t j = *i;
  const char c = p[j];
  if (c == '*' || c == '+' || c == '?') {
    *q = {c == '+' ? 1u : 0u, c == '?' ? 1u : kUnbounded};
    ++j;
  } else if (c == '{') {
    auto number = [&](size_t* out) {
      const size_t from = j;
      size_t value = 0;
      while (j < p.size() && p[j] >= '0' && p[j] <= '9' && j - from < 9) {
        value = value * 10 + static_cast<size_t>(p[j++] - '0');
      }
      *out = value;
      return j > from;
    };
    ++j;
    if (!number(&q->min)) return false;
    q->max = q->min;
    if (j < p.size() && p[j] == ',') {
      ++j;
      if (!number(&q->max)) q->max = kUnbounded;
    }
    if (j >= p.size() || p[j] != '}') return false;
    ++j;
  } else {
    return false;
  }
  if (j < p.size() && p[j] == '?') ++j;  // lazy
  *i = j;
  return true;
}

// Past a character class starting at `i` ('['), escapes and a leading ']'
// included.
size_t SkipClass(std::string_view p, size_t i) {
  ++i;
  if (i < p.size() && p[i] == '^') ++i;
  if (i < p.size() && p[i] == ']') ++i;
  while (i < p.size() && p[i] != ']') i += p[i] == '\\' ? 2 : 1;
  return std::min(i + 1, p.size());
}

}  // namespace

Status CheckRegexCost(std::string_view p) {
  struct Group {
    bool repeats = false;     // holds a variable repetition
    bool alternates = false;  // holds a '|'
  };
  std::vector<Group> groups(1);
  Group closed;  // the group that just ended, if `last` is kGroup
  enum class Last { kNone, kAtom, kGroup } last = Last::kNone;
  double steps = kRegexWindow;  // a search tries every start in the window
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    Quantifier q;
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9') {
        return InvalidArgument("uses a backreference, which can take exponential time");
      }
      i += 2;
      last = Last::kAtom;
    } else if (c == '[') {
      i = SkipClass(p, i);
      last = Last::kAtom;
    } else if (c == '(') {
      groups.emplace_back();
      i += (i + 1 < p.size() && p[i + 1] == '?') ? 3 : 1;  // (?: (?= (?!
      last = Last::kNone;
    } else if (c == ')') {
      if (groups.size() > 1) {
        closed = groups.back();
        groups.pop_back();
        groups.back().repeats |= closed.repeats;
        groups.back().alternates |= closed.alternates;
      }
      ++i;
      last = Last::kGroup;
    } else if (c == '|') {
      groups.back().alternates = true;
      ++i;
      last = Last::kNone;
    } else if (ParseQuantifier(p, &i, &q)) {
      if (last == Last::kGroup && q.max > 1 && (closed.repeats || closed.alternates)) {
        return InvalidArgument(
            "repeats a group that itself repeats or alternates, which can take exponential "
            "time; use a character class such as [ab]* instead of (a|b)*");
      }
      if (q.max != q.min) {
        groups.back().repeats = true;
        const size_t hi = std::min(q.max, kRegexWindow), lo = std::min(q.min, hi);
        steps *= static_cast<double>(hi - lo + 1);
      }
      last = Last::kNone;
    } else {
      ++i;
      last = Last::kAtom;
    }
  }
  if (steps > kMaxRegexStepsPerWindow) {
    return InvalidArgument(
        "has too many repetitions to match in bounded time (at most two unbounded *, + or "
        "{n,})");
  }
  return Status::OK();
}

Result<SeparatorSet> SeparatorSet::Compile(const std::vector<Separator>& separators) {
  if (separators.size() > kMaxSeparators) {
    return InvalidArgument("at most 32 separators (got " + std::to_string(separators.size()) + ")",
                           "separators");
  }
  SeparatorSet set;
  for (size_t i = 0; i < separators.size(); ++i) {
    const std::string& pattern = separators[i].pattern;
    if (pattern.empty()) return Refuse(i, pattern, "is empty");
    if (pattern.size() > kMaxSeparatorBytes) return Refuse(i, "...", "is over 200 bytes");
    if (!IsValidUtf8(pattern)) return Refuse(i, "...", "is not valid UTF-8");
    if (!separators[i].regex) {
      set.literals_.push_back(pattern);
      continue;
    }
    CompiledRegex compiled{pattern, {}};
    try {
      compiled.regex.assign(ToWide(pattern, nullptr),
                            std::regex_constants::ECMAScript | std::regex_constants::multiline);
      // A pattern that matches nothing at all would cut everywhere.
      if (std::regex_match(std::wstring(), compiled.regex)) {
        return Refuse(i, pattern, "matches the empty string");
      }
    } catch (const std::regex_error& e) {
      return Refuse(i, pattern, std::string("is not a valid regex: ") + e.what());
    }
    if (Status cost = CheckRegexCost(pattern); !cost.ok())
      return Refuse(i, pattern, cost.message());
    set.regexes_.push_back(std::move(compiled));
  }
  return set;
}

Result<std::vector<size_t>> SeparatorSet::FindCuts(std::string_view text,
                                                   RegexBudget* budget) const {
  std::vector<size_t> cuts;
  for (const std::string& literal : literals_) {
    for (size_t pos = 0; (pos = text.find(literal, pos)) != std::string_view::npos;) {
      cuts.push_back(CutForMatch(text, pos, pos + literal.size()));
      pos += literal.size();
    }
  }
  if (!regexes_.empty()) {
    std::vector<size_t> offsets;  // [wide.size() + 1] byte offset of each code point
    const std::wstring wide = ToWide(text, &offsets);
    for (const CompiledRegex& regex : regexes_) {
      KILN_RETURN_IF_ERROR(AddRegexMatches(regex, text, wide, offsets, budget, &cuts));
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

Status SeparatorSet::AddRegexMatches(const CompiledRegex& regex, std::string_view text,
                                     const std::wstring& wide, const std::vector<size_t>& offsets,
                                     RegexBudget* budget, std::vector<size_t>* cuts) const {
  namespace rc = std::regex_constants;
  const size_t n = wide.size();
  size_t taken_end = 0;  // matches never overlap: the next starts at or after this
  try {
    for (size_t window = 0; window < n; window += kRegexStride) {
      if (budget->expired()) {
        return InvalidArgument(
            "regex separator \"" + regex.source + "\" takes too long on this document; simplify it",
            "separators");
      }
      const size_t window_end = std::min(n, window + kRegexWindow);
      // This window reports the matches that start in its first stride; the
      // next window, which sees further, reports the rest.
      const size_t owned_end = window_end == n ? n : window + kRegexStride;
      for (size_t p = std::max(window, taken_end); p < owned_end;) {
        auto flags = rc::match_default;
        if (p > 0) flags |= rc::match_prev_avail;  // lets ^ and \b see the character before
        if (window_end < n) flags |= rc::match_not_eol;
        std::match_results<const wchar_t*> m;
        if (!std::regex_search(wide.data() + p, wide.data() + window_end, m, regex.regex, flags)) {
          break;
        }
        const size_t begin = p + static_cast<size_t>(m.position(0));
        const size_t end = begin + static_cast<size_t>(m.length(0));
        if (begin >= owned_end) break;
        cuts->push_back(CutForMatch(text, offsets[begin], offsets[end]));
        taken_end = std::max(end, begin + 1);
        p = taken_end;
      }
      if (window_end == n) break;
    }
  } catch (const std::regex_error& e) {
    return InvalidArgument("regex separator \"" + regex.source + "\" failed: " + e.what(),
                           "separators");
  }
  return Status::OK();
}

}  // namespace kiln::rag::chunk
