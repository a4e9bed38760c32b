// Helpers shared by the rag/parse tests: reading the sample corpus, charset
// conversion with iconv, and builders that write real .docx (zip) and PDF
// files byte by byte, so the parsers are tested on files made independently
// of them. Header-only: the test target compiles only *_test.cc files.
#pragma once

#include <gtest/gtest.h>
#include <iconv.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "rag/document.h"

namespace kiln::rag::testing {

// One parsed block is what it should be.
inline void ExpectBlock(const Block& block, BlockKind kind, std::string_view text, int level = 0) {
  EXPECT_EQ(block.kind, kind) << block.text;
  EXPECT_EQ(block.text, text);
  EXPECT_EQ(block.level, level) << block.text;
}

inline constexpr const char* kCorpusDir = "/work/shared/corpus";
inline const std::vector<std::string> kCorpusFiles = {
    "000_73048b46281b17ca.txt", "001_8928743e6773b1ab.txt", "002_812e0bac19699bf0.txt",
    "003_4b3626a41216860f.txt", "004_d91e563ab3aa7121.txt"};

inline std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Converts with glibc iconv; "" on failure.
inline std::string Iconv(std::string_view text, const char* from, const char* to) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return "";
  std::string out(text.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(text.data());
  size_t in_left = text.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) return "";
  out.resize(out.size() - out_left);
  return out;
}

// White space as the parsers may trim or re-flow it: ASCII, Unicode spaces,
// ideographic space, zero-width space and BOM.
inline bool IsWhite(uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// The sequence of non-white-space code points of UTF-8 text.
inline std::vector<uint32_t> NonWhite(std::string_view text) {
  std::vector<uint32_t> out;
  for (uint32_t cp : DecodeUtf8(text)) {
    if (!IsWhite(cp)) out.push_back(cp);
  }
  return out;
}

inline std::string AllText(const ParsedDocument& doc) {
  std::string text;
  for (const Block& block : doc.blocks) text += block.text + "\n";
  return text;
}

// Raw deflate (no zlib header), as zip method 8 stores it.
inline std::string DeflateRaw(std::string_view data, int level = 6) {
  z_stream stream{};
  deflateInit2(&stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

struct ZipFile {
  ZipFile(std::string name_in, std::string data_in, bool deflate_in = true)
      : name(std::move(name_in)), data(std::move(data_in)), deflate(deflate_in) {}

  std::string name;
  std::string data;
  bool deflate = true;
  // Overrides of what the central directory declares, for hostile archives.
  std::optional<uint32_t> declared_size;
  std::optional<uint32_t> declared_crc;
  uint16_t flags = 0;
};

inline void Put16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void Put32(std::string* out, uint32_t v) {
  Put16(out, v & 0xFFFF);
  Put16(out, v >> 16);
}

// Writes a zip archive: local headers with data, central directory, EOCD.
inline std::string BuildZip(const std::vector<ZipFile>& files) {
  std::string zip;
  std::string central;
  for (const ZipFile& file : files) {
    const std::string payload = file.deflate ? DeflateRaw(file.data) : file.data;
    const uint32_t crc = file.declared_crc.value_or(static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(file.data.data()), file.data.size())));
    const uint32_t size = file.declared_size.value_or(static_cast<uint32_t>(file.data.size()));
    const uint16_t method = file.deflate ? 8 : 0;
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    Put32(&zip, 0x04034b50);
    Put16(&zip, 20);
    Put16(&zip, file.flags);
    Put16(&zip, method);
    Put32(&zip, 0);  // time and date
    Put32(&zip, crc);
    Put32(&zip, static_cast<uint32_t>(payload.size()));
    Put32(&zip, size);
    Put16(&zip, static_cast<uint32_t>(file.name.size()));
    Put16(&zip, 0);
    zip += file.name + payload;

    Put32(&central, 0x02014b50);
    Put16(&central, 20);
    Put16(&central, 20);
    Put16(&central, file.flags);
    Put16(&central, method);
    Put32(&central, 0);
    Put32(&central, crc);
    Put32(&central, static_cast<uint32_t>(payload.size()));
    Put32(&central, size);
    Put16(&central, static_cast<uint32_t>(file.name.size()));
    Put16(&central, 0);  // extra
    Put16(&central, 0);  // comment
    Put16(&central, 0);  // disk
    Put16(&central, 0);  // internal attributes
    Put32(&central, 0);  // external attributes
    Put32(&central, offset);
    central += file.name;
  }
  const uint32_t central_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  Put32(&zip, 0x06054b50);
  Put16(&zip, 0);
  Put16(&zip, 0);
  Put16(&zip, static_cast<uint32_t>(files.size()));
  Put16(&zip, static_cast<uint32_t>(files.size()));
  Put32(&zip, static_cast<uint32_t>(central.size()));
  Put32(&zip, central_offset);
  Put16(&zip, 0);
  return zip;
}

inline constexpr std::string_view kWordNs =
    "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";

// A .docx holding `body` (the children of <w:body>), plus optional
// styles.xml and a core.xml title.
inline std::string MakeDocx(std::string_view body, bool deflate = true,
                            std::string_view styles = "", std::string_view title = "") {
  std::vector<ZipFile> files;
  files.push_back({"[Content_Types].xml",
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "
                   "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                   "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                   "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
                   "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
                   "</Types>",
                   deflate});
  files.push_back({"word/document.xml",
                   "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document " +
                       std::string(kWordNs) + "><w:body>" + std::string(body) +
                       "</w:body></w:document>",
                   deflate});
  if (!styles.empty()) {
    files.push_back({"word/styles.xml",
                     "<?xml version=\"1.0\"?><w:styles " + std::string(kWordNs) + ">" +
                         std::string(styles) + "</w:styles>",
                     deflate});
  }
  if (!title.empty()) {
    files.push_back({"docProps/core.xml",
                     "<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"x\" "
                     "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>" +
                         std::string(title) + "</dc:title></cp:coreProperties>",
                     deflate});
  }
  return BuildZip(files);
}

// Writes a PDF with one page per content stream, Helvetica as /F1, and a
// cross-reference table with the real byte offsets. `extra_objects` follow
// the pages (numbered from 4 + 2 * pages); `trailer_extra` goes into the
// trailer dictionary.
inline std::string BuildPdf(const std::vector<std::string>& page_contents,
                            std::string_view trailer_extra = "",
                            const std::vector<std::string>& extra_objects = {}) {
  const size_t pages = page_contents.size();
  // Objects: 1 catalog, 2 page tree, 3 font, then per page: page, contents.
  std::vector<std::string> objects;
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (size_t i = 0; i < pages; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (size_t i = 0; i < pages; ++i) {
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
        "<< /F1 3 0 R >> >> /Contents " +
        std::to_string(5 + 2 * i) + " 0 R >>");
    const std::string& content = page_contents[i];
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "\nendstream");
  }
  objects.insert(objects.end(), extra_objects.begin(), extra_objects.end());
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t offset : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof(entry), "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R " +
         std::string(trailer_extra) + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace kiln::rag::testing
