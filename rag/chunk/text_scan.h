// Character classes and the cut finders the chunker splits text with, one per
// boundary strength (paragraph, line, sentence, clause, hard). Internal to
// rag/chunk/ (its tests include it too). Pure functions over UTF-8 text;
// thread-safe. Positions are byte offsets that always fall on code point
// boundaries of valid UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln::rag::chunk {

// ASCII whitespace, U+00A0 and the ideographic space U+3000.
bool IsSpace(uint32_t cp);
// Sentence terminals: 。！？…．｡ and ASCII . ! ? (the ASCII ones only
// where FindSentenceCuts decides the sentence really ends).
bool IsCjkTerminal(uint32_t cp);
// Clause punctuation: ，、；： (ASCII , ; : where followed by a space or CJK).
bool IsCjkClause(uint32_t cp);
// Closing quotes and brackets: ” ’ 」 』 ） ) 》 〉 】 ］ ] } and kin. ASCII
// quotes are not here: " and ' open as often as they close.
bool IsClosing(uint32_t cp);
// Characters that never begin a piece: terminals, clause punctuation and
// closing brackets, CJK and ASCII.
bool IsNoStart(uint32_t cp);
// Characters written without spaces between them, each one a unit for hard
// splits: CJK ideographs, kana, fullwidth forms, CJK punctuation, emoji.
bool IsWide(uint32_t cp);

// The first code point of `text` at byte `pos` (U+FFFD past the end).
uint32_t CodePointAt(std::string_view text, size_t pos);
// `text` without leading and trailing IsSpace characters.
std::string_view TrimSpace(std::string_view text);

// Cut finders: ascending candidate cut positions. A position is where the
// next piece would start; CutText moves it past trailing whitespace and
// punctuation.
//
// After a run of two or more line breaks (spaces between them allowed).
std::vector<size_t> FindParagraphCuts(std::string_view text);
// After every line break.
std::vector<size_t> FindLineCuts(std::string_view text);
// After sentence ends: a run of 。！？… (always), or of . ! ? followed by a
// space, the end, or a CJK character; closing quotes and brackets right
// after the run stay with it (an ASCII " only when it closes an open one). A period is not an end
// before a lowercase letter or digit ("e.g. the", "3. 5"), after a single capital ("J. Smith"), a
// common abbreviation ("Mr. Smith") or a list number at a line start
// ("1. Introduction").
std::vector<size_t> FindSentenceCuts(std::string_view text);
// After clause punctuation: ，、；： always, ASCII , ; : where followed by a
// space, the end or a non-ASCII character (so "3,000" and "10:30" hold).
std::vector<size_t> FindClauseCuts(std::string_view text);

// Cuts `text` at `cuts` (ascending). Each cut first moves forward past
// whitespace and IsNoStart characters, which stay at the end of the piece
// before; cuts that would leave an empty or whitespace-only piece are
// dropped. The pieces concatenate to `text`.
std::vector<std::string_view> CutText(std::string_view text, const std::vector<size_t>& cuts);

// Hard-split units: with `group_words`, a run of non-wide, non-space code
// points (a Latin word) is one atom; otherwise every code point is one. A
// wide character is always one atom. Trailing whitespace joins the atom
// before it; combining marks, variation selectors, skin tones, ZWJ sequences
// and flag pairs are never separated from their base. Atoms concatenate to
// `text`.
std::vector<std::string_view> SplitAtoms(std::string_view text, bool group_words);

}  // namespace kiln::rag::chunk
