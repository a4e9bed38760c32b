// How the knowledge full-text index cuts text into tokens. One definition,
// used by the FTS5 tokenizer "kiln_cjk" (registered on every connection the
// store opens, storage/internal/fts_tokenizer.h) and by rag/'s query builder
// and term statistics, so that a query's terms are exactly the index's:
//
//   - Han ideographs, kana, hangul and bopomofo: each pair of neighbouring
//     characters in a run is a token (character bigrams: Chinese has no
//     spaces, and most words are two characters; a phrase of bigrams matches
//     any substring of two characters or more). A run of one character is a
//     token alone.
//   - Letters and digits elsewhere: each maximal run is a word, lower-cased
//     (ASCII, Latin-1, Greek, Cyrillic; full-width letters and digits folded
//     to ASCII), English plurals folded to the singular (Harman's S-stemmer:
//     "batteries" -> "battery", "boxes" -> "boxe", "kettles" -> "kettle",
//     but "glass", "status" kept). Words past kMaxWordBytes are cut there.
//   - Everything else, invalid UTF-8 included, separates tokens.
//
// Stemming is ours rather than FTS5's porter so that rag/ can count and
// plan terms exactly as the index holds them. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kiln::storage {

// The chunks_fts table's tokenize option.
inline constexpr const char* kFullTextTokenize = "kiln_cjk";
inline constexpr size_t kMaxWordBytes = 64;

enum class TokenKind { kWord, kCjkPair, kCjkSingle };

struct FullTextToken {
  std::string text;  // normalised (lower-cased, folded) UTF-8
  size_t begin = 0;  // byte range in the input it came from
  size_t end = 0;
  TokenKind kind = TokenKind::kWord;
};

// Calls fn for each token of `text`, in order.
void ForEachFullTextToken(std::string_view text,
                          const std::function<void(const FullTextToken&)>& fn);

// Han ideographs (with extensions and compatibility forms), kana, hangul,
// bopomofo.
bool IsCjkCodePoint(uint32_t cp);

}  // namespace kiln::storage
