// The per-format parsers behind ParseDocument (parse.cc), one .cc each.
// Text formats receive decoded UTF-8 text with \n line endings; pdf and docx
// receive the raw upload. Each writes its blocks into `sink`, which enforces
// the text budget, and returns kUnprocessable for input it cannot use.
// Internal to rag/parse/.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "rag/parse/internal_text.h"
#include "rag/parse/parse.h"

namespace kiln::rag::parse_internal {

// Paragraphs separated by blank lines; no structure is guessed.
Status ParseTxt(std::string_view text, BlockSink* sink);

// CommonMark-ish blocks plus GFM tables; *title from YAML front matter.
Status ParseMarkdown(std::string_view text, BlockSink* sink, std::string* title);

// Takes raw bytes because the charset may be declared inside the document.
// `charset` is the one from the upload's content type, if any.
Status ParseHtml(std::string_view bytes, std::string_view charset, BlockSink* sink,
                 std::string* title, std::string* encoding);

// RFC 4180 CSV (delimiter ',') or TSV (delimiter '\t', no quoting).
Status ParseDelimited(std::string_view text, char delimiter, BlockSink* sink);

Status ParseJson(std::string_view text, BlockSink* sink);

// *title from the document information dictionary.
Status ParsePdf(std::string_view bytes, BlockSink* sink, std::string* title);

Status ParseDocx(std::string_view bytes, const ParseLimits& limits, BlockSink* sink,
                 std::string* title);

}  // namespace kiln::rag::parse_internal
