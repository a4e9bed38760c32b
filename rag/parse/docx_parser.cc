// ParseDocx: WordprocessingML (word/document.xml inside the zip) -> blocks.
// Paragraphs (<w:p>) give their runs' text; the paragraph style, resolved
// through word/styles.xml when present, marks headings (localised Word writes
// style ids such as "1" for "heading 1"); numbering marks list items; tables
// become one row block per row under the first row's cell texts.
#include <map>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "rag/parse/internal_parsers.h"
#include "rag/parse/internal_xml.h"
#include "rag/parse/internal_zip.h"

namespace kiln::rag::parse_internal {
namespace {

using Kind = XmlToken::Kind;

// Heading level of a style id or name: "Heading2", "heading 2" -> 2,
// "Title" -> 1; 0 for anything else.
int HeadingLevelOfName(std::string_view name) {
  const std::string lower = AsciiLower(name);
  if (lower == "title") return 1;
  std::string_view rest = lower;
  if (!rest.starts_with("heading")) return 0;
  rest = TrimSpace(rest.substr(7));
  if (rest.size() == 1 && rest[0] >= '1' && rest[0] <= '6') return rest[0] - '0';
  return 0;
}

// Outline level attribute (0-based, 9 = body text) -> heading level or 0.
int HeadingLevelOfOutline(const std::optional<std::string>& value) {
  if (!value || value->size() != 1 || (*value)[0] < '0' || (*value)[0] > '5') return 0;
  return (*value)[0] - '0' + 1;
}

// styleId -> heading level, from word/styles.xml.
std::map<std::string, int> ReadHeadingStyles(std::string_view xml) {
  std::map<std::string, int> levels;
  XmlTokenizer tokenizer(xml);
  XmlToken token;
  std::string id;
  int level = 0;
  while (tokenizer.Next(&token)) {
    if (token.kind == Kind::kText || token.kind == Kind::kCdata) continue;
    const std::string_view name = LocalName(token.name);
    if (name == "style" && token.kind == Kind::kStartTag) {
      id = XmlAttribute(token.attrs, "styleId").value_or("");
      level = 0;
    } else if (name == "style" && token.kind == Kind::kEndTag) {
      if (!id.empty() && level > 0) levels[id] = level;
      id.clear();
    } else if (name == "name" && !id.empty()) {
      if (int named = HeadingLevelOfName(XmlAttribute(token.attrs, "val").value_or(""))) {
        level = named;
      }
    } else if (name == "outlineLvl" && !id.empty() && level == 0) {
      level = HeadingLevelOfOutline(XmlAttribute(token.attrs, "val"));
    }
  }
  return levels;
}

// The text of the first <dc:title> in docProps/core.xml.
std::string ReadTitle(std::string_view xml) {
  XmlTokenizer tokenizer(xml);
  XmlToken token;
  bool in_title = false;
  std::string title;
  while (tokenizer.Next(&token)) {
    if (token.kind == Kind::kStartTag && LocalName(token.name) == "title") {
      in_title = true;
    } else if (token.kind == Kind::kEndTag && LocalName(token.name) == "title") {
      break;
    } else if (in_title && token.kind == Kind::kText) {
      AppendXmlDecoded(token.text, &title);
    } else if (in_title && token.kind == Kind::kCdata) {
      title.append(token.text);
    }
  }
  return std::string(TrimSpace(title));
}

struct Paragraph {
  std::string text;
  int heading_level = 0;
  bool list = false;
  bool in_cell = false;  // opened inside a table cell: its text goes there
};

struct Table {
  std::vector<std::vector<std::string>> rows;
  bool cell_open = false;
};

class DocumentReader {
 public:
  DocumentReader(const std::map<std::string, int>& styles, BlockSink* sink)
      : styles_(styles), sink_(sink) {}

  // Returns false when the XML is too broken to read at all.
  bool Run(std::string_view xml) {
    XmlTokenizer tokenizer(xml);
    XmlToken token;
    while (!sink_->full() && tokenizer.Next(&token)) Token(token);
    while (!paragraphs_.empty()) EndParagraph();
    while (!tables_.empty()) EndTable();
    return !tokenizer.malformed() || !sink_->blocks().empty();
  }

 private:
  void Token(const XmlToken& token) {
    const std::string_view name = LocalName(token.name);
    // mc:Fallback repeats mc:Choice's content for old readers; read it once.
    if (name == "Fallback" && token.kind != Kind::kEmptyTag) {
      fallback_depth_ += token.kind == Kind::kStartTag ? 1 : (fallback_depth_ > 0 ? -1 : 0);
      return;
    }
    if (fallback_depth_ > 0) return;
    switch (token.kind) {
      case Kind::kText:
        if (in_text_ && !paragraphs_.empty())
          AppendXmlDecoded(token.text, &paragraphs_.back().text);
        return;
      case Kind::kCdata:
        if (in_text_ && !paragraphs_.empty()) paragraphs_.back().text.append(token.text);
        return;
      case Kind::kStartTag:
        StartTag(name, token.attrs);
        return;
      case Kind::kEmptyTag:
        StartTag(name, token.attrs);
        EndTag(name);
        return;
      case Kind::kEndTag:
        EndTag(name);
        return;
    }
  }

