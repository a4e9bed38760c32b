// ParsePdf: text extraction with poppler-cpp, page by page. The physical
// layout keeps lines as they are printed and turns large vertical gaps into
// blank lines, which is what separates paragraphs here.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <climits>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "base/utf8.h"
#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {
namespace {

// Poppler prints every syntax problem of a damaged file to stderr; uploads
// are often damaged, and the Status we return already says so.
void SilencePoppler() {
  static std::once_flag once;
  std::call_once(
      once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

// Splits one page's text into paragraphs at blank lines. Physical layout pads
// lines with spaces to their printed position; that padding is not content,
// so each line is trimmed.
void EmitPage(std::string_view text, BlockSink* sink) {
  std::string paragraph;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("\n\r\f", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = TrimSpace(text.substr(start, end - start));
    if (line.empty()) {
      if (!sink->Add(BlockKind::kParagraph, paragraph)) return;
      paragraph.clear();
    } else {
      if (!paragraph.empty()) paragraph += '\n';
      paragraph += line;
    }
    start = end + 1;
  }
  sink->Add(BlockKind::kParagraph, paragraph);
}

}  // namespace

Status ParsePdf(std::string_view bytes, BlockSink* sink, std::string* title) {
  if (!bytes.starts_with("%PDF-")) {
    return Unprocessable("the file is not a PDF (it does not start with %PDF-)");
  }
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return TooLarge("the PDF is too large");
  SilencePoppler();
  // load_from_raw_data does not copy: `bytes` outlives `doc` below.
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (doc == nullptr) return Unprocessable("the PDF is damaged and cannot be read");
  if (doc->is_locked()) return Unprocessable("the PDF is encrypted");
  const poppler::byte_array title_utf8 = doc->get_title().to_utf8();
  std::string clean_title;
  AppendValidUtf8(std::string_view(title_utf8.data(), title_utf8.size()), true, &clean_title);
  *title = std::string(TrimSpace(clean_title));
  bool any_text = false;
  const int pages = doc->pages();
  for (int i = 0; i < pages && !sink->full(); ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (page == nullptr) continue;
    const poppler::byte_array utf8 =
        page->text(poppler::rectf(), poppler::page::physical_layout).to_utf8();
    // Damaged font maps can yield unpaired surrogates; keep the text valid.
    std::string text;
    AppendValidUtf8(std::string_view(utf8.data(), utf8.size()), true, &text);
    if (!IsBlank(text)) any_text = true;
    EmitPage(text, sink);
  }
  if (!any_text && !sink->full()) {
    return Unprocessable("the PDF has no text layer (scanned pages need OCR)");
  }
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
