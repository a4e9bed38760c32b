// ParseHtml: a tolerant, single-pass HTML reader. It does not build a DOM; it
// tracks just enough state (heading, list, pre, table nesting) to cut the text
// into blocks, and accepts the broken markup real pages have: unclosed <p> and
// <li>, stray end tags, unquoted attributes, a '<' that opens nothing.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "rag/parse/internal_html.h"
#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsNameChar(char c) {
  return IsAsciiAlpha(c) || (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '_';
}

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool OneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Elements whose content is raw text up to their end tag.
bool IsRawText(std::string_view name) {
  return OneOf(name, {"script", "style", "noscript", "template", "title", "textarea", "xmp"});
}

// Elements that end the running paragraph where they start and end.
bool IsBlockElement(std::string_view name) {
  return OneOf(name, {"p",     "div",     "section",  "article",    "blockquote", "address",
                      "aside", "body",    "center",   "dd",         "details",    "dialog",
                      "dl",    "dt",      "fieldset", "figcaption", "figure",     "footer",
                      "form",  "header",  "hgroup",   "html",       "main",       "menu",
                      "nav",   "summary", "caption",  "legend",     "hr"});
}

// 1..6 for h1..h6, else 0.
int HeadingLevel(std::string_view name) {
  if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') return name[1] - '0';
  return 0;
}

struct Table {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> row_has_th;
  bool row_open = false;
  bool cell_open = false;
};

class HtmlParser {
 public:
  HtmlParser(std::string_view html, BlockSink* sink) : html_(html), sink_(sink) {}

  void Run(std::string* title) {
    title_ = title;
    for (size_t i = 0; i < html_.size() && !sink_->full();) {
      const size_t lt = html_.find('<', i);
      if (lt == std::string_view::npos) {
        Text(html_.substr(i));
        break;
      }
      Text(html_.substr(i, lt - i));
      i = Markup(lt);
    }
    while (!tables_.empty()) CloseTable();
    Flush();
  }

 private:
  // Handles the markup at html_[lt] == '<'; returns where text resumes.
  size_t Markup(size_t lt) {
    const std::string_view rest = html_.substr(lt);
    if (rest.starts_with("<!--")) return After(html_.find("-->", lt + 4), 3);
    if (rest.starts_with("<!") || rest.starts_with("<?")) return After(html_.find('>', lt), 1);
    const bool end_tag = rest.starts_with("</");
    const size_t name_start = lt + (end_tag ? 2 : 1);
    if (name_start >= html_.size() || !IsAsciiAlpha(html_[name_start])) {
      if (end_tag) return After(html_.find('>', lt), 1);  // "</ >": ignored
      Text("<");
      return lt + 1;
    }
    size_t name_end = name_start;
    while (name_end < html_.size() && IsNameChar(html_[name_end])) ++name_end;
    const std::string name = AsciiLower(html_.substr(name_start, name_end - name_start));
    const size_t close = TagEnd(name_end);
    const size_t next = close == std::string_view::npos ? html_.size() : close + 1;
    if (end_tag) {
      EndTag(name);
      return next;
    }
    if (IsRawText(name) && close != std::string_view::npos && html_[close - 1] != '/') {
      return RawText(name, next);
    }
    StartTag(name);
    return next;
  }

  static size_t After(size_t found, size_t length) {
    return found == std::string_view::npos ? std::string_view::npos : found + length;
  }

  // The '>' closing a tag, skipping quoted attribute values; npos if none.
  size_t TagEnd(size_t pos) {
    char last = 0;  // last non-space character seen
    for (size_t j = pos; j < html_.size(); ++j) {
      const char c = html_[j];
      if (c == '>') return j;
      if ((c == '"' || c == '\'') && last == '=') {
        const int slot = c == '"' ? 0 : 1;
        // Once a quote has no partner, no later one has either: skip the search.
        if (!unpaired_quote_[slot]) {
          const size_t q = html_.find(c, j + 1);
          if (q == std::string_view::npos) {
            unpaired_quote_[slot] = true;
          } else {
            j = q;
          }
        }
      }
      if (!IsHtmlSpace(c)) last = c;
    }
    return std::string_view::npos;
  }

  // Content of <script>, <title>, ...: up to "</name", not parsed as markup.
  size_t RawText(const std::string& name, size_t content_start) {
    size_t end = content_start;
    for (;;) {
      end = html_.find("</", end);
      if (end == std::string_view::npos) break;
      const std::string_view candidate = html_.substr(end + 2, name.size());
      const size_t after = end + 2 + name.size();
      if (EqualsIgnoreCase(candidate, name) &&
          (after >= html_.size() || !IsNameChar(html_[after]))) {
        break;
      }
      end += 2;
    }
    const std::string_view content =
        html_.substr(content_start,
                     end == std::string_view::npos ? std::string_view::npos : end - content_start);
    if (name == "title" && title_->empty()) {
      std::string decoded;
      AppendHtmlDecoded(content, &decoded);
      std::string collapsed;
      AppendCollapsed(decoded, false, &collapsed);
      *title_ = std::string(TrimSpace(collapsed));
    } else if (name == "textarea" || name == "xmp") {
      Text(content);
    }
    if (end == std::string_view::npos) return html_.size();
    const size_t close = html_.find('>', end);
    return close == std::string_view::npos ? html_.size() : close + 1;
  }

