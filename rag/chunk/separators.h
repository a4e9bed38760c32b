// Custom separators (ChunkOptions::separators) compiled for matching. Internal
// to rag/chunk/.
//
// std::regex is a recursive backtracking matcher that cannot be interrupted:
// on a long run of matching characters its stack grows with the run and its
// time with the run's square, or exponentially for nested repetition. So
// regexes see only windows of kRegexWindow code points, patterns whose
// backtracking is unbounded are refused up front (CheckRegexCost), and all
// matching of one document shares a wall-clock budget checked between
// windows (the idea of .NET's Regex.MatchTimeout).
//
// A SeparatorSet is immutable after Compile; FindCuts is const and may run on
// several threads with their own budgets.
#pragma once

#include <chrono>
#include <cstddef>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "rag/chunk/chunker.h"

namespace kiln::rag::chunk {

// Regex windows: each regex_search call sees at most kRegexWindow code points,
// and windows start every kRegexStride code points, so any match of up to
// kRegexWindow - kRegexStride code points lies wholly inside one window.
inline constexpr size_t kRegexWindow = 128;
inline constexpr size_t kRegexStride = 64;
// Refuse patterns whose estimated backtracking steps per window exceed this.
inline constexpr double kMaxRegexStepsPerWindow = 4.0 * 1024 * 1024;
// Wall-clock budget for all regex matching of one document.
inline constexpr std::chrono::milliseconds kRegexBudget{500};

// Refuses regex shapes that backtrack without bound: backreferences, a group
// repeated more than once that itself holds a repetition or an alternation
// ("(a|b)*", "(a+)+"), and patterns whose product of repetition ranges
// (unbounded ones taken as the window size) times the window size exceeds
// kMaxRegexStepsPerWindow. The pattern is assumed to compile.
Status CheckRegexCost(std::string_view pattern);

// Matching deadline shared by every FindCuts call for one document.
class RegexBudget {
 public:
  RegexBudget() : deadline_(std::chrono::steady_clock::now() + kRegexBudget) {}
  bool expired() const { return std::chrono::steady_clock::now() > deadline_; }

 private:
  std::chrono::steady_clock::time_point deadline_;
};

class SeparatorSet {
 public:
  // Validates and compiles; errors are kInvalidArgument with param "separators".
  static Result<SeparatorSet> Compile(const std::vector<Separator>& separators);

  bool empty() const { return literals_.empty() && regexes_.empty(); }

  // Ascending cut positions in `text` by the rule of Separator (chunker.h):
  // before a match that starts a line or a sentence, after any other.
  // Fails when the regex budget runs out.
  Result<std::vector<size_t>> FindCuts(std::string_view text, RegexBudget* budget) const;

 private:
  struct CompiledRegex {
    std::string source;  // for error messages
    // Pattern and text are matched as UTF-32 (wchar_t is 32-bit on our
    // targets) so that classes like [一二三] match characters, not bytes.
    std::wregex regex;
  };

  Status AddRegexMatches(const CompiledRegex& regex, std::string_view text,
                         const std::wstring& wide, const std::vector<size_t>& offsets,
                         RegexBudget* budget, std::vector<size_t>* cuts) const;

  std::vector<std::string> literals_;
  std::vector<CompiledRegex> regexes_;
};

}  // namespace kiln::rag::chunk
