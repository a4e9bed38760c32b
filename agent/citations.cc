#include "agent/citations.h"

#include <set>

#include "base/utf8.h"
#include "storage/fulltext_tokens.h"

namespace kiln::agent {
namespace {

// The [n] / 【n】 / [n, m] markers of `text` that name a passage.
std::set<int> Markers(std::string_view text, int n_passages) {
  std::set<int> out;
  const std::vector<uint32_t> cps = DecodeUtf8(text);
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps[i] != '[' && cps[i] != 0x3010) continue;
    const uint32_t close = cps[i] == '[' ? ']' : 0x3011;
    std::vector<int> numbers;
    int value = -1;
    size_t j = i + 1;
    for (; j < cps.size() && j < i + 40; ++j) {
      const uint32_t c = cps[j];
      if (c >= '0' && c <= '9') {
        value = (value < 0 ? 0 : value) * 10 + static_cast<int>(c - '0');
        if (value > 1000) break;
      } else if (c == ',' || c == ' ' || c == 0xFF0C || c == 0x3001) {
        if (value >= 0) numbers.push_back(value);
        value = -1;
      } else {
        break;
      }
    }
    if (j < cps.size() && cps[j] == close) {
      if (value >= 0) numbers.push_back(value);
      for (int n : numbers) {
        if (n >= 1 && n <= n_passages) out.insert(n);
      }
    }
  }
  return out;
}

// Distinct index tokens (bigrams, words) of a text.
std::set<std::string> Terms(std::string_view text) {
  std::set<std::string> out;
  storage::ForEachFullTextToken(text, [&](const storage::FullTextToken& t) { out.insert(t.text); });
  return out;
}

}  // namespace

std::vector<Citation> FindCitations(std::string_view answer,
                                    const std::vector<std::string>& passages) {
  std::vector<Citation> out;
  const int n = static_cast<int>(passages.size());
  const std::set<std::string> answer_terms = Terms(answer);
  auto overlap = [&](int index) {
    if (answer_terms.empty()) return 0.0;
    const std::set<std::string> terms = Terms(passages[static_cast<size_t>(index - 1)]);
    size_t shared = 0;
    for (const std::string& t : answer_terms) shared += terms.count(t);
    return static_cast<double>(shared) / static_cast<double>(answer_terms.size());
  };
  for (int index : Markers(answer, n)) out.push_back({index, true, overlap(index)});
  if (!out.empty()) return out;
  Citation best;
  for (int i = 1; i <= n; ++i) {
    const double o = overlap(i);
    if (o > best.overlap) best = {i, false, o};
  }
  if (best.index > 0 && best.overlap >= kMinOverlap) out.push_back(best);
  return out;
}

}  // namespace kiln::agent
