// PDF: files written by the test in raw PDF syntax, read through poppler.
#include <gtest/gtest.h>

#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::AllText;
using testing::BuildPdf;

const std::string kPage1 = "BT /F1 12 Tf 72 720 Td (Hello PDF world) Tj ET";
// Two lines 14 points apart, then a second paragraph 200 points lower.
const std::string kPage2 =
    "BT /F1 12 Tf 72 720 Td (First paragraph, line one) Tj 0 -14 Td (and its line two.) Tj ET\n"
    "BT /F1 12 Tf 72 500 Td (Second paragraph \\(escaped parens\\).) Tj ET";

TEST(PdfTest, ExtractsTheTextOfOnePage) {
  auto doc = ParseDocument(BuildPdf({kPage1}), "hello.pdf", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "pdf");
  ASSERT_EQ(doc->blocks.size(), 1u) << AllText(*doc);
  EXPECT_EQ(doc->blocks[0].kind, BlockKind::kParagraph);
  EXPECT_EQ(doc->blocks[0].text, "Hello PDF world");
}

TEST(PdfTest, SplitsPagesAndParagraphs) {
  auto doc = ParseDocument(BuildPdf({kPage1, kPage2}), "two.pdf", "application/pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->blocks.size(), 3u) << AllText(*doc);
  EXPECT_EQ(doc->blocks[0].text, "Hello PDF world");
  EXPECT_EQ(doc->blocks[1].text, "First paragraph, line one\nand its line two.");
  EXPECT_EQ(doc->blocks[2].text, "Second paragraph (escaped parens).");
}

TEST(PdfTest, TitleFromTheInfoDictionary) {
  // Object 6 follows the one page's objects 4 and 5.
  const std::string pdf =
      BuildPdf({kPage1}, "/Info 6 0 R", {"<< /Title (Quarterly Report) /Author (Ada) >>"});
  auto doc = ParseDocument(pdf, "q.pdf", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->title, "Quarterly Report");
}

TEST(PdfTest, ContentTypeSelectsPdf) {
  auto doc = ParseDocument(BuildPdf({kPage1}), "scan", "application/pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "pdf");
}

TEST(PdfTest, NoTextLayerIsExplained) {
  auto doc = ParseDocument(BuildPdf({"", "0 0 m 100 100 l S"}), "scan.pdf", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
  EXPECT_EQ(doc.status().message(), "the PDF has no text layer (scanned pages need OCR)");
}

TEST(PdfTest, EncryptedWithUnknownPasswordIsRefused) {
  // Standard security handler, RC4 40-bit; the /U entry matches no password,
  // so not even the empty user password opens it.
  const std::string encrypt =
      "<< /Filter /Standard /V 1 /R 2 /P -44 "
      "/O <0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF> "
      "/U <FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210> >>";
  const std::string pdf = BuildPdf(
      {kPage1},
      "/Encrypt 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]",
      {encrypt});
  auto doc = ParseDocument(pdf, "secret.pdf", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
  EXPECT_EQ(doc.status().message(), "the PDF is encrypted");
}

TEST(PdfTest, TextNamedPdfIsNotAPdf) {
  auto doc = ParseDocument("Hello, this is plain text.", "notes.pdf", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
  EXPECT_NE(doc.status().message().find("not a PDF"), std::string::npos);
}

TEST(PdfTest, TruncatedPdfIsRefusedNotCrashed) {
  const std::string pdf = BuildPdf({kPage1, kPage2});
  // Cut before the page objects: nothing to recover.
  auto doc = ParseDocument(std::string_view(pdf).substr(0, 120), "cut.pdf", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
  // Any other cut: poppler may recover what is left, or we refuse it.
  for (size_t cut = 5; cut < pdf.size(); cut += 23) {
    auto partial = ParseDocument(std::string_view(pdf).substr(0, cut), "cut.pdf", "");
    if (!partial.ok()) {
      EXPECT_EQ(partial.status().code(), StatusCode::kUnprocessable) << "cut at " << cut;
    }
  }
}

}  // namespace
}  // namespace kiln::rag
