// CSV, TSV and JSON: row formatting, quoting, encodings, errors.
#include <gtest/gtest.h>

#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::AllText;
using testing::Iconv;

ParsedDocument Parse(std::string_view bytes, std::string_view name, std::string_view type = "") {
  auto doc = ParseDocument(bytes, name, type);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? *doc : ParsedDocument{};
}

std::vector<std::string> Rows(const ParsedDocument& doc) {
  std::vector<std::string> rows;
  for (const Block& block : doc.blocks) {
    EXPECT_EQ(block.kind, BlockKind::kTableRow) << block.text;
    rows.push_back(block.text);
  }
  return rows;
}

Status ParseError(std::string_view bytes, std::string_view name) {
  auto doc = ParseDocument(bytes, name, "");
  EXPECT_FALSE(doc.ok());
  return doc.ok() ? Status::OK() : doc.status();
}

TEST(CsvTest, QuotesEmbeddedNewlinesAndCrlf) {
  const ParsedDocument doc = Parse(
      "name,quote,city\r\n"
      "Ada,\"She said \"\"hi\"\"\",London\r\n"
      "\"Lovelace, Ada\",\"line one\r\nline two\",\r\n"
      "\r\n"
      "Grace,,\"New York\"\r\n",
      "people.csv");
  EXPECT_EQ(doc.format, "csv");
  EXPECT_EQ(Rows(doc), (std::vector<std::string>{
                           "name: Ada; quote: She said \"hi\"; city: London",
                           "name: Lovelace, Ada; quote: line one\nline two",
                           "name: Grace; city: New York",
                       }));
}

TEST(CsvTest, RaggedRowsAndEmptyHeaderNames) {
  const ParsedDocument doc = Parse("a,,c\n1,2,3,4,5\nx\n", "ragged.csv");
  EXPECT_EQ(Rows(doc), (std::vector<std::string>{
                           "a: 1; column 2: 2; c: 3; column 4: 4; column 5: 5",
                           "a: x",
                       }));
}

TEST(CsvTest, Gb18030Bytes) {
  const std::string gb = Iconv("城市,人口（万）\n北京,2189\n上海,2487\n", "UTF-8", "GB18030");
  ASSERT_FALSE(gb.empty());
  const ParsedDocument doc = Parse(gb, "cities.csv");
  EXPECT_EQ(doc.encoding, "gb18030");
  EXPECT_EQ(Rows(doc), (std::vector<std::string>{"城市: 北京; 人口（万）: 2189",
                                                 "城市: 上海; 人口（万）: 2487"}));
}

TEST(CsvTest, Utf16WithBom) {
  const std::string le = "\xFF\xFE" + Iconv("k,v\n键,值\n", "UTF-8", "UTF-16LE");
  const ParsedDocument doc = Parse(le, "excel-export.csv");
  EXPECT_EQ(doc.encoding, "utf-16le");
  EXPECT_EQ(Rows(doc), std::vector<std::string>{"k: 键; v: 值"});
}

TEST(CsvTest, HeaderOnlyIsAnError) {
  const Status status = ParseError("a,b,c\r\n\r\n", "empty.csv");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(status.message(), "the table has no rows");
}

TEST(CsvTest, UnterminatedQuoteNamesItsLine) {
  const Status status = ParseError("a,b\n1,2\n3,\"never closed\n4,5\n", "bad.csv");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
  EXPECT_NE(status.message().find("line 3"), std::string::npos) << status.message();
}

TEST(CsvTest, ContentTypeSelectsCsv) {
  const ParsedDocument doc = Parse("x,y\n1,2\n", "download", "text/csv; charset=utf-8");
  EXPECT_EQ(doc.format, "csv");
  EXPECT_EQ(Rows(doc), std::vector<std::string>{"x: 1; y: 2"});
}

TEST(TsvTest, TabsAndLiteralQuotes) {
  const ParsedDocument doc =
      Parse("词语\t拼音\t释义\n你好\tnǐ hǎo\t\"hello\", a greeting\n谢谢\txiè xie\t\n", "d.tsv");
  EXPECT_EQ(doc.format, "tsv");
  EXPECT_EQ(Rows(doc), (std::vector<std::string>{
                           "词语: 你好; 拼音: nǐ hǎo; 释义: \"hello\", a greeting",
                           "词语: 谢谢; 拼音: xiè xie",
                       }));
}

TEST(JsonTest, ArrayOfObjectsIsATable) {
  const ParsedDocument doc = Parse(
      R"([{"name": "Ada", "born": 1815, "tags": ["math", "poetry"], "address": {"city": "London",
          "zip": null}, "active": true},
         {"name": "图灵", "born": 1912.5, "tags": [], "notes": ""}])",
      "people.json");
  EXPECT_EQ(doc.format, "json");
  EXPECT_EQ(Rows(doc), (std::vector<std::string>{
                           "name: Ada; born: 1815; tags: math, poetry; address.city: London; "
                           "active: true",
                           "name: 图灵; born: 1912.5",
                       }));
}

TEST(JsonTest, NestedObjectIsOneParagraphPerKey) {
  const ParsedDocument doc = Parse(
      R"({"title": "手册", "server": {"port": 8080, "tls": {"enabled": false}},
          "steps": [{"do": "install"}, {"do": "run"}], "empty": {}})",
      "config.json");
  ASSERT_EQ(doc.blocks.size(), 3u) << AllText(doc);
  for (const Block& block : doc.blocks) EXPECT_EQ(block.kind, BlockKind::kParagraph);
  EXPECT_EQ(doc.blocks[0].text, "title: 手册");
  EXPECT_EQ(doc.blocks[1].text, "server.port: 8080\nserver.tls.enabled: false");
  EXPECT_EQ(doc.blocks[2].text, "steps[0].do: install\nsteps[1].do: run");
}

TEST(JsonTest, MixedArrayAndScalars) {
  const ParsedDocument doc = Parse(R"(["first", {"k": "v"}, 3])", "mixed.json");
  ASSERT_EQ(doc.blocks.size(), 3u);
  EXPECT_EQ(doc.blocks[0].text, "first");
  EXPECT_EQ(doc.blocks[1].text, "k: v");
  EXPECT_EQ(doc.blocks[2].text, "3");
  const ParsedDocument scalar = Parse("\"just a string\"", "s.json");
  ASSERT_EQ(scalar.blocks.size(), 1u);
  EXPECT_EQ(scalar.blocks[0].text, "just a string");
}

TEST(JsonTest, SyntaxErrorNamesTheByte) {
  const Status status = ParseError("{\"a\": 1,, \"b\": 2}", "broken.json");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
  EXPECT_NE(status.message().find("byte 9"), std::string::npos) << status.message();
}

TEST(JsonTest, DeepNestingIsRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const Status status = ParseError(deep, "deep.json");
  EXPECT_EQ(status.code(), StatusCode::kUnprocessable);
}

}  // namespace
}  // namespace kiln::rag
