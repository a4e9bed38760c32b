// StripInlineMarkup: one left-to-right pass that copies text to the output and
// records what may turn out to be markup (emphasis runs, link openers); a
// second step deletes the recorded pieces that were confirmed. Markdown files
// are uploads, so every look-ahead is bounded or cached to keep the work
// linear on hostile input ("[[[[...", "`` ` `` ...", "*a *a *a ...").
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "rag/parse/internal_markdown.h"
#include "rag/parse/internal_text.h"

namespace kiln::rag::parse_internal {
namespace {

constexpr size_t kMaxBracketDepth = 64;  // deeper '[' never open a link
constexpr size_t kMaxParenDepth = 256;   // deeper '(' are left unmatched
constexpr size_t kMaxCodeFence = 16;     // longer backtick runs stay literal

bool IsAsciiPunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The code point that ends just before `pos`, or none at the start.
std::optional<uint32_t> CodePointBefore(std::string_view text, size_t pos) {
  if (pos == 0) return std::nullopt;
  size_t lead = pos - 1;
  while (lead > 0 && pos - lead < 4 && (static_cast<uint8_t>(text[lead]) & 0xC0) == 0x80) --lead;
  size_t next = lead;
  return DecodeUtf8(text, &next);
}

std::optional<uint32_t> CodePointAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  return DecodeUtf8(text, &pos);
}

// Pairs of '(' and ')' where the '(' follows a ']', sorted by the '('.
std::vector<std::pair<size_t, size_t>> MatchLinkParens(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> pairs;
  std::vector<size_t> stack;
  size_t overflow = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      ++i;
    } else if (c == '(') {
      if (stack.size() < kMaxParenDepth) {
        stack.push_back(i);
      } else {
        ++overflow;
      }
    } else if (c == ')') {
      if (overflow > 0) {
        --overflow;
      } else if (!stack.empty()) {
        const size_t open = stack.back();
        stack.pop_back();
        if (open > 0 && text[open - 1] == ']') pairs.emplace_back(open, i);
      }
    }
  }
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

struct DelimiterRun {
  size_t out_pos;
  size_t length;
  char ch;
  bool can_open;
  bool can_close;
};

class InlineStripper {
 public:
  explicit InlineStripper(std::string_view in) : in_(in), link_parens_(MatchLinkParens(in)) {}

  std::string Run() {
    for (size_t i = 0; i < in_.size();) i = Step(i);
    PairDelimiters();
    return Assemble();
  }

 private:
  // Handles the construct starting at `i`; returns where to continue.
  size_t Step(size_t i) {
    const char c = in_[i];
    if (c == '\\' && i + 1 < in_.size() && IsAsciiPunct(in_[i + 1])) {
      out_.push_back(in_[i + 1]);
      return i + 2;
    }
    if (c == '`') return CodeSpan(i);
    if ((c == '[' || (c == '!' && i + 1 < in_.size() && in_[i + 1] == '[')) &&
        openers_.size() < kMaxBracketDepth) {
      const size_t length = c == '!' ? 2 : 1;
      openers_.push_back({out_.size(), length});
      out_.append(in_.substr(i, length));
      return i + length;
    }
    if (c == ']' && !openers_.empty()) return CloseBracket(i);
    if (c == '*' || c == '_' || c == '~') return Delimiter(i);
    out_.push_back(c);
    return i + 1;
  }

  size_t CodeSpan(size_t i) {
    size_t n = 0;
    while (i + n < in_.size() && in_[i + n] == '`') ++n;
    if (n <= kMaxCodeFence && !no_closer_[n]) {
      // Find a run of exactly n backticks.
      for (size_t j = i + n; j < in_.size();) {
        j = in_.find('`', j);
        if (j == std::string_view::npos) break;
        size_t m = 0;
        while (j + m < in_.size() && in_[j + m] == '`') ++m;
        if (m == n) {
          std::string_view content = in_.substr(i + n, j - i - n);
          if (content.size() >= 2 && content.front() == ' ' && content.back() == ' ') {
            content = content.substr(1, content.size() - 2);
          }
          out_.append(content);
          return j + n;
        }
        j += m;
      }
      // No closer after here means none after any later position either.
      no_closer_[n] = true;
    }
    out_.append(in_.substr(i, n));
    return i + n;
  }

