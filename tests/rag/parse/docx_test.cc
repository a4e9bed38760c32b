// .docx: real archives written by the test (stored and deflated), styles,
// tables, lists; zip bombs and broken archives.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

// Records the largest single allocation while enabled, to show that a zip
// bomb is stopped without allocating what it claims or expands to. The whole
// non-aligned set is replaced, on malloc and free, so that sanitizer builds
// see matching pairs.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};

void* TrackedMalloc(size_t size) noexcept {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(size_t size) {
  if (void* p = TrackedMalloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = TrackedMalloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return TrackedMalloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return TrackedMalloc(size); }
// GCC cannot see that these frees pair with the mallocs above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace kiln::rag {
namespace {

using testing::AllText;
using testing::BuildZip;
using testing::ExpectBlock;
using testing::MakeDocx;
using testing::ZipFile;

std::string Para(std::string_view text, std::string_view ppr = "") {
  return "<w:p>" + (ppr.empty() ? "" : "<w:pPr>" + std::string(ppr) + "</w:pPr>") +
         "<w:r><w:t xml:space=\"preserve\">" + std::string(text) + "</w:t></w:r></w:p>";
}

std::string Styled(std::string_view style, std::string_view text) {
  return Para(text, "<w:pStyle w:val=\"" + std::string(style) + "\"/>");
}

std::string ListItem(std::string_view text) {
  return Para(text, "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr>");
}

std::string Cell(std::string_view text) {
  return "<w:tc><w:tcPr><w:tcW w:w=\"2000\" w:type=\"dxa\"/></w:tcPr>" + Para(text) + "</w:tc>";
}

std::string Row(std::initializer_list<std::string_view> cells) {
  std::string row = "<w:tr>";
  for (std::string_view cell : cells) row += Cell(cell);
  return row + "</w:tr>";
}

const std::string kBody =
    Styled("Title", "年度报告") + Styled("Heading1", "第一章 概述") +
    Para("大模型产业在2024年继续发展，竞争格局趋于稳定。") +
    "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>"
    "<w:r><w:t>A</w:t></w:r><w:r><w:tab/><w:t>B</w:t><w:br/><w:t>C &amp; D &lt;E&gt; "
    "&#x4E2D;&#25991;</w:t></w:r></w:p>" +
    Styled("Heading2", "1.1 要点") + ListItem("算力") + ListItem("数据") + "<w:tbl><w:tblPr/>" +
    Row({"名称", "数量"}) + Row({"模型", "305"}) + Row({"备案", ""}) + "</w:tbl>" + Para("   ") +
    "<w:p/>" + Para("结束。") + "<w:sectPr/>";

void ExpectReport(const ParsedDocument& doc) {
  EXPECT_EQ(doc.format, "docx");
  EXPECT_EQ(doc.title, "2024 年度报告");
  const std::vector<Block>& b = doc.blocks;
  ASSERT_EQ(b.size(), 10u) << AllText(doc);
  ExpectBlock(b[0], BlockKind::kHeading, "年度报告", 1);
  ExpectBlock(b[1], BlockKind::kHeading, "第一章 概述", 1);
  ExpectBlock(b[2], BlockKind::kParagraph, "大模型产业在2024年继续发展，竞争格局趋于稳定。");
  ExpectBlock(b[3], BlockKind::kParagraph, "A\tB\nC & D <E> 中文");
  ExpectBlock(b[4], BlockKind::kHeading, "1.1 要点", 2);
  ExpectBlock(b[5], BlockKind::kListItem, "算力");
  ExpectBlock(b[6], BlockKind::kListItem, "数据");
  ExpectBlock(b[7], BlockKind::kTableRow, "名称: 模型; 数量: 305");
  ExpectBlock(b[8], BlockKind::kTableRow, "名称: 备案");
  ExpectBlock(b[9], BlockKind::kParagraph, "结束。");
}

TEST(DocxTest, DeflatedDocument) {
  auto doc = ParseDocument(MakeDocx(kBody, true, "", "2024 年度报告"), "report.docx", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ExpectReport(*doc);
}

TEST(DocxTest, StoredDocument) {
  auto doc = ParseDocument(MakeDocx(kBody, false, "", "2024 年度报告"), "report.DOCX", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ExpectReport(*doc);
}

TEST(DocxTest, ContentTypeSelectsDocx) {
  auto doc =
      ParseDocument(MakeDocx(Para("hello")), "upload",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "docx");
}

TEST(DocxTest, LocalisedHeadingStylesResolveThroughStylesXml) {
  // Chinese Word names "heading 1" with the style id "1".
  const std::string styles =
      "<w:style w:type=\"paragraph\" w:styleId=\"1\"><w:name w:val=\"heading 1\"/></w:style>"
      "<w:style w:type=\"paragraph\" w:styleId=\"a3\"><w:name w:val=\"My Outline\"/>"
      "<w:pPr><w:outlineLvl w:val=\"2\"/></w:pPr></w:style>"
      "<w:style w:type=\"paragraph\" w:styleId=\"a\"><w:name w:val=\"Normal\"/></w:style>";
  auto doc = ParseDocument(
      MakeDocx(Styled("1", "标题一") + Styled("a3", "大纲三") + Styled("a", "正文"), true, styles),
      "cn.docx", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->blocks.size(), 3u);
  ExpectBlock(doc->blocks[0], BlockKind::kHeading, "标题一", 1);
  ExpectBlock(doc->blocks[1], BlockKind::kHeading, "大纲三", 3);
  ExpectBlock(doc->blocks[2], BlockKind::kParagraph, "正文");
}

TEST(DocxTest, AlternateContentIsReadOnce) {
  const std::string body =
      "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><w:txbxContent>" +
      Para("文本框") +
      "</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>" +
      Para("文本框") +
      "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
      "<w:r><w:t>正文</w:t></w:r></w:p>";
  auto doc = ParseDocument(MakeDocx(body), "box.docx", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->blocks.size(), 2u) << AllText(*doc);
  EXPECT_EQ(doc->blocks[0].text, "文本框");
  EXPECT_EQ(doc->blocks[1].text, "正文");
}

TEST(DocxTest, ZipBombStopsAtTheLimitWithoutAllocatingIt) {
  ParseLimits limits;
  limits.max_zip_entry_bytes = 1 << 20;
  // 32 MiB of XML whitespace inside a paragraph compresses to ~32 KiB.
  const std::string xml = "<w:document><w:body><w:p><w:r><w:t>" + std::string(32 << 20, ' ') +
                          "</w:t></w:r></w:p></w:body></w:document>";
  for (const bool honest : {true, false}) {
    ZipFile file{"word/document.xml", xml};
    if (!honest) file.declared_size = 100;  // claims to be tiny
    const std::string zip = BuildZip({file});
    ASSERT_LT(zip.size(), 1u << 20);
    g_largest_allocation = 0;
    g_track_allocations = true;
    auto doc = ParseDocument(zip, "bomb.docx", "", limits);
    g_track_allocations = false;
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.status().code(), StatusCode::kTooLarge) << doc.status().ToString();
    EXPECT_LT(g_largest_allocation.load(), 4u << 20);
  }
}

TEST(DocxTest, StoredEntryOverTheLimitIsTooLarge) {
  ParseLimits limits;
  limits.max_zip_entry_bytes = 1000;
  auto doc = ParseDocument(MakeDocx(Para(std::string(5000, 'x')), false), "big.docx", "", limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kTooLarge);
}

Status ErrorOf(std::string_view bytes) {
  auto doc = ParseDocument(bytes, "x.docx", "");
  EXPECT_FALSE(doc.ok());
  return doc.ok() ? Status::OK() : doc.status();
}

void ExpectUnprocessable(std::string_view bytes, std::string_view fragment) {
  const Status status = ErrorOf(bytes);
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable) << status.ToString();
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
}

TEST(DocxTest, DamagedArchivesAreRefused) {
  const std::string good = MakeDocx(kBody);
  ExpectUnprocessable("just some text, not a zip", "not a .docx");
  ExpectUnprocessable(BuildZip({{"word/other.xml", "<x/>"}}), "no word/document.xml");

  ZipFile bad_crc{"word/document.xml", "<w:document/>"};
  bad_crc.declared_crc = 1234;
  ExpectUnprocessable(BuildZip({bad_crc}), "CRC");

  ZipFile encrypted{"word/document.xml", "<w:document/>"};
  encrypted.flags = 1;
  ExpectUnprocessable(BuildZip({encrypted}), "encrypted");

  ZipFile zip64{"word/document.xml", "<w:document/>"};
  zip64.declared_size = 0xFFFFFFFF;
  ExpectUnprocessable(BuildZip({zip64}), "ZIP64");

  // Central directory offset pointing past the end of the file.
  std::string moved = good;
  const size_t eocd = moved.size() - 22;
  moved[eocd + 16] = '\xF0';
  moved[eocd + 19] = '\x7F';
  ExpectUnprocessable(moved, "damaged");

  // Local header offset of the first entry pointing past the end.
  std::string wild = BuildZip({{"word/document.xml", "<w:document/>"}});
  const size_t central = wild.find("PK\x01\x02");
  ASSERT_NE(central, std::string::npos);
  wild[central + 45] = '\x7F';
  ExpectUnprocessable(wild, "damaged");

  // Deflate data replaced by garbage.
  std::string garbage = BuildZip({{"word/document.xml", std::string(2000, 'q')}});
  for (size_t i = 30 + 17; i < 30 + 17 + 10; ++i) garbage[i] = '\xFF';
  ExpectUnprocessable(garbage, "damaged");
}

TEST(DocxTest, EveryTruncationIsRefusedCleanly) {
  const std::string good = MakeDocx(kBody, true, "", "title");
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    auto doc = ParseDocument(std::string_view(good).substr(0, cut), "t.docx", "");
    ASSERT_FALSE(doc.ok()) << "cut at " << cut;
    EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable) << doc.status().ToString();
    // Bytes cut from the middle keep the directory but shift every offset.
    const std::string holed = good.substr(0, cut) + good.substr(std::min(cut + 40, good.size()));
    auto holed_doc = ParseDocument(holed, "t.docx", "");
    if (!holed_doc.ok()) {
      EXPECT_EQ(holed_doc.status().code(), StatusCode::kUnprocessable)
          << holed_doc.status().ToString();
    }
  }
}

}  // namespace
}  // namespace kiln::rag
