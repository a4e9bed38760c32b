// ParseMarkdown: a line-oriented block parser for the Markdown people write
// (CommonMark headings, fences, lists, block quotes; GFM pipe tables). It is
// not a full CommonMark implementation: indented code blocks are not
// recognised because Chinese documents indent ordinary paragraphs, and list
// items end at a blank line.
#include <optional>
#include <string>
#include <vector>

#include "rag/parse/internal_markdown.h"
#include "rag/parse/internal_parsers.h"

namespace kiln::rag::parse_internal {
namespace {

// Columns of indentation (a tab counts 4) and the rest of the line.
size_t Indent(std::string_view line, std::string_view* rest) {
  size_t cols = 0;
  size_t i = 0;
  for (; i < line.size() && (line[i] == ' ' || line[i] == '\t'); ++i)
    cols += line[i] == '\t' ? 4 : 1;
  *rest = line.substr(i);
  return cols;
}

size_t RunLength(std::string_view text, char c) {
  size_t n = 0;
  while (n < text.size() && text[n] == c) ++n;
  return n;
}

struct Fence {
  char ch = 0;
  size_t length = 0;
};

std::optional<Fence> FenceOpen(std::string_view line) {
  std::string_view rest;
  if (Indent(line, &rest) > 3 || rest.empty() || (rest[0] != '`' && rest[0] != '~')) return {};
  const size_t n = RunLength(rest, rest[0]);
  if (n < 3) return {};
  if (rest[0] == '`' && rest.substr(n).find('`') != std::string_view::npos) return {};
  return Fence{rest[0], n};
}

bool FenceCloses(std::string_view line, const Fence& fence) {
  std::string_view rest;
  if (Indent(line, &rest) > 3) return false;
  const size_t n = RunLength(rest, fence.ch);
  return n >= fence.length && IsBlank(rest.substr(n));
}

// "## Title ##" -> level 2, "Title".
std::optional<int> AtxHeading(std::string_view line, std::string_view* content) {
  std::string_view rest;
  if (Indent(line, &rest) > 3) return {};
  const size_t n = RunLength(rest, '#');
  if (n < 1 || n > 6 || (n < rest.size() && rest[n] != ' ' && rest[n] != '\t')) return {};
  std::string_view text = TrimSpace(rest.substr(n));
  const size_t hashes = text.find_last_not_of('#');
  if (hashes == std::string_view::npos) {
    text = {};
  } else if (hashes + 1 < text.size() && (text[hashes] == ' ' || text[hashes] == '\t')) {
    text = TrimSpace(text.substr(0, hashes + 1));
  }
  *content = text;
  return static_cast<int>(n);
}

// 1 for "===", 2 for "---" under a paragraph; 0 otherwise.
int SetextLevel(std::string_view line) {
  std::string_view rest;
  if (Indent(line, &rest) > 3 || rest.empty() || (rest[0] != '=' && rest[0] != '-')) return 0;
  if (!IsBlank(rest.substr(RunLength(rest, rest[0])))) return 0;
  return rest[0] == '=' ? 1 : 2;
}

bool ThematicBreak(std::string_view line) {
  std::string_view rest;
  if (Indent(line, &rest) > 3 || rest.empty()) return false;
  const char c = rest[0];
  if (c != '-' && c != '*' && c != '_') return false;
  size_t count = 0;
  for (char ch : rest) {
    if (ch == c) {
      ++count;
    } else if (ch != ' ' && ch != '\t') {
      return false;
    }
  }
  return count >= 3;
}

// "- item", "* item", "+ item", "1. item", "1) item" -> "item".
std::optional<std::string_view> ListItem(std::string_view line) {
  std::string_view rest;
  Indent(line, &rest);
  size_t marker = 0;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '*' || rest[0] == '+')) {
    marker = 1;
  } else {
    const size_t digits = rest.find_first_not_of("0123456789");
    if (digits == 0 || digits > 9 || digits == std::string_view::npos) return {};
    if (rest[digits] != '.' && rest[digits] != ')') return {};
    marker = digits + 1;
  }
  if (marker < rest.size() && rest[marker] != ' ' && rest[marker] != '\t') return {};
  return TrimSpace(rest.substr(marker));
}

// Removes block-quote markers ("> > text" -> "text").
std::string_view StripQuote(std::string_view line) {
  for (;;) {
    std::string_view rest;
    if (Indent(line, &rest) > 3 || rest.empty() || rest[0] != '>') return line;
    line = rest.substr(1);
    if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
  }
}

// "[id]: https://..." — link metadata, not content.
bool ReferenceDefinition(std::string_view line) {
  std::string_view rest;
  if (Indent(line, &rest) > 3 || rest.empty() || rest[0] != '[') return false;
  const size_t close = rest.find("]:");
  if (close == std::string_view::npos ||
      rest.substr(1, close - 1).find(']') != std::string_view::npos) {
    return false;
  }
  const std::string_view dest = TrimSpace(rest.substr(close + 2));
  return dest.starts_with("http://") || dest.starts_with("https://") || dest.starts_with("/") ||
         dest.starts_with("#") || dest.starts_with("<") || dest.starts_with("mailto:") ||
         dest.starts_with("./") || dest.starts_with("../");
}

