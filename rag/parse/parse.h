// Document parsers of the knowledge pipeline: uploaded bytes (txt, md, html,
// pdf, csv, tsv, docx, json) -> ParsedDocument (rag/document.h).
//
// Uploads are untrusted. Every parser bounds its work by ParseLimits, checks
// every offset it reads, and reports a broken or hostile file as a Status
// instead of crashing or hanging. Errors a user can act on are kUnprocessable
// with a message meant to be shown to them; a passed limit is kTooLarge.
//
// Pure functions; thread-safe (the PDF parser shares poppler's process-wide
// state, which poppler guards itself).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "rag/document.h"

namespace kiln::rag {

struct ParseLimits {
  size_t max_input_bytes = 64u << 20;      // raw upload size accepted
  size_t max_text_bytes = 64u << 20;       // decoded/extracted text (zip and PDF bombs stop here)
  size_t max_zip_entry_bytes = 64u << 20;  // one decompressed docx part
};

// Detects the format from the file name's extension (case-insensitive: .txt .text .md .markdown
// .html .htm .pdf .csv .tsv .docx .json) and, when the name has none or an unknown one, from
// `content_type` (text/plain, text/markdown, text/html, application/pdf, text/csv,
// text/tab-separated-values,
// application/vnd.openxmlformats-officedocument.wordprocessingml.document, application/json); then
// checks the bytes agree (a ".pdf" must start with %PDF-, a ".docx" must be a zip with
// word/document.xml, text formats must decode as text) and parses. Errors: kUnprocessable with a
// message for the user (unsupported format, empty file, binary junk passed as text, undecodable
// text, PDF without a text layer, encrypted PDF, corrupt docx/pdf/json/csv with the reason);
// kTooLarge when a limit is passed.
Result<ParsedDocument> ParseDocument(std::string_view bytes, std::string_view filename,
                                     std::string_view content_type, const ParseLimits& limits = {});

// Text decoding used by ParseDocument for text formats, exposed for tests and for raw-text
// documents: UTF-8 (with or without BOM; invalid UTF-8 is not accepted as UTF-8), UTF-16LE/BE with
// BOM, else GB18030 (strictly decodable, and plausible as Chinese text), else kUnprocessable "the
// text is neither UTF-8, UTF-16 with a byte-order mark nor GB18030". Binary junk (NUL bytes, a high
// share of control characters, the signature of a known binary format) is refused with "the file
// is not text: ...". Sets *encoding (may be null) to "utf-8", "utf-16le", "utf-16be" or "gb18030".
// Normalises line endings (\r\n and \r to \n) and drops a BOM. Empty input decodes to "".
Result<std::string> DecodeText(std::string_view bytes, std::string* encoding);

// ParseDocument's format detection alone (by extension, then content type),
// before any byte is read: OK, or the same Unprocessable "not supported".
Status CheckSupportedFormat(std::string_view filename, std::string_view content_type);

}  // namespace kiln::rag
