#include "rag/fulltext_query.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "base/utf8.h"
#include "storage/fulltext_tokens.h"

namespace kiln::rag {
namespace {

std::string Quote(const std::string& term) {
  std::string q = "\"";
  for (char c : term) {
    q += c;
    if (c == '"') q += '"';  // FTS5 escapes a quote inside a string by doubling it
  }
  return q + "\"";
}

}  // namespace

FullTextQuery BuildFullTextQuery(std::string_view query, size_t max_terms) {
  FullTextQuery out;
  std::vector<std::string> singles;
  std::set<std::string> seen;
  storage::ForEachFullTextToken(query, [&](const storage::FullTextToken& t) {
    const bool single = t.kind == storage::TokenKind::kCjkSingle ||
                        (t.kind == storage::TokenKind::kWord && Utf8Length(t.text) < 2);
    if (!seen.insert(t.text).second) return;
    (single ? singles : out.terms).push_back(t.text);
  });
  if (out.terms.empty()) out.substrings = std::move(singles);
  if (out.terms.size() > max_terms) {
    std::vector<std::string> kept;
    for (size_t k = 0; k < max_terms; ++k)
      kept.push_back(out.terms[k * out.terms.size() / max_terms]);
    out.terms = std::move(kept);
  }
  return out;
}

std::string MatchExpression(const std::vector<std::string>& terms) {
  std::string match;
  for (size_t k = 0; k < terms.size(); ++k) {
    if (k > 0) match += " OR ";
    match += Quote(terms[k]);
  }
  return match;
}

TermSample::TermSample(const std::vector<std::string>& texts) : texts_(texts.size()) {
  std::unordered_map<std::string, uint32_t> counts;
  std::set<std::string> in_text;
  for (const std::string& text : texts) {
    in_text.clear();
    storage::ForEachFullTextToken(text, [&](const storage::FullTextToken& t) {
      if (in_text.insert(t.text).second) ++counts[t.text];
    });
  }
  // Terms seen once say nothing about their rate but would fill the map.
  for (auto& [term, n] : counts) {
    if (n >= 2) counts_.emplace(term, n);
  }
}

double TermSample::Fraction(const std::string& term) const {
  if (texts_ == 0) return 0;
  auto it = counts_.find(term);
  return it == counts_.end() ? 0 : static_cast<double>(it->second) / static_cast<double>(texts_);
}

std::string PlanMatch(const std::vector<std::string>& terms, const TermSample* sample,
                      int64_t chunks, int64_t budget) {
  if (sample == nullptr || sample->size() == 0 || chunks <= budget) return MatchExpression(terms);
  std::vector<double> postings(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    postings[i] = sample->Fraction(terms[i]) * static_cast<double>(chunks);
  }
  if (std::accumulate(postings.begin(), postings.end(), 0.0) <= static_cast<double>(budget)) {
    return MatchExpression(terms);
  }
  std::vector<size_t> order(terms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return postings[a] < postings[b]; });
  std::vector<bool> rare(terms.size(), false);
  double total = 0;
  size_t n_rare = 0;
  for (size_t i : order) {
    if (total + postings[i] > static_cast<double>(budget)) break;
    rare[i] = true;
    total += postings[i];
    ++n_rare;
  }
  // The rare ones in the question's order, which keeps the expression stable.
  std::vector<std::string> kept;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (rare[i]) kept.push_back(terms[i]);
  }
  std::string match = MatchExpression(kept);
  if (n_rare >= 2 || n_rare == terms.size()) return match;
  const std::vector<std::string> both = {terms[order[n_rare]],
                                         terms[order[std::min(n_rare + 1, terms.size() - 1)]]};
  std::string clause = MatchExpression({both[0]});
  if (both[1] != both[0]) clause = "(" + clause + " AND " + MatchExpression({both[1]}) + ")";
  return match.empty() ? clause : match + " OR " + clause;
}

}  // namespace kiln::rag