// Splits a pipe-table row into cells; "\|" is a literal pipe.
std::vector<std::string> SplitRow(std::string_view line) {
  std::string_view row = TrimSpace(line);
  if (!row.empty() && row.front() == '|') row.remove_prefix(1);
  if (!row.empty() && row.back() == '|' && !(row.size() >= 2 && row[row.size() - 2] == '\\')) {
    row.remove_suffix(1);
  }
  std::vector<std::string> cells(1);
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cells.back().push_back('|');
      ++i;
    } else if (row[i] == '|') {
      cells.emplace_back();
    } else {
      cells.back().push_back(row[i]);
    }
  }
  return cells;
}

bool DelimiterRow(std::string_view line) {
  if (line.find('|') == std::string_view::npos) return false;
  for (const std::string& cell : SplitRow(line)) {
    std::string_view c = TrimSpace(cell);
    if (!c.empty() && c.front() == ':') c.remove_prefix(1);
    if (!c.empty() && c.back() == ':') c.remove_suffix(1);
    if (c.empty() || c.find_first_not_of('-') != std::string_view::npos) return false;
  }
  return true;
}

class MarkdownParser {
 public:
  MarkdownParser(std::string_view text, BlockSink* sink) : sink_(sink) {
    for (size_t start = 0; start <= text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  void Run(std::string* title) {
    size_t i = FrontMatter(title);
    while (i < lines_.size() && !sink_->full()) i = Line(i);
    FlushParagraph();
    FlushItem();
  }

 private:
  // Skips YAML front matter ("---" ... "---") and takes its title.
  size_t FrontMatter(std::string* title) {
    if (lines_.empty() || TrimSpace(lines_[0]) != "---") return 0;
    for (size_t i = 1; i < lines_.size() && i < 200; ++i) {
      const std::string_view line = TrimSpace(lines_[i]);
      if (line == "---" || line == "...") {
        if (i == 1) return 0;
        return i + 1;
      }
      if (line.find(':') == std::string_view::npos && !line.starts_with("- ")) return 0;
      if (line.starts_with("title:")) {
        std::string_view value = TrimSpace(line.substr(6));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
          value = value.substr(1, value.size() - 2);
        }
        *title = std::string(value);
      }
    }
    title->clear();
    return 0;
  }

  // Handles the line at `i` (and any it swallows); returns the next line.
  size_t Line(size_t i) {
    const std::string_view line = StripQuote(lines_[i]);
    if (IsBlank(line)) {
      FlushParagraph();
      FlushItem();
      return i + 1;
    }
    if (std::optional<Fence> fence = FenceOpen(line)) return CodeBlock(i, *fence);
    std::string_view heading;
    if (std::optional<int> level = AtxHeading(line, &heading)) {
      FlushParagraph();
      FlushItem();
      sink_->Add(BlockKind::kHeading, StripInlineMarkup(heading), *level);
      return i + 1;
    }
    if (paragraph_open_ && SetextLevel(line) > 0) {
      sink_->Add(BlockKind::kHeading, StripInlineMarkup(paragraph_), SetextLevel(line));
      paragraph_.clear();
      paragraph_open_ = false;
      return i + 1;
    }
    if (ThematicBreak(line)) {
      FlushParagraph();
      FlushItem();
      return i + 1;
    }
    if (line.find('|') != std::string_view::npos && i + 1 < lines_.size() &&
        DelimiterRow(StripQuote(lines_[i + 1]))) {
      return Table(i);
    }
    if (std::optional<std::string_view> item = ListItem(line)) {
      FlushParagraph();
      FlushItem();
      item_ = std::string(*item);
      item_open_ = true;
      return i + 1;
    }
    if (!paragraph_open_ && !item_open_ && ReferenceDefinition(line)) return i + 1;
    std::string& target = item_open_ ? item_ : paragraph_;
    if (item_open_ || paragraph_open_) target += '\n';
    target += TrimSpace(line);
    paragraph_open_ = !item_open_;
    return i + 1;
  }

  size_t CodeBlock(size_t i, const Fence& fence) {
    FlushParagraph();
    FlushItem();
    std::string code;
    size_t j = i + 1;
    for (; j < lines_.size() && !FenceCloses(lines_[j], fence); ++j) {
      code.append(lines_[j]);
      code += '\n';
    }
    sink_->AddCode(code);
    return j + 1;
  }

  size_t Table(size_t i) {
    FlushParagraph();
    FlushItem();
    std::vector<std::vector<std::string>> rows;
    rows.push_back(SplitRow(StripQuote(lines_[i])));
    size_t j = i + 2;
    for (; j < lines_.size(); ++j) {
      const std::string_view line = StripQuote(lines_[j]);
      if (IsBlank(line) || line.find('|') == std::string_view::npos) break;
      rows.push_back(SplitRow(line));
    }
    for (auto& row : rows) {
      for (std::string& cell : row) cell = StripInlineMarkup(TrimSpace(cell));
    }
    EmitTable(rows, sink_);
    return j;
  }

  void FlushParagraph() {
    if (paragraph_open_) sink_->Add(BlockKind::kParagraph, StripInlineMarkup(paragraph_));
    paragraph_.clear();
    paragraph_open_ = false;
  }

  void FlushItem() {
    if (item_open_) sink_->Add(BlockKind::kListItem, StripInlineMarkup(item_));
    item_.clear();
    item_open_ = false;
  }

  BlockSink* sink_;
  std::vector<std::string_view> lines_;
  std::string paragraph_;
  bool paragraph_open_ = false;
  std::string item_;
  bool item_open_ = false;
};

}  // namespace

Status ParseMarkdown(std::string_view text, BlockSink* sink, std::string* title) {
  MarkdownParser(text, sink).Run(title);
  return Status::OK();
}

}  // namespace kiln::rag::parse_internal
