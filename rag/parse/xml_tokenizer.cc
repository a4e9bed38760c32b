// XmlTokenizer and the attribute and entity helpers (internal_xml.h).
#include "base/utf8.h"
#include "rag/parse/internal_xml.h"

namespace kiln::rag::parse_internal {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The '>' that ends a tag starting at `pos`, skipping quoted attribute values.
size_t TagEnd(std::string_view xml, size_t pos) {
  for (size_t j = pos; j < xml.size(); ++j) {
    const char c = xml[j];
    if (c == '>') return j;
    if (c == '"' || c == '\'') {
      j = xml.find(c, j + 1);
      if (j == std::string_view::npos) return j;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool XmlTokenizer::Next(XmlToken* token) {
  for (;;) {
    if (pos_ >= xml_.size()) return false;
    const std::string_view rest = xml_.substr(pos_);
    if (rest[0] != '<') {
      const size_t lt = rest.find('<');
      *token = XmlToken{};
      token->kind = XmlToken::Kind::kText;
      token->text = rest.substr(0, lt);
      pos_ = lt == std::string_view::npos ? xml_.size() : pos_ + lt;
      return true;
    }
    if (rest.starts_with("<!--")) {
      const size_t end = rest.find("-->", 4);
      if (end == std::string_view::npos) return Fail();
      pos_ += end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const size_t end = rest.find("]]>", 9);
      if (end == std::string_view::npos) return Fail();
      *token = XmlToken{};
      token->kind = XmlToken::Kind::kCdata;
      token->text = rest.substr(9, end - 9);
      pos_ += end + 3;
      return true;
    }
    if (rest.starts_with("<?")) {
      const size_t end = rest.find("?>", 2);
      if (end == std::string_view::npos) return Fail();
      pos_ += end + 2;
      continue;
    }
    if (rest.starts_with("<!")) {
      // DOCTYPE, possibly with an internal subset "[...]" holding '>'s.
      const size_t bracket = rest.find('[');
      const size_t gt = rest.find('>');
      size_t end = gt;
      if (bracket != std::string_view::npos && bracket < gt) {
        const size_t close = rest.find("]", bracket);
        end = close == std::string_view::npos ? close : rest.find('>', close);
      }
      if (end == std::string_view::npos) return Fail();
      pos_ += end + 1;
      continue;
    }
    const bool end_tag = rest.starts_with("</");
    const size_t name_start = end_tag ? 2 : 1;
    size_t name_end = name_start;
    while (name_end < rest.size() && !IsXmlSpace(rest[name_end]) && rest[name_end] != '>' &&
           rest[name_end] != '/') {
      ++name_end;
    }
    if (name_end == name_start) return Fail();
    const size_t gt = TagEnd(rest, name_end);
    if (gt == std::string_view::npos) return Fail();
    *token = XmlToken{};
    token->name = rest.substr(name_start, name_end - name_start);
    const bool empty = !end_tag && rest[gt - 1] == '/';
    token->attrs = rest.substr(name_end, gt - name_end - (empty ? 1 : 0));
    token->kind = end_tag ? XmlToken::Kind::kEndTag
                  : empty ? XmlToken::Kind::kEmptyTag
                          : XmlToken::Kind::kStartTag;
    pos_ += gt + 1;
    return true;
  }
}

std::string_view LocalName(std::string_view qualified_name) {
  const size_t colon = qualified_name.find(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

std::optional<std::string> XmlAttribute(std::string_view attrs, std::string_view local_name) {
  size_t i = 0;
  while (i < attrs.size()) {
    while (i < attrs.size() && IsXmlSpace(attrs[i])) ++i;
    const size_t name_start = i;
    while (i < attrs.size() && attrs[i] != '=' && !IsXmlSpace(attrs[i])) ++i;
    const std::string_view name = attrs.substr(name_start, i - name_start);
    while (i < attrs.size() && IsXmlSpace(attrs[i])) ++i;
    if (i >= attrs.size() || attrs[i] != '=') {
      if (i == name_start) ++i;  // a stray character: step over it
      continue;
    }
    ++i;
    while (i < attrs.size() && IsXmlSpace(attrs[i])) ++i;
    if (i >= attrs.size() || (attrs[i] != '"' && attrs[i] != '\'')) return std::nullopt;
    const size_t close = attrs.find(attrs[i], i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    if (LocalName(name) == local_name) {
      std::string value;
      AppendXmlDecoded(attrs.substr(i + 1, close - i - 1), &value);
      return value;
    }
    i = close + 1;
  }
  return std::nullopt;
}

void AppendXmlDecoded(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size();) {
    const size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      out->append(raw.substr(i));
      return;
    }
    out->append(raw.substr(i, amp - i));
    // References are short; looking further for ';' would be quadratic.
    const size_t found = raw.substr(amp, 12).find(';');
    const size_t semi = found == std::string_view::npos ? found : amp + found;
    const std::string_view name =
        semi == std::string_view::npos ? std::string_view() : raw.substr(amp + 1, semi - amp - 1);
    i = semi + 1;
    if (name == "amp") {
      out->push_back('&');
    } else if (name == "lt") {
      out->push_back('<');
    } else if (name == "gt") {
      out->push_back('>');
    } else if (name == "quot") {
      out->push_back('"');
    } else if (name == "apos") {
      out->push_back('\'');
    } else if (name.size() >= 2 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      uint32_t cp = 0;
      bool valid = name.size() > (hex ? 2u : 1u);
      for (char c : name.substr(hex ? 2 : 1)) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0 || cp > 0x10FFFF) valid = false;
        if (!valid) break;
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(digit);
      }
      if (valid && cp != 0) {
        AppendUtf8(cp, out);  // out-of-range values become U+FFFD
      } else {
        out->append(raw.substr(amp, semi - amp + 1));
      }
    } else {
      out->push_back('&');
      i = amp + 1;
    }
  }
}

}  // namespace kiln::rag::parse_internal
