// BlockSink and the small text helpers every format parser shares.
#include <algorithm>
#include <string>

#include "base/utf8.h"
#include "rag/parse/internal_text.h"

namespace kiln::rag::parse_internal {

bool BlockSink::Push(BlockKind kind, std::string_view text, int level) {
  if (full_) return false;
  if (text.empty()) return true;
  if (text.size() > max_bytes_ - bytes_) {
    full_ = true;
    return false;
  }
  bytes_ += text.size();
  Block block;
  block.kind = kind;
  block.level = kind == BlockKind::kHeading ? std::clamp(level, 1, 6) : 0;
  block.text = std::string(text);
  blocks_.push_back(std::move(block));
  return true;
}

bool BlockSink::Add(BlockKind kind, std::string_view text, int level) {
  return Push(kind, TrimSpace(text), level);
}

bool BlockSink::AddCode(std::string_view text) {
  // Drop whole blank lines at the start, keep the first real line's indent.
  size_t start = 0;
  for (size_t pos = 0; pos <= text.size(); ++pos) {
    if (pos == text.size() || text[pos] == '\n') {
      if (!IsBlank(text.substr(start, pos - start))) break;
      start = pos + 1;
    }
  }
  if (start >= text.size()) return Push(BlockKind::kCode, {}, 0);
  std::string_view body = text.substr(start);
  const std::string_view trimmed = TrimSpace(body);
  body = body.substr(0, static_cast<size_t>(trimmed.data() - body.data()) + trimmed.size());
  return Push(BlockKind::kCode, body, 0);
}

Status BlockSink::Finish() const {
  if (!full_) return Status::OK();
  return TooLarge("the extracted text is larger than the limit of " + std::to_string(max_bytes_) +
                  " bytes");
}

bool IsSpaceCodePoint(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
         cp == 0xFEFF;
}

std::string_view TrimSpace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsSpaceCodePoint(DecodeUtf8(text, &next))) break;
    begin = next;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t lead = end - 1;
    // Step back over continuation bytes to the start of the last character.
    while (lead > begin && (static_cast<uint8_t>(text[lead]) & 0xC0) == 0x80 && end - lead < 4) {
      --lead;
    }
    size_t next = lead;
    const uint32_t cp = DecodeUtf8(text, &next);
    if (next != end || !IsSpaceCodePoint(cp)) break;
    end = lead;
  }
  return text.substr(begin, end - begin);
}

bool IsBlank(std::string_view text) { return TrimSpace(text).empty(); }

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
}

std::string FormatTableRow(const std::vector<std::string>& header,
                           const std::vector<std::string>& cells, size_t max_bytes) {
  std::string row;
  for (size_t i = 0; i < cells.size() && row.size() <= max_bytes; ++i) {
    const std::string_view value = TrimSpace(cells[i]);
    if (value.empty()) continue;
    std::string_view name = i < header.size() ? TrimSpace(header[i]) : std::string_view();
    if (!row.empty()) row += "; ";
    if (name.empty()) {
      row += "column " + std::to_string(i + 1);
    } else {
      row += name;
    }
    row += ": ";
    row += value;
  }
  return row;
}

void EmitTable(const std::vector<std::vector<std::string>>& rows, BlockSink* sink) {
  if (rows.empty()) return;
  if (rows.size() == 1) {
    std::string text;
    for (const std::string& cell : rows[0]) {
      const std::string_view value = TrimSpace(cell);
      if (value.empty()) continue;
      if (!text.empty()) text += "; ";
      text += value;
      if (text.size() > sink->remaining()) break;
    }
    sink->Add(BlockKind::kParagraph, text);
    return;
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    if (!sink->Add(BlockKind::kTableRow, FormatTableRow(rows[0], rows[r], sink->remaining()))) {
      return;
    }
  }
}

}  // namespace kiln::rag::parse_internal