  void StartTag(const std::string& name) {
    if (name == "head") {
      in_head_ = true;
      return;
    }
    // Anything but head content means the body has begun, <body> or not.
    if (!OneOf(name,
               {"meta", "link", "base", "title", "style", "script", "noscript", "template"})) {
      in_head_ = false;
    }
    if (name == "br") {
      BreakLine();
    } else if (name == "table") {
      if (!InCell()) Flush();
      tables_.emplace_back();
    } else if (name == "tr" && !tables_.empty()) {
      CloseRow();
      tables_.back().rows.emplace_back();
      tables_.back().row_has_th.push_back(false);
      tables_.back().row_open = true;
    } else if ((name == "td" || name == "th") && !tables_.empty()) {
      OpenCell(name == "th");
    } else if (int level = HeadingLevel(name)) {
      Separate();
      heading_level_ = level;
    } else if (name == "pre") {
      Separate();
      ++pre_depth_;
    } else if (name == "ul" || name == "ol") {
      Separate();
      ++list_depth_;
    } else if (name == "li") {
      Separate();
      li_depth_ = std::min(li_depth_ + 1, std::max(list_depth_, 1));
    } else if (IsBlockElement(name) || name == "td" || name == "th" || name == "tr") {
      Separate();
    }
  }

  void EndTag(const std::string& name) {
    if (name == "head") {
      in_head_ = false;
    } else if (name == "table") {
      if (!tables_.empty()) CloseTable();
    } else if (name == "tr") {
      CloseRow();
    } else if (name == "td" || name == "th") {
      if (!tables_.empty()) tables_.back().cell_open = false;
    } else if (HeadingLevel(name) > 0) {
      Separate();
      heading_level_ = 0;
    } else if (name == "pre") {
      Separate();
      pre_depth_ = std::max(pre_depth_ - 1, 0);
    } else if (name == "ul" || name == "ol") {
      Separate();
      list_depth_ = std::max(list_depth_ - 1, 0);
      li_depth_ = std::min(li_depth_, list_depth_);
    } else if (name == "li") {
      Separate();
      li_depth_ = std::max(li_depth_ - 1, 0);
    } else if (IsBlockElement(name)) {
      Separate();
    }
  }

  bool InCell() const { return !tables_.empty() && tables_.back().cell_open; }
  std::string* Target() { return InCell() ? &tables_.back().rows.back().back() : &current_; }

  void Text(std::string_view raw) {
    if (in_head_ || raw.empty()) return;
    std::string decoded;
    AppendHtmlDecoded(raw, &decoded);
    AppendCollapsed(decoded, pre_depth_ > 0 && !InCell(), Target());
  }

  // Appends `text`, turning each run of white space into one space unless
  // `keep_space` (inside <pre>).
  static void AppendCollapsed(std::string_view text, bool keep_space, std::string* out) {
    for (char c : text) {
      if (keep_space || !IsHtmlSpace(c)) {
        out->push_back(c);
      } else if (!out->empty() && out->back() != ' ' && out->back() != '\n') {
        out->push_back(' ');
      }
    }
  }

  void BreakLine() {
    std::string* target = Target();
    if (InCell()) {
      if (!target->empty() && target->back() != ' ') target->push_back(' ');
      return;
    }
    while (!target->empty() && target->back() == ' ' && pre_depth_ == 0) target->pop_back();
    target->push_back('\n');
  }

  // A block boundary: ends the running block, or separates words in a cell.
  void Separate() {
    if (InCell()) {
      std::string* cell = Target();
      if (!cell->empty() && cell->back() != ' ') cell->push_back(' ');
    } else {
      Flush();
    }
  }

  void Flush() {
    if (heading_level_ > 0) {
      sink_->Add(BlockKind::kHeading, current_, heading_level_);
    } else if (pre_depth_ > 0) {
      sink_->AddCode(current_);
    } else {
      sink_->Add(li_depth_ > 0 ? BlockKind::kListItem : BlockKind::kParagraph, current_);
    }
    current_.clear();
  }

  void OpenCell(bool header) {
    Table& table = tables_.back();
    if (!table.row_open) {
      table.rows.emplace_back();
      table.row_has_th.push_back(false);
      table.row_open = true;
    }
    table.rows.back().emplace_back();
    table.cell_open = true;
    if (header) table.row_has_th.back() = true;
  }

  void CloseRow() {
    if (tables_.empty()) return;
    tables_.back().cell_open = false;
    tables_.back().row_open = false;
  }

  // Emits the innermost table: the first row with <th> cells (else the first
  // row) is the header of all the others.
  void CloseTable() {
    Table table = std::move(tables_.back());
    tables_.pop_back();
    std::vector<std::vector<std::string>> rows;
    size_t header = 0;
    const auto th = std::find(table.row_has_th.begin(), table.row_has_th.end(), true);
    if (th != table.row_has_th.end()) header = th - table.row_has_th.begin();
    for (size_t r = 0; r < table.rows.size(); ++r) {
      if (r == header) rows.insert(rows.begin(), std::move(table.rows[r]));
      if (r != header && !table.rows[r].empty()) rows.push_back(std::move(table.rows[r]));
    }
    EmitTable(rows, sink_);
  }

  std::string_view html_;
  BlockSink* sink_;
  std::string* title_ = nullptr;
  std::string current_;  // text of the running block
  std::vector<Table> tables_;
  bool in_head_ = false;
  int heading_level_ = 0;
  int pre_depth_ = 0;
  int list_depth_ = 0;
  int li_depth_ = 0;
  std::array<bool, 2> unpaired_quote_{};
};

}  // namespace

Status ParseHtml(std::string_view bytes, std::string_view charset, BlockSink* sink,
                 std::string* title, std::string* encoding) {
  const std::string declared = charset.empty() ? SniffMetaCharset(bytes) : std::string(charset);
  KILN_ASSIGN_OR_RETURN(std::string html, DecodeTextWithCharset(bytes, declared, encoding));
  if (html.size() > sink->max_bytes()) {
    return TooLarge("the decoded text is larger than the limit of " +
                    std::to_string(sink->max_bytes()) + " bytes");
  }
  HtmlParser(html, sink).Run(title);
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
