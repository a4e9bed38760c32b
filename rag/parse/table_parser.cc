// ParseDelimited: CSV (RFC 4180) and TSV. The text arrives decoded with \n
// line endings, so the \r\n of RFC 4180 is already handled. The first row is
// the header; every other row becomes one "header: value; ..." table row, the
// form in which a row still makes sense when retrieved on its own.
#include <string>
#include <vector>

#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {
namespace {

// Reads one record at `*pos` into `cells`. CSV fields may be quoted ("a,b",
// "say ""hi""", newlines inside); TSV has no quoting (IANA text/tab-separated-
// values forbids tabs and newlines in fields), so a quote there is just text.
// Returns false on an unterminated quoted field; *error_line is its line.
bool ReadRecord(std::string_view text, char delimiter, size_t* pos, size_t* line,
                std::vector<std::string>* cells, size_t* error_line) {
  cells->assign(1, std::string());
  size_t i = *pos;
  bool field_start = true;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field_start && delimiter == ',') {
      const size_t quote_line = *line;
      ++i;
      for (;;) {
        const size_t next = text.find('"', i);
        if (next == std::string_view::npos) {
          *error_line = quote_line;
          return false;
        }
        const std::string_view chunk = text.substr(i, next - i);
        for (char ch : chunk) *line += ch == '\n' ? 1 : 0;
        cells->back().append(chunk);
        if (next + 1 < text.size() && text[next + 1] == '"') {
          cells->back().push_back('"');
          i = next + 2;
          continue;
        }
        i = next + 1;
        break;
      }
      field_start = false;
      continue;
    }
    field_start = false;
    if (c == delimiter) {
      cells->emplace_back();
      field_start = true;
    } else if (c == '\n') {
      ++*line;
      ++i;
      break;
    } else {
      // Text after a closing quote ("a"b) is kept, as spreadsheets do.
      cells->back().push_back(c);
    }
    ++i;
  }
  *pos = i;
  return true;
}

bool IsEmptyRecord(const std::vector<std::string>& cells) {
  for (const std::string& cell : cells) {
    if (!IsBlank(cell)) return false;
  }
  return true;
}

}  // namespace

Status ParseDelimited(std::string_view text, char delimiter, BlockSink* sink) {
  const std::string_view kind = delimiter == ',' ? "CSV" : "TSV";
  std::vector<std::string> header;
  std::vector<std::string> cells;
  bool have_header = false;
  size_t rows = 0;
  size_t pos = 0;
  size_t line = 1;
  while (pos < text.size() && !sink->full()) {
    size_t error_line = 0;
    if (!ReadRecord(text, delimiter, &pos, &line, &cells, &error_line)) {
      return Unprocessable("the " + std::string(kind) + " file is corrupt: the quoted field " +
                           "starting on line " + std::to_string(error_line) + " is never closed");
    }
    if (IsEmptyRecord(cells)) continue;
    if (!have_header) {
      header = std::move(cells);
      have_header = true;
      continue;
    }
    ++rows;
    sink->Add(BlockKind::kTableRow, FormatTableRow(header, cells, sink->remaining()));
  }
  if (rows == 0 && !sink->full()) {
    if (!have_header) return Unprocessable("the document contains no text");
    return Unprocessable("the table has no rows");
  }
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
