// HTML character references and the <meta> charset sniffer.
#include <string>
#include <unordered_map>

#include "base/utf8.h"
#include "rag/parse/internal_html.h"
#include "rag/parse/internal_text.h"

namespace kiln::rag::parse_internal {
namespace {

// Latin-1 letters U+00C0..U+00FF by their entity names, in code point order.
constexpr std::string_view kLatin1Names[64] = {
    "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig", "Ccedil",
    "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc", "Iuml",
    "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",  "times",
    "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN", "szlig",
    "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig", "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc", "iuml",
    "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",  "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn", "yuml"};

const std::unordered_map<std::string_view, uint32_t>& NamedEntities() {
  static const auto* const kTable = [] {
    auto* table = new std::unordered_map<std::string_view, uint32_t>{
        {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
        {"apos", '\''},     {"nbsp", ' '},      {"copy", 0xA9},     {"reg", 0xAE},
        {"trade", 0x2122},  {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},
        {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"ldquo", 0x201C},  {"rdquo", 0x201D},
        {"sbquo", 0x201A},  {"bdquo", 0x201E},  {"laquo", 0xAB},    {"raquo", 0xBB},
        {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"middot", 0xB7},   {"bull", 0x2022},
        {"deg", 0xB0},      {"plusmn", 0xB1},   {"para", 0xB6},     {"sect", 0xA7},
        {"cent", 0xA2},     {"pound", 0xA3},    {"yen", 0xA5},      {"euro", 0x20AC},
        {"iexcl", 0xA1},    {"iquest", 0xBF},   {"shy", 0xAD},      {"ensp", 0x2002},
        {"emsp", 0x2003},   {"thinsp", 0x2009}, {"zwnj", 0x200C},   {"zwj", 0x200D},
        {"lrm", 0x200E},    {"rlm", 0x200F},    {"permil", 0x2030}, {"prime", 0x2032},
        {"Prime", 0x2033},  {"larr", 0x2190},   {"uarr", 0x2191},   {"rarr", 0x2192},
        {"darr", 0x2193},   {"harr", 0x2194},   {"le", 0x2264},     {"ge", 0x2265},
        {"ne", 0x2260},     {"asymp", 0x2248},  {"infin", 0x221E},  {"minus", 0x2212},
        {"micro", 0xB5},    {"frac12", 0xBD},   {"frac14", 0xBC},   {"frac34", 0xBE},
        {"sup1", 0xB9},     {"sup2", 0xB2},     {"sup3", 0xB3},     {"ordf", 0xAA},
        {"ordm", 0xBA},     {"not", 0xAC},      {"macr", 0xAF},     {"acute", 0xB4},
        {"cedil", 0xB8},    {"uml", 0xA8},      {"dagger", 0x2020}, {"Dagger", 0x2021},
        {"loz", 0x25CA},    {"hearts", 0x2665}, {"alpha", 0x3B1},   {"beta", 0x3B2},
        {"gamma", 0x3B3},   {"delta", 0x3B4},   {"pi", 0x3C0},      {"sigma", 0x3C3},
        {"omega", 0x3C9},   {"mu", 0x3BC},      {"lambda", 0x3BB},  {"theta", 0x3B8},
    };
    for (uint32_t i = 0; i < 64; ++i) table->emplace(kLatin1Names[i], 0xC0 + i);
    return table;
  }();
  return *kTable;
}

// HTML maps numeric references in 0x80..0x9F to Windows-1252 (&#150; is an
// en dash), because that is what pages written on Windows meant.
uint32_t FixNumericReference(uint32_t cp) {
  static constexpr uint16_t kCp1252[32] = {
      0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
      0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};
  if (cp >= 0x80 && cp <= 0x9F) return kCp1252[cp - 0x80];
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kReplacementChar;
  return cp;
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Decodes the reference at text[i] == '&'; returns the bytes consumed, 0 when
// it is not a reference.
size_t DecodeReference(std::string_view text, size_t i, std::string* out) {
  size_t j = i + 1;
  if (j < text.size() && text[j] == '#') {
    ++j;
    const bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
    if (hex) ++j;
    uint32_t cp = 0;
    size_t digits = 0;
    for (; j < text.size(); ++j, ++digits) {
      const char c = text[j];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        d = (c | 0x20) - 'a' + 10;
      } else {
        break;
      }
      cp = cp > 0x10FFFF ? cp : cp * (hex ? 16 : 10) + d;  // saturate: stays invalid
    }
    if (digits == 0) return 0;
    if (j < text.size() && text[j] == ';') ++j;
    AppendUtf8(FixNumericReference(cp), out);
    return j - i;
  }
  while (j < text.size() && j - i <= 32 && IsAlnum(text[j])) ++j;
  const std::string_view name = text.substr(i + 1, j - i - 1);
  const bool terminated = j < text.size() && text[j] == ';';
  // Legacy pages drop the semicolon on the most common few.
  if (!terminated && name != "amp" && name != "lt" && name != "gt" && name != "quot" &&
      name != "nbsp") {
    return 0;
  }
  const auto& table = NamedEntities();
  auto it = table.find(name);
  if (it == table.end()) return 0;
  AppendUtf8(it->second, out);
  return j - i + (terminated ? 1 : 0);
}

}  // namespace

void AppendHtmlDecoded(std::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size();) {
    const size_t amp = text.find('&', i);
    if (amp == std::string_view::npos) {
      out->append(text.substr(i));
      return;
    }
    out->append(text.substr(i, amp - i));
    const size_t used = DecodeReference(text, amp, out);
    if (used == 0) out->push_back('&');
    i = amp + (used == 0 ? 1 : used);
  }
}

std::string SniffMetaCharset(std::string_view html) {
  const std::string head = AsciiLower(html.substr(0, 4096));
  for (size_t pos = head.find("<meta"); pos != std::string::npos;
       pos = head.find("<meta", pos + 5)) {
    const size_t end = head.find('>', pos);
    const std::string_view tag = std::string_view(head).substr(pos, end - pos);
    const size_t at = tag.find("charset");
    if (at == std::string_view::npos) continue;
    std::string_view value = tag.substr(at + 7);
    while (!value.empty() &&
           (value[0] == ' ' || value[0] == '=' || value[0] == '"' || value[0] == '\'')) {
      value.remove_prefix(1);
    }
    size_t length = 0;
    while (length < value.size() &&
           (IsAlnum(value[length]) || value[length] == '-' || value[length] == '_')) {
      ++length;
    }
    if (length > 0) return std::string(value.substr(0, length));
  }
  return "";
}

}  // namespace kiln::rag::parse_internal
