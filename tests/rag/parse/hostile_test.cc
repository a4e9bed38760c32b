// Format detection, limits, and hostile input: empty files, wrong extensions,
// pathological nesting, and a mutation fuzz loop over every format.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "base/utf8.h"
#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::BuildPdf;
using testing::Iconv;
using testing::MakeDocx;

Status ErrorOf(std::string_view bytes, std::string_view name, std::string_view type = "",
               const ParseLimits& limits = {}) {
  auto doc = ParseDocument(bytes, name, type, limits);
  EXPECT_FALSE(doc.ok()) << name;
  return doc.ok() ? Status::OK() : doc.status();
}

TEST(DetectTest, EmptyFileInEveryFormat) {
  for (const char* name :
       {"a.txt", "a.md", "a.html", "a.pdf", "a.csv", "a.tsv", "a.docx", "a.json"}) {
    const Status status = ErrorOf("", name);
    EXPECT_EQ(status.code(), StatusCode::kUnprocessable) << name;
    EXPECT_EQ(status.message(), "the file is empty") << name;
  }
}

TEST(DetectTest, UnsupportedTypesNameTheType) {
  Status status = ErrorOf("MZ\x90", "setup.EXE");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(status.message().rfind("files of type .exe are not supported; use .txt", 0), 0u)
      << status.message();
  status = ErrorOf("x", "blob", "application/octet-stream");
  EXPECT_EQ(status.message().rfind("files of type application/octet-stream are not", 0), 0u)
      << status.message();
  status = ErrorOf("x", "", "");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
}

TEST(DetectTest, ExtensionWinsAndIsCaseInsensitive) {
  auto doc = ParseDocument("# Title", "../../etc/NOTES.Md", "text/plain");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "md");
  EXPECT_EQ(doc->blocks[0].kind, BlockKind::kHeading);
  // An unknown extension falls back to the content type.
  doc = ParseDocument("# Title", "notes.v2", "text/markdown; charset=utf-8");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "md");
  doc = ParseDocument("plain", "C:\\docs\\readme", "TEXT/PLAIN");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "txt");
}

