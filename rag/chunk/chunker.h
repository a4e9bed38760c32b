// The chunker: cuts a ParsedDocument (rag/document.h) into the pieces the
// knowledge pipeline embeds and indexes.
//
// Structure comes first. Headings are not chunks: they set the heading_path of
// the blocks that follow (a level-N heading replaces the levels >= N) and a new
// heading always starts a new chunk. Heading text is NOT copied into chunk
// text: it lives in heading_path only, where the indexer can render it for
// every chunk of the section alike, and chunk text stays exactly the
// document's body text (the lossless property below). Paragraphs, list items
// and code of one section are packed into one chunk, joined with "\n\n",
// while they fit max_tokens; a table row is always a chunk of its own (a row
// over the limit is split like any block, without overlap).
//
// A block too large for one chunk is split at the strongest boundary that
// makes it fit: custom separators, then blank lines, then line breaks, then
// sentence ends (。！？… and . ! ? followed by a space), then clause
// punctuation (，、；：,;:), and last on a character boundary (between words
// for Latin text). A piece that must be split starts a fresh chunk; its pieces
// are packed greedily. Punctuation and closing quotes always stay at the end
// of the piece before a cut, so no chunk starts with 。，」 and the like.
//
// Lossless: with overlap 0 and no parent-child mode, the chunks' texts joined
// in order, with the "\n\n" inserted between blocks removed, give back every
// non-heading block's text; only whitespace at chunk and block edges is
// trimmed.
//
// Thread-safe: pure functions of their arguments (the counter is called from
// the calling thread only).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "rag/document.h"

namespace kiln::rag {

// How many tokens a piece of text is for the embedding model (the app passes
// the embedding model's tokenizer; tests pass a simple counter). It may be
// slow: the chunker counts each sentence once and takes the count of
// concatenated pieces as the sum of their counts.
using TokenCounter = std::function<int64_t(std::string_view text)>;

// A place to cut before the built-in boundaries. A match whose first
// non-space character starts a line or a sentence (it follows a line break,
// the block start, or 。！？…；：.!?;: with optional closing quotes and spaces)
// begins the next piece, as an article marker "第二条" does; any other match
// ends the piece before it, as "\n\n" or "。" does. Whitespace-only matches
// always end the piece before them.
struct Separator {
  std::string pattern;  // a literal string, or an ECMAScript regular expression when `regex`
  // Regexes match code points, not bytes ([一二三] is a class of three
  // characters), inside windows of 128 characters, so a match longer than 64
  // characters may be missed. Patterns that can backtrack without bound
  // (a repeated group that itself repeats or alternates, backreferences, more
  // than two unbounded repetitions) are refused, and a document whose regex
  // matching exceeds 500 ms fails with kInvalidArgument.
  bool regex = false;
};

struct ChunkOptions {
  int64_t max_tokens = 500;  // a chunk's size limit, overlap included (what is embedded)
  // Carried from the end of the previous chunk of the same section, whole
  // sentences only; never across a heading, never into or out of table rows.
  int64_t overlap_tokens = 50;
  std::vector<Separator> separators;  // cut here first (inside blocks); see Separator
  // Match on small chunks, hand the model the enclosing parent. Parents are
  // cut at max_tokens without overlap (they are context; duplicating text
  // between them would duplicate children); children are cut from each
  // parent at child_max_tokens by the same rules, with an overlap of
  // min(overlap_tokens, child_max_tokens / 2).
  bool parent_child = false;
  int64_t child_max_tokens = 128;  // checked only when parent_child
};

struct Chunk {
  std::string text;                       // what is embedded and searched
  std::string parent_text;                // parent-child mode: the enclosing parent's text, else ""
  std::vector<std::string> heading_path;  // titles of the enclosing sections, outermost first
  int64_t position = 0;                   // 0, 1, 2, ... in document order
  int64_t tokens = 0;                     // counter(text)
};

// Checks option ranges: max_tokens in [16, 8192] ("chunk_size"),
// overlap_tokens in [0, max_tokens / 2] ("chunk_overlap"), child_max_tokens in
// [8, max_tokens] when parent_child ("child_chunk_size"), at most 32
// separators, each non-empty valid UTF-8 of at most 200 bytes, regexes that
// compile and pass the backtracking check ("separators"). Failures are
// kInvalidArgument with that param.
Status ValidateChunkOptions(const ChunkOptions& options);

// Cuts `doc` into chunks. An empty document gives no chunks. Fails on invalid
// options, an empty counter, or a regex separator too slow on this document.
Result<std::vector<Chunk>> ChunkDocument(const ParsedDocument& doc, const ChunkOptions& options,
                                         const TokenCounter& count);

}  // namespace kiln::rag
