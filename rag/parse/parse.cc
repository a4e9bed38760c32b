// ParseDocument: format detection, the checks common to all formats, and the
// dispatch to the per-format parsers (internal_parsers.h).
#include "rag/parse/parse.h"

#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "rag/parse/internal_parsers.h"
#include "rag/parse/internal_text.h"

namespace kiln::rag {
namespace {

using parse_internal::AsciiLower;
using parse_internal::BlockSink;
using parse_internal::TrimSpace;

enum class Format { kTxt, kMd, kHtml, kPdf, kCsv, kTsv, kDocx, kJson };

constexpr std::string_view kSupported = "use .txt, .md, .html, .pdf, .csv, .tsv, .docx or .json";

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kTxt:
      return "txt";
    case Format::kMd:
      return "md";
    case Format::kHtml:
      return "html";
    case Format::kPdf:
      // doc->encoding stays "": PDF text comes from font maps, not a byte encoding.
      return "pdf";
    case Format::kCsv:
      return "csv";
    case Format::kTsv:
      return "tsv";
    case Format::kDocx:
      return "docx";
    case Format::kJson:
      return "json";
  }
  return "txt";
}

std::optional<Format> FormatFromExtension(std::string_view ext) {
  const std::string e = AsciiLower(ext);
  if (e == "txt" || e == "text") return Format::kTxt;
  if (e == "md" || e == "markdown") return Format::kMd;
  if (e == "html" || e == "htm") return Format::kHtml;
  if (e == "pdf") return Format::kPdf;
  if (e == "csv") return Format::kCsv;
  if (e == "tsv") return Format::kTsv;
  if (e == "docx") return Format::kDocx;
  if (e == "json") return Format::kJson;
  return std::nullopt;
}

std::optional<Format> FormatFromMime(std::string_view mime) {
  if (mime == "text/plain") return Format::kTxt;
  if (mime == "text/markdown" || mime == "text/x-markdown") return Format::kMd;
  if (mime == "text/html" || mime == "application/xhtml+xml") return Format::kHtml;
  if (mime == "application/pdf") return Format::kPdf;
  if (mime == "text/csv" || mime == "application/csv") return Format::kCsv;
  if (mime == "text/tab-separated-values") return Format::kTsv;
  if (mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") {
    return Format::kDocx;
  }
  if (mime == "application/json") return Format::kJson;
  return std::nullopt;
}

// The extension of the last path component, without the dot ("" if none).
std::string_view Extension(std::string_view filename) {
  const size_t slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  const size_t dot = filename.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : filename.substr(dot + 1);
}

// A user-supplied name made safe to quote in an error message.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

struct ContentType {
  std::string mime;     // lower-case, parameters removed
  std::string charset;  // the charset parameter, if any
};

ContentType ParseContentType(std::string_view value) {
  ContentType type;
  const size_t semicolon = value.find(';');
  type.mime = AsciiLower(TrimSpace(value.substr(0, semicolon)));
  if (semicolon == std::string_view::npos) return type;
  const std::string params = AsciiLower(value.substr(semicolon + 1));
  const size_t at = params.find("charset=");
  if (at == std::string::npos) return type;
  std::string_view charset = std::string_view(params).substr(at + 8);
  charset = charset.substr(0, charset.find(';'));
  charset = TrimSpace(charset);
  if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
    charset = charset.substr(1, charset.size() - 2);
  }
  type.charset = std::string(charset);
  return type;
}

Result<Format> DetectFormat(std::string_view filename, const ContentType& type) {
  const std::string_view ext = Extension(filename);
  if (auto format = FormatFromExtension(ext)) return *format;
  if (auto format = FormatFromMime(type.mime)) return *format;
  if (!ext.empty()) {
    return Unprocessable("files of type ." + Printable(AsciiLower(ext)) + " are not supported; " +
                         std::string(kSupported));
  }
  if (!type.mime.empty()) {
    return Unprocessable("files of type " + Printable(type.mime) + " are not supported; " +
                         std::string(kSupported));
  }
  return Unprocessable("the file type cannot be told from its name or content type; " +
                       std::string(kSupported));
}

// Decodes a text format's bytes and holds the result to the text budget.
Result<std::string> DecodeForParsing(std::string_view bytes, const ContentType& type,
                                     const ParseLimits& limits, ParsedDocument* doc) {
  KILN_ASSIGN_OR_RETURN(std::string text,
                        parse_internal::DecodeTextWithCharset(bytes, type.charset, &doc->encoding));
  if (text.size() > limits.max_text_bytes) {
    return TooLarge("the decoded text is larger than the limit of " +
                    std::to_string(limits.max_text_bytes) + " bytes");
  }
  return text;
}

Status ParseFormat(Format format, std::string_view bytes, const ContentType& type,
                   const ParseLimits& limits, BlockSink* sink, ParsedDocument* doc) {
  switch (format) {
    case Format::kPdf:
      // doc->encoding stays "": PDF text comes from font maps, not a byte encoding.
      return parse_internal::ParsePdf(bytes, sink, &doc->title);
    case Format::kDocx:
      doc->encoding = "utf-8";  // WordprocessingML parts are UTF-8 XML
      return parse_internal::ParseDocx(bytes, limits, sink, &doc->title);
    case Format::kHtml:
      return parse_internal::ParseHtml(bytes, type.charset, sink, &doc->title, &doc->encoding);
    default:
      break;
  }
  KILN_ASSIGN_OR_RETURN(std::string text, DecodeForParsing(bytes, type, limits, doc));
  switch (format) {
    case Format::kMd:
      return parse_internal::ParseMarkdown(text, sink, &doc->title);
    case Format::kCsv:
      return parse_internal::ParseDelimited(text, ',', sink);
    case Format::kTsv:
      return parse_internal::ParseDelimited(text, '\t', sink);
    case Format::kJson:
      return parse_internal::ParseJson(text, sink);
    default:
      return parse_internal::ParseTxt(text, sink);
  }
}

}  // namespace

Result<ParsedDocument> ParseDocument(std::string_view bytes, std::string_view filename,
                                     std::string_view content_type, const ParseLimits& limits) {
  const ContentType type = ParseContentType(content_type);
  KILN_ASSIGN_OR_RETURN(const Format format, DetectFormat(filename, type));
  if (bytes.size() > limits.max_input_bytes) {
    return TooLarge("the file is " + std::to_string(bytes.size()) + " bytes; the limit is " +
                    std::to_string(limits.max_input_bytes) + " bytes");
  }
  if (bytes.empty()) return Unprocessable("the file is empty");

  ParsedDocument doc;
  doc.format = std::string(FormatName(format));
  BlockSink sink(limits.max_text_bytes);
  // Our code does not throw, but containers can run out of memory on a
  // hostile file; that must reach the caller as a Status, not unwind further.
  try {
    KILN_RETURN_IF_ERROR(ParseFormat(format, bytes, type, limits, &sink, &doc));
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("not enough memory to parse the file");
  } catch (const std::length_error&) {
    return TooLarge("the file is too large to parse");
  }
  KILN_RETURN_IF_ERROR(sink.Finish());
  if (sink.blocks().empty()) return Unprocessable("the document contains no text");
  doc.blocks = sink.TakeBlocks();
  return doc;
}

Status CheckSupportedFormat(std::string_view filename, std::string_view content_type) {
  return DetectFormat(filename, ParseContentType(content_type)).status();
}

}  // namespace kiln::rag
