#include "web/multipart.h"

#include <cstdint>
#include <utility>

#include "base/utf8.h"
#include "web/http.h"

namespace kiln::web {
namespace {

constexpr size_t kMaxBoundaryLength = 70;  // RFC 2046 section 5.1.1
constexpr size_t kMaxFilenameBytes = 200;

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 7230 tchar: what header names and unquoted parameter names are made of.
bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars (space allowed, but not last).
bool IsBoundaryChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

struct Param {
  std::string name;  // lower-cased
  std::string value;
};

// Splits `type; a=b; c="d \"e\""` into the trimmed type and its parameters.
// Inside quotes a backslash escapes only '"' and '\': browsers send Windows
// paths with bare backslashes, which must survive. False when malformed.
bool ParseHeaderValue(std::string_view value, std::string_view* type, std::vector<Param>* params) {
  size_t i = value.find(';');
  *type = Trim(value.substr(0, i));
  while (i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && IsSpace(value[i])) ++i;
    if (i == value.size()) break;  // a trailing ';' is harmless
    if (value[i] == ';') continue;
    size_t name_begin = i;
    while (i < value.size() && IsTokenChar(value[i])) ++i;
    Param param{Lower(value.substr(name_begin, i - name_begin)), {}};
    while (i < value.size() && IsSpace(value[i])) ++i;
    if (param.name.empty() || i == value.size() || value[i] != '=') return false;
    ++i;
    while (i < value.size() && IsSpace(value[i])) ++i;
    if (i < value.size() && value[i] == '"') {
      for (++i;; ++i) {
        if (i >= value.size()) return false;  // unterminated
        char c = value[i];
        if (c == '"') break;
        if (c == '\\' && i + 1 < value.size() && (value[i + 1] == '"' || value[i + 1] == '\\')) {
          c = value[++i];
        }
        param.value.push_back(c);
      }
      ++i;  // past the closing quote
      while (i < value.size() && IsSpace(value[i])) ++i;
      if (i < value.size() && value[i] != ';') return false;
    } else {
      size_t end = value.find(';', i);
      param.value = std::string(Trim(value.substr(i, end - i)));
      if (param.value.empty()) return false;
      i = end;
    }
    params->push_back(std::move(param));
  }
  return true;
}

// Decodes an RFC 5987 ext-value: charset'language'percent-encoded-bytes.
bool DecodeExtValue(std::string_view value, std::string* out) {
  size_t q1 = value.find('\'');
  if (q1 == std::string_view::npos) return false;
  size_t q2 = value.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return false;
  std::string_view charset = value.substr(0, q1);
  std::string bytes;
  if (!PercentDecode(value.substr(q2 + 1), false, &bytes)) return false;
  if (EqualsIgnoreCase(charset, "utf-8") || EqualsIgnoreCase(charset, "us-ascii")) {
    *out = std::move(bytes);
    return true;
  }
  if (EqualsIgnoreCase(charset, "iso-8859-1")) {  // each byte is its own code point
    out->clear();
    for (char c : bytes) AppendUtf8(static_cast<uint8_t>(c), out);
    return true;
  }
  return false;
}

// Whether a boundary that ends at `i` is a real delimiter: followed by "--"
// (the close delimiter) or by optional white space and a line end. Sets
// `*next` to the first byte after it and `*close`.
bool IsBoundaryEnd(std::string_view body, size_t i, size_t* next, bool* close) {
  if (body.substr(i, 2) == "--") {
    *next = i + 2;
    *close = true;
    return true;
  }
  while (i < body.size() && IsSpace(body[i])) ++i;  // RFC 2046 transport padding
  size_t eol = body.substr(i, 2) == "\r\n" ? 2 : body.substr(i, 1) == "\n" ? 1 : 0;
  if (eol == 0) return false;
  *next = i + eol;
  *close = false;
  return true;
}

// Finds the first delimiter ("\r\n--boundary" ending as IsBoundaryEnd wants)
// at or after `from`; `*at` is where its CRLF starts. False when none.
bool FindDelimiter(std::string_view body, size_t from, std::string_view delimiter, size_t* at,
                   size_t* next, bool* close) {
  for (size_t pos = body.find(delimiter, from); pos != std::string_view::npos;
       pos = body.find(delimiter, pos + 1)) {
    if (IsBoundaryEnd(body, pos + delimiter.size(), next, close)) {
      *at = pos;
      return true;
    }
  }
  return false;
}

std::string PartName(size_t index) { return "part " + std::to_string(index); }

// What a part's headers said so far.
struct PartHeaders {
  bool has_disposition = false;
  bool has_name = false;
  bool has_filename = false;
  bool has_content_type = false;
};

Status ApplyDisposition(std::string_view value, size_t index, PartHeaders* seen,
                        MultipartPart* part) {
  std::string_view type;
  std::vector<Param> params;
  if (!ParseHeaderValue(value, &type, &params)) {
    return InvalidArgument(PartName(index) + " has a malformed Content-Disposition header");
  }
  if (!EqualsIgnoreCase(type, "form-data")) {
    return InvalidArgument(PartName(index) + "'s Content-Disposition is not form-data");
  }
  bool has_plain_filename = false, has_ext_filename = false;
  for (Param& param : params) {
    bool* flag = param.name == "name"        ? &seen->has_name
                 : param.name == "filename"  ? &has_plain_filename
                 : param.name == "filename*" ? &has_ext_filename
                                             : nullptr;
    if (flag == nullptr) continue;  // unknown parameters are ignored
    // Two parsers reading a repeated parameter differently is how filters get
    // bypassed, so a repeat is an error rather than first-or-last-wins.
    if (*flag) {
      return InvalidArgument(PartName(index) + " repeats the " + param.name + " parameter");
    }
    *flag = true;
    if (param.name == "name") {
      part->name = std::move(param.value);
    } else if (param.name == "filename*") {
      if (!DecodeExtValue(param.value, &part->filename)) {
        return InvalidArgument(PartName(index) + " has a malformed filename* parameter");
      }
    } else if (!has_ext_filename) {  // RFC 6266: filename* wins over filename
      part->filename = std::move(param.value);
    }
  }
  seen->has_filename = has_plain_filename || has_ext_filename;
  return Status::OK();
}

Status ApplyHeader(std::string_view line, size_t index, PartHeaders* seen, MultipartPart* part) {
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  bool name_ok = colon != std::string_view::npos && !name.empty();
  for (char c : name) name_ok = name_ok && IsTokenChar(c);
  if (!name_ok) return InvalidArgument(PartName(index) + " has a malformed header line");
  std::string_view value = Trim(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-disposition")) {
    if (seen->has_disposition) {
      return InvalidArgument(PartName(index) + " has two Content-Disposition headers");
    }
    seen->has_disposition = true;
    return ApplyDisposition(value, index, seen, part);
  }
  if (EqualsIgnoreCase(name, "content-type")) {
    if (seen->has_content_type) {
      return InvalidArgument(PartName(index) + " has two Content-Type headers");
    }
    seen->has_content_type = true;
    part->content_type = std::string(value);
  }
  return Status::OK();  // other headers (Content-Transfer-Encoding, ...) are ignored
}

// Parses one part: the bytes between the line end of its opening boundary and
// the CRLF of the next delimiter. `index` counts from 1, for messages.
Result<MultipartPart> ParsePart(std::string_view part_bytes, size_t index,
                                const MultipartLimits& limits) {
  MultipartPart part;
  PartHeaders seen;
  // Only the first max_header_bytes are ever scanned for line ends, so a huge
  // part without any costs no more than its size once.
  std::string_view head = part_bytes.substr(0, limits.max_header_bytes);
  size_t i = 0;
  for (;;) {
    size_t lf = head.find('\n', i);
    if (lf == std::string_view::npos) {
      if (part_bytes.size() > limits.max_header_bytes) {
        return TooLarge(PartName(index) + "'s headers exceed " +
                        std::to_string(limits.max_header_bytes) + " bytes");
      }
      return InvalidArgument(PartName(index) + "'s headers do not end with a blank line");
    }
    std::string_view line = head.substr(i, lf - i);
    i = lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (IsSpace(line.front())) {
      return InvalidArgument(PartName(index) +
                             " has a folded header line, which multipart/form-data does not allow");
    }
    for (char c : line) {
      if ((static_cast<uint8_t>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return InvalidArgument(PartName(index) + " has a control character in its headers");
      }
    }
    KILN_RETURN_IF_ERROR(ApplyHeader(line, index, &seen, &part));
  }
  if (!seen.has_disposition) {
    return InvalidArgument(PartName(index) + " has no Content-Disposition: form-data header");
  }
  if (!seen.has_name || part.name.empty()) return InvalidArgument(PartName(index) + " has no name");
  if (!seen.has_content_type) {
    part.content_type = seen.has_filename ? "application/octet-stream" : "text/plain";
  }
  part.data = part_bytes.substr(i);
  return part;
}

// Code points that must not reach a file name someone will read: C0 and C1
// controls, DEL, and the bidirectional controls that make "gpj.exe" look
// like "exe.jpg".
bool IsHiddenControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

Result<std::string> MultipartBoundary(std::string_view content_type) {
  std::string_view type;
  std::vector<Param> params;
  if (!ParseHeaderValue(content_type, &type, &params)) {
    return InvalidArgument("the Content-Type header is malformed");
  }
  if (!EqualsIgnoreCase(type, "multipart/form-data")) {
    return InvalidArgument("the body must be multipart/form-data, not \"" +
                           std::string(type.substr(0, 100)) + "\"");
  }
  const std::string* boundary = nullptr;
  for (const Param& param : params) {
    if (param.name != "boundary") continue;
    if (boundary != nullptr) return InvalidArgument("the Content-Type has two boundary parameters");
    boundary = &param.value;
  }
  if (boundary == nullptr || boundary->empty()) {
    return InvalidArgument("the multipart/form-data Content-Type has no boundary");
  }
  if (boundary->size() > kMaxBoundaryLength) {
    return InvalidArgument("the multipart boundary is longer than 70 characters");
  }
  for (char c : *boundary) {
    if (!IsBoundaryChar(c)) {
      return InvalidArgument("the multipart boundary holds characters RFC 2046 does not allow");
    }
  }
  if (boundary->back() == ' ') {
    return InvalidArgument("the multipart boundary must not end with a space");
  }
  return *boundary;
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength) {
    return InvalidArgument("the multipart boundary must be 1 to 70 characters long");
  }
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::string_view dash_boundary = std::string_view(delimiter).substr(2);

  size_t at = 0, next = 0;
  bool close = false;
  // The first boundary may open the body; otherwise it ends a preamble.
  bool found = body.substr(0, dash_boundary.size()) == dash_boundary &&
               IsBoundaryEnd(body, dash_boundary.size(), &next, &close);
  if (!found && !FindDelimiter(body, 0, delimiter, &at, &next, &close)) {
    return InvalidArgument("the multipart body has no opening boundary");
  }
  std::vector<MultipartPart> parts;
  while (!close) {
    if (parts.size() == limits.max_parts) {
      return TooLarge("the multipart body has more than " + std::to_string(limits.max_parts) +
                      " parts");
    }
    size_t part_begin = next;
    if (!FindDelimiter(body, part_begin, delimiter, &at, &next, &close)) {
      return InvalidArgument("the multipart body ends before its closing boundary");
    }
    KILN_ASSIGN_OR_RETURN(MultipartPart part, ParsePart(body.substr(part_begin, at - part_begin),
                                                        parts.size() + 1, limits));
    parts.push_back(std::move(part));
  }
  return parts;  // whatever follows the close delimiter is epilogue
}

std::string SanitizeFilename(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string valid;
  AppendValidUtf8(name, /*final=*/true, &valid);

  std::string out;
  size_t pos = 0;
  while (pos < valid.size()) {
    uint32_t cp = DecodeUtf8(valid, &pos);
    if (IsHiddenControl(cp)) continue;
    // Leading dots would hide the file or, as "..", climb out of a folder.
    if (out.empty() && (cp == '.' || cp == ' ')) continue;
    AppendUtf8(cp, &out);
  }
  if (out.size() > kMaxFilenameBytes) {
    size_t cut = kMaxFilenameBytes;
    while (cut > 0 && (static_cast<uint8_t>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "upload" : out;
}

}  // namespace kiln::web