  void StartTag(std::string_view name, std::string_view attrs) {
    if (name == "p") {
      Paragraph paragraph;
      paragraph.in_cell = !tables_.empty() && tables_.back().cell_open;
      paragraphs_.push_back(std::move(paragraph));
    } else if (name == "pPr") {
      ++ppr_depth_;
    } else if (name == "r") {
      ++run_depth_;
    } else if (name == "t") {
      in_text_ = true;
    } else if (name == "tbl") {
      tables_.emplace_back();
    } else if (name == "tr" && !tables_.empty()) {
      tables_.back().rows.emplace_back();
      tables_.back().cell_open = false;
    } else if (name == "tc" && !tables_.empty()) {
      if (tables_.back().rows.empty()) tables_.back().rows.emplace_back();
      tables_.back().rows.back().emplace_back();
      tables_.back().cell_open = true;
    } else if (!paragraphs_.empty() && ppr_depth_ > 0) {
      Paragraph& paragraph = paragraphs_.back();
      if (name == "pStyle") {
        const std::string style = XmlAttribute(attrs, "val").value_or("");
        const auto it = styles_.find(style);
        paragraph.heading_level = it != styles_.end() ? it->second : HeadingLevelOfName(style);
      } else if (name == "outlineLvl" && paragraph.heading_level == 0) {
        paragraph.heading_level = HeadingLevelOfOutline(XmlAttribute(attrs, "val"));
      } else if (name == "numPr") {
        paragraph.list = true;
      }
    } else if (!paragraphs_.empty() && run_depth_ > 0) {
      std::string& text = paragraphs_.back().text;
      if (name == "tab") text += '\t';
      if (name == "br" || name == "cr") text += '\n';
      if (name == "noBreakHyphen") text += '-';
    }
  }

  void EndTag(std::string_view name) {
    if (name == "p") {
      if (!paragraphs_.empty()) EndParagraph();
    } else if (name == "pPr") {
      ppr_depth_ = ppr_depth_ > 0 ? ppr_depth_ - 1 : 0;
    } else if (name == "r") {
      run_depth_ = run_depth_ > 0 ? run_depth_ - 1 : 0;
    } else if (name == "t") {
      in_text_ = false;
    } else if (name == "tc") {
      if (!tables_.empty()) tables_.back().cell_open = false;
    } else if (name == "tbl") {
      if (!tables_.empty()) EndTable();
    }
  }

  void EndParagraph() {
    Paragraph paragraph = std::move(paragraphs_.back());
    paragraphs_.pop_back();
    in_text_ = false;
    if (paragraph.in_cell && !tables_.empty() && tables_.back().cell_open) {
      std::string& cell = tables_.back().rows.back().back();
      if (!cell.empty() && !IsBlank(paragraph.text)) cell += ' ';
      cell += TrimSpace(paragraph.text);
      return;
    }
    if (paragraph.heading_level > 0) {
      sink_->Add(BlockKind::kHeading, paragraph.text, paragraph.heading_level);
    } else {
      sink_->Add(paragraph.list ? BlockKind::kListItem : BlockKind::kParagraph, paragraph.text);
    }
  }

  void EndTable() {
    Table table = std::move(tables_.back());
    tables_.pop_back();
    EmitTable(table.rows, sink_);
  }

  const std::map<std::string, int>& styles_;
  BlockSink* sink_;
  std::vector<Paragraph> paragraphs_;
  std::vector<Table> tables_;
  int ppr_depth_ = 0;
  int run_depth_ = 0;
  int fallback_depth_ = 0;
  bool in_text_ = false;
};

// Reads a part as valid UTF-8 (broken bytes become U+FFFD).
Result<std::string> ReadPart(const ZipArchive& zip, const ZipEntry& entry, size_t max_bytes) {
  auto bytes = zip.Read(entry, max_bytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kTooLarge) return bytes.status();
    return Unprocessable("the .docx is damaged: " + bytes.status().message());
  }
  std::string text;
  AppendValidUtf8(*bytes, true, &text);
  return text;
}

}  // namespace

Status ParseDocx(std::string_view bytes, const ParseLimits& limits, BlockSink* sink,
                 std::string* title) {
  auto zip = ZipArchive::Open(bytes);
  if (!zip.ok()) {
    if (!bytes.starts_with("PK"))
      return Unprocessable("the file is not a .docx (not a zip archive)");
    return Unprocessable("the .docx cannot be read: " + zip.status().message());
  }
  const ZipEntry* document = zip->Find("word/document.xml");
  if (document == nullptr) {
    return Unprocessable("the file is not a .docx (it has no word/document.xml)");
  }
  KILN_ASSIGN_OR_RETURN(const std::string xml,
                        ReadPart(*zip, *document, limits.max_zip_entry_bytes));
  std::map<std::string, int> styles;
  if (const ZipEntry* entry = zip->Find("word/styles.xml")) {
    // Styles only refine headings: a damaged styles part is not fatal.
    auto styles_xml = ReadPart(*zip, *entry, limits.max_zip_entry_bytes);
    if (styles_xml.ok()) styles = ReadHeadingStyles(*styles_xml);
  }
  if (const ZipEntry* entry = zip->Find("docProps/core.xml")) {
    auto core_xml = ReadPart(*zip, *entry, limits.max_zip_entry_bytes);
    if (core_xml.ok()) *title = ReadTitle(*core_xml);
  }
  if (!DocumentReader(styles, sink).Run(xml)) {
    return Unprocessable("the .docx is damaged: word/document.xml is not well-formed XML");
  }
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
