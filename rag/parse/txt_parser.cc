// ParseTxt: plain text -> paragraphs. Blank lines (white space only, the
// ideographic space included) separate paragraphs; single line breaks stay
// inside the paragraph. No headings are guessed: a short line before a blank
// line is as often a date or a name as a title.
#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {

Status ParseTxt(std::string_view text, BlockSink* sink) {
  size_t paragraph_start = std::string_view::npos;
  size_t paragraph_end = 0;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    if (!IsBlank(line)) {
      if (paragraph_start == std::string_view::npos) paragraph_start = line_start;
      paragraph_end = line_end;
    } else if (paragraph_start != std::string_view::npos) {
      if (!sink->Add(BlockKind::kParagraph,
                     text.substr(paragraph_start, paragraph_end - paragraph_start))) {
        return Status::OK();
      }
      paragraph_start = std::string_view::npos;
    }
    line_start = line_end + 1;
  }
  if (paragraph_start != std::string_view::npos) {
    sink->Add(BlockKind::kParagraph, text.substr(paragraph_start, paragraph_end - paragraph_start));
  }
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