TEST(DetectTest, BytesMustMatchTheExtension) {
  const std::string pdf = BuildPdf({"BT /F1 12 Tf 72 720 Td (x) Tj ET"});
  Status status = ErrorOf(pdf, "report.txt");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(status.message(), "the file is not text: it looks like a PDF document");
  status = ErrorOf(MakeDocx("<w:p/>"), "report.csv");
  EXPECT_EQ(status.message().rfind("the file is not text", 0), 0u) << status.message();
  status = ErrorOf("plain words", "report.docx");
  EXPECT_NE(status.message().find("not a .docx"), std::string::npos) << status.message();
  status = ErrorOf(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image.md");
  EXPECT_EQ(status.message(), "the file is not text: it looks like a PNG image");
}

TEST(LimitsTest, InputSize) {
  ParseLimits limits;
  limits.max_input_bytes = 10;
  EXPECT_EQ(ErrorOf("01234567890", "a.txt", "", limits).code(), StatusCode::kTooLarge);
  EXPECT_TRUE(ParseDocument("0123456789", "a.txt", "", limits).ok());
}

TEST(LimitsTest, DecodedTextSize) {
  ParseLimits limits;
  limits.max_text_bytes = 100;
  EXPECT_EQ(ErrorOf(std::string(200, 'a'), "a.txt", "", limits).code(), StatusCode::kTooLarge);
  // UTF-16 grows when decoded: 60 CJK characters are 122 bytes in, 180 out.
  std::string cjk;
  for (int i = 0; i < 60; ++i) cjk += "字";
  const std::string le = "\xFF\xFE" + Iconv(cjk, "UTF-8", "UTF-16LE");
  ASSERT_EQ(le.size(), 122u);
  EXPECT_EQ(ErrorOf(le, "a.txt", "", limits).code(), StatusCode::kTooLarge);
}

TEST(LimitsTest, TableHeaderAmplificationIsCapped) {
  // A long header repeated on every row would make the output far larger
  // than the file; the text budget stops it.
  ParseLimits limits;
  limits.max_text_bytes = 1 << 20;
  std::string csv = std::string(10000, 'h') + ",b\n";
  for (int i = 0; i < 2000; ++i) csv += "1,2\n";
  EXPECT_EQ(ErrorOf(csv, "wide.csv", "", limits).code(), StatusCode::kTooLarge);
}

// Inputs built to make a naive parser quadratic or recursive must finish fast.
TEST(HostileTest, PathologicalNestingFinishesQuickly) {
  const auto start = std::chrono::steady_clock::now();
  const size_t n = 1 << 20;
  auto repeat = [](std::string_view unit, size_t bytes) {
    std::string s;
    while (s.size() < bytes) s += unit;
    return s;
  };
  const std::pair<std::string, const char*> cases[] = {
      {repeat("[", n), "a.md"},      {repeat("](", n), "a.md"},
      {repeat("*a ", n), "a.md"},    {repeat("`` ` ", n), "a.md"},
      {repeat("![x", n), "a.md"},    {repeat("<a x='", n), "a.html"},
      {repeat("<!--", n), "a.html"}, {repeat("</script", n), "a.html"},
      {repeat("&#x", n), "a.html"},  {repeat("<table><tr><td>", n), "a.html"},
      {repeat("\"", n), "a.csv"},    {repeat("{\"a\":", n), "a.json"},
      {repeat("<li>", n), "a.html"}, {repeat("- ", n), "a.md"},
  };
  for (const auto& [bytes, name] : cases) {
    auto doc = ParseDocument(bytes, name, "");
    if (!doc.ok()) {
      EXPECT_NE(doc.status().code(), StatusCode::kInternal) << name;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
}

bool IsValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (DecodeUtf8(text, &pos) == kReplacementChar && pos - start != 3) return false;
  }
  return true;
}

// Mutates valid files of every format and checks that parsing either
// succeeds with well-formed blocks or fails with a user-facing error.
TEST(HostileTest, MutationFuzz) {
  struct Seed {
    std::string bytes;
    std::string name;
  };
  const std::vector<Seed> seeds = {
      {MakeDocx("<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>标题</w:t></w:r>"
                "</w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc></w:tr>"
                "<w:tr><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"),
       "f.docx"},
      {MakeDocx("<w:p><w:r><w:t>stored 中文</w:t></w:r></w:p>", false, "", "t"), "f.docx"},
      {BuildPdf({"BT /F1 12 Tf 72 720 Td (Hello PDF world) Tj ET"}), "f.pdf"},
      {"name,note\n\"a, b\",\"x\"\"y\"\n中文,2\n", "f.csv"},
      {"k\tv\n1\t2\n", "f.tsv"},
      {R"([{"a": {"b": [1, 2]}, "c": "中文"}, {"a": null}])", "f.json"},
      {"<html><head><title>T</title><script>x</script></head><body><h1>H</h1><p>a &amp; b"
       "</p><table><tr><th>h</th></tr><tr><td>v</td></tr></table><pre> x </pre></body></html>",
       "f.html"},
      {"# T\n\n- a\n- b\n\n```\ncode\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "f.md"},
      {"\xFF\xFE" + Iconv("第一段\n\n第二段", "UTF-8", "UTF-16LE"), "f.txt"},
  };
  const char* names[] = {"f.txt", "f.md", "f.html", "f.pdf", "f.csv", "f.tsv", "f.docx", "f.json"};
  std::mt19937 rng(20240601);
  ParseLimits limits;
  limits.max_text_bytes = 1 << 20;
  limits.max_zip_entry_bytes = 1 << 20;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const Seed& seed = seeds[rng() % seeds.size()];
    std::string bytes = seed.bytes;
    switch (rng() % 5) {
      case 0:  // flip a few bytes
        for (int k = 1 + rng() % 8; k > 0 && !bytes.empty(); --k) {
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        break;
      case 1:  // truncate
        bytes.resize(rng() % (bytes.size() + 1));
        break;
      case 2: {  // insert random bytes
        std::string junk(rng() % 64, '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        bytes.insert(rng() % (bytes.size() + 1), junk);
        break;
      }
      case 3: {  // duplicate a slice
        const size_t from = rng() % bytes.size();
        const size_t length = rng() % (bytes.size() - from + 1);
        bytes.insert(rng() % (bytes.size() + 1), bytes.substr(from, length));
        break;
      }
      default:  // pure random bytes
        bytes.assign(rng() % 512, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        break;
    }
    const std::string name = rng() % 8 == 0 ? names[rng() % 8] : seed.name;
    auto doc = ParseDocument(bytes, name, "", limits);
    if (!doc.ok()) {
      const StatusCode code = doc.status().code();
      EXPECT_TRUE(code == StatusCode::kUnprocessable || code == StatusCode::kTooLarge)
          << doc.status().ToString();
      EXPECT_FALSE(doc.status().message().empty());
      continue;
    }
    EXPECT_FALSE(doc->blocks.empty());
    for (const Block& block : doc->blocks) {
      EXPECT_FALSE(block.text.empty());
      EXPECT_TRUE(IsValidUtf8(block.text)) << name;
      if (block.kind == BlockKind::kHeading) {
        EXPECT_TRUE(block.level >= 1 && block.level <= 6);
      }
    }
  }
}

}  // namespace
}  // namespace kiln::rag
