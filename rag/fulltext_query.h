// Turns a user's question into a full-text query for the trigram index.
//
// The trigram tokenizer indexes every 3-character sequence, which is what
// makes it work for Chinese (no spaces between words), but it cannot match a
// term shorter than three characters. So a query is cut into runs of CJK
// characters and of letters/digits; CJK runs of three or more characters
// contribute each of their trigrams, words of three or more characters
// themselves, all ORed so that bm25 ranks chunks by how many of them (and
// how rare) they contain. One- and two-character CJK runs (and short words
// when nothing else is left) become plain substring searches. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::rag {

struct FullTextQuery {
  std::string match;                    // FTS5 syntax: "t1" OR "t2" ...; empty if no long term
  std::vector<std::string> substrings;  // searched by plain substring
  std::vector<std::string> terms;       // every term (trigram, word or substring)
  bool empty() const { return match.empty() && substrings.empty(); }
};

// At most `max_terms` FTS terms: past that, evenly spaced ones are kept.
FullTextQuery BuildFullTextQuery(std::string_view query, size_t max_terms = 48);

}  // namespace kiln::rag
