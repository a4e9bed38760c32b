#include "rag/fulltext_query.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/utf8.h"

namespace kiln::rag {
namespace {

// Han ideographs (with extensions and compatibility), kana, hangul, bopomofo.
bool IsCjk(uint32_t cp) {
  return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) ||
         (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0x3100 && cp <= 0x312F);
}

// Letters and digits outside CJK: ASCII alnum, and any non-ASCII code point
// that is not punctuation or a symbol we know of.
bool IsWordChar(uint32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) != 0;
  if (IsCjk(cp)) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFF00 && cp <= 0xFF65) {              // full-width forms: alnum only
    return (cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
           (cp >= 0xFF41 && cp <= 0xFF5A);
  }
  return cp > 0xBF;
}

std::string Encode(const std::vector<uint32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) AppendUtf8(cps[i], &out);
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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
  const std::vector<uint32_t> cps = DecodeUtf8(query);
  std::vector<std::string> fts, short_words;
  std::set<std::string> seen;
  FullTextQuery out;
  auto add = [&](std::vector<std::string>& list, std::string term) {
    if (seen.insert(term).second) list.push_back(std::move(term));
  };
  for (size_t i = 0; i < cps.size();) {
    if (IsCjk(cps[i])) {
      size_t j = i;
      while (j < cps.size() && IsCjk(cps[j])) ++j;
      if (j - i >= 3) {
        for (size_t k = i; k + 3 <= j; ++k) add(fts, Encode(cps, k, k + 3));
      } else {
        std::string run = Encode(cps, i, j);
        if (seen.insert(run).second) out.substrings.push_back(run);
      }
      i = j;
    } else if (IsWordChar(cps[i])) {
      size_t j = i;
      while (j < cps.size() && IsWordChar(cps[j])) ++j;
      std::string word = Lower(Encode(cps, i, j));
      if (j - i >= 3) {
        add(fts, std::move(word));
      } else {
        add(short_words, std::move(word));
      }
      i = j;
    } else {
      ++i;
    }
  }
  // Short words alone carry the query only when nothing longer is there.
  if (fts.empty() && out.substrings.empty()) out.substrings = short_words;
  if (fts.size() > max_terms) {
    std::vector<std::string> kept;
    for (size_t k = 0; k < max_terms; ++k) kept.push_back(fts[k * fts.size() / max_terms]);
    fts = std::move(kept);
  }
  for (size_t k = 0; k < fts.size(); ++k) {
    if (k > 0) out.match += " OR ";
    out.match += Quote(fts[k]);
  }
  out.terms = fts;
  out.terms.insert(out.terms.end(), out.substrings.begin(), out.substrings.end());
  return out;
}

}  // namespace kiln::rag