  // A ']' closes the innermost opener; it is a link when "(dest)" or "[ref]"
  // follows, in which case the opener and the destination are dropped.
  size_t CloseBracket(size_t i) {
    const Opener opener = openers_.back();
    openers_.pop_back();
    const size_t after = i + 1;
    if (after < in_.size() && in_[after] == '(') {
      auto it = std::lower_bound(link_parens_.begin(), link_parens_.end(),
                                 std::make_pair(after, size_t{0}));
      if (it != link_parens_.end() && it->first == after) {
        deletions_.emplace_back(opener.out_pos, opener.length);
        return it->second + 1;
      }
    }
    if (after < in_.size() && in_[after] == '[') {
      // A reference label: stops at the next bracket, so each byte is looked
      // at by at most one such scan.
      for (size_t j = after + 1; j < in_.size() && in_[j] != '\n' && in_[j] != '['; ++j) {
        if (in_[j] == ']') {
          deletions_.emplace_back(opener.out_pos, opener.length);
          return j + 1;
        }
      }
    }
    out_.push_back(']');
    return after;
  }

  size_t Delimiter(size_t i) {
    const char c = in_[i];
    size_t n = 0;
    while (i + n < in_.size() && in_[i + n] == c) ++n;
    const std::optional<uint32_t> prev = CodePointBefore(in_, i);
    const std::optional<uint32_t> next = CodePointAt(in_, i + n);
    const bool left = next && !IsSpaceCodePoint(*next);
    const bool right = prev && !IsSpaceCodePoint(*prev);
    bool can_open = left;
    bool can_close = right;
    if (c == '_') {
      // Intraword underscores (snake_case, 中文_字) are not emphasis.
      auto wordy = [](std::optional<uint32_t> cp) {
        return cp && (*cp >= 0x80 || IsAsciiAlnum(static_cast<char>(*cp)));
      };
      can_open = left && !wordy(prev);
      can_close = right && !wordy(next);
    }
    const bool eligible = c == '~' ? n == 2 : n <= 3;
    if (eligible) runs_.push_back({out_.size(), n, c, can_open, can_close});
    out_.append(in_.substr(i, n));
    return i + n;
  }

  // Pairs runs of the same character and length, nearest opener first.
  void PairDelimiters() {
    std::array<std::optional<size_t>, 12> pending;  // by (char, length)
    for (size_t r = 0; r < runs_.size(); ++r) {
      const DelimiterRun& run = runs_[r];
      const size_t key = (run.ch == '*' ? 0 : run.ch == '_' ? 4 : 8) + run.length;
      std::optional<size_t>& open = pending[key];
      if (run.can_close && open) {
        deletions_.emplace_back(runs_[*open].out_pos, runs_[*open].length);
        deletions_.emplace_back(run.out_pos, run.length);
        open.reset();
      } else if (run.can_open && !open) {
        open = r;
      }
    }
  }

  std::string Assemble() {
    std::sort(deletions_.begin(), deletions_.end());
    std::string result;
    result.reserve(out_.size());
    size_t pos = 0;
    for (const auto& [start, length] : deletions_) {
      if (start < pos) continue;
      result.append(out_, pos, start - pos);
      pos = start + length;
    }
    if (pos < out_.size()) result.append(out_, pos);
    return result;
  }

  struct Opener {
    size_t out_pos;
    size_t length;  // 1 for '[', 2 for "!["
  };

  std::string_view in_;
  std::vector<std::pair<size_t, size_t>> link_parens_;
  std::string out_;
  std::vector<Opener> openers_;
  std::vector<DelimiterRun> runs_;
  std::vector<std::pair<size_t, size_t>> deletions_;  // (position in out_, length)
  std::array<bool, kMaxCodeFence + 1> no_closer_{};
};

}  // namespace

std::string StripInlineMarkup(std::string_view text) { return InlineStripper(text).Run(); }

}  // namespace kiln::rag::parse_internal
