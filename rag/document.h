// A document as the knowledge pipeline sees it after parsing and before
// chunking: its text as a sequence of structural blocks (headings,
// paragraphs, table rows, code, list items), all UTF-8. Parsers (rag/parse/)
// produce it from uploaded bytes; the chunker (rag/chunk/) cuts it into the
// pieces that are embedded and indexed. Plain values; copy freely.
#pragma once

#include <string>
#include <vector>

namespace kiln::rag {

enum class BlockKind {
  kHeading,    // a section title; `level` 1 (top) to 6
  kParagraph,  // running text
  kListItem,   // one item of a bulleted or numbered list
  kCode,       // preformatted text, kept as it is
  kTableRow,   // one row of a table, with its header: "name: Ada; born: 1815"
};

struct Block {
  BlockKind kind = BlockKind::kParagraph;
  int level = 0;     // headings only
  std::string text;  // UTF-8, never empty
};

struct ParsedDocument {
  std::string format;    // "txt", "md", "html", "pdf", "csv", "tsv", "docx", "json"
  std::string encoding;  // of the source bytes: "utf-8", "utf-16le", "utf-16be", "gb18030"
  std::string title;     // from the document itself when it has one (html <title>, docx), else ""
  std::vector<Block> blocks;
};

}  // namespace kiln::rag
