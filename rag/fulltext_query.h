// Turns a user's question into a full-text query for the knowledge index,
// whose tokens (storage/fulltext_tokens.h) are CJK character bigrams and
// lower-cased words: the question is cut by the same rules, so every term is
// one token of the index. Terms are ORed so that bm25 ranks chunks by how
// many of them (and how rare) they contain.
//
// On a large base, common terms ("模型" in a base about models, "the") cost
// the most to look up and add the least to the ranking, so PlanMatch keeps
// the rarest ones within a budget of postings, judged by a sample of the
// base's chunks (TermSample). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kiln::rag {

struct FullTextQuery {
  std::vector<std::string> terms;       // index tokens, distinct, in the question's order
  std::vector<std::string> substrings;  // searched by plain substring (see below)
  bool empty() const { return terms.empty() && substrings.empty(); }
};

// Bigrams and words of two characters or more are terms. Single characters
// (a CJK character between punctuation, a lone letter or digit) carry the
// query only when nothing else is there: then they are searched as
// substrings. At most `max_terms` terms: past that, evenly spaced ones are
// kept.
FullTextQuery BuildFullTextQuery(std::string_view query, size_t max_terms = 48);

// The FTS5 expression for `terms`: "t1" OR "t2" ... ("" for none).
std::string MatchExpression(const std::vector<std::string>& terms);

// How often the terms of a base occur, estimated from a sample of its chunks.
class TermSample {
 public:
  TermSample() = default;
  explicit TermSample(const std::vector<std::string>& texts);
  // The share of sampled chunks that contain `term` (a token as
  // BuildFullTextQuery makes them); 0 for a term seen in fewer than two.
  double Fraction(const std::string& term) const;
  size_t size() const { return texts_; }

 private:
  size_t texts_ = 0;
  std::unordered_map<std::string, uint32_t> counts_;  // terms seen in two sampled chunks or more
};

// The FTS5 expression for a question's terms in a base of `chunks` chunks:
// every term ORed while their estimated postings (Fraction * chunks, summed)
// fit `budget`. Otherwise the rarest terms that fit, ORed, and, when fewer
// than two fit, the two rarest of the rest ANDed as one more alternative
// (FTS5 walks an AND by seeking in the shorter list, so common terms cost
// little there, and a chunk holding both is what such a question wants).
// Without a sample, every term ORed.
std::string PlanMatch(const std::vector<std::string>& terms, const TermSample* sample,
                      int64_t chunks, int64_t budget);

}  // namespace kiln::rag
