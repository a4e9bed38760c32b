// HTML: structure, skipped content, entities, tables, charsets, broken markup.
#include <gtest/gtest.h>

#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::AllText;
using testing::ExpectBlock;
using testing::Iconv;

ParsedDocument Parse(std::string_view bytes, std::string_view name = "page.html",
                     std::string_view type = "") {
  auto doc = ParseDocument(bytes, name, type);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? *doc : ParsedDocument{};
}

constexpr std::string_view kPage = R"(<!DOCTYPE html>
<html lang="zh">
<head>
  <meta charset="utf-8">
  <title>  产品 &amp; 服务  </title>
  <style>p { color: red; } .x:after { content: "<p>hidden</p>"; }</style>
  <script>var s = "</p><h1>not a heading</h1>"; if (a < b) {}</script>
</head>
<body>
<!-- a comment with <p>markup</p> -->
<noscript><p>Enable JavaScript</p></noscript>
<template><p>template text</p></template>
<h1 class="t">欢迎
   使用</h1>
<p>Fish &amp; chips &lt;3 &quot;quoted&quot; &#39;single&#39; &nbsp;x&nbsp;y &#20013;&#x6587; &#x1F600; &mdash; &eacute;t&eacute;</p>
<div>First<br>second line<br/>third</div>
<ul><li>one</li><li><p>two</p></li><li>three
<li>four (unclosed)</ul>
<pre>  keep   spaces
    and lines</pre>
<blockquote>引用的话。</blockquote>
<table>
  <caption>价格表</caption>
  <tr><th>名称</th><th>价格</th><th></th></tr>
  <tr><td>苹果</td><td>3 元</td><td>extra</td></tr>
  <tr><td>香蕉</td><td></td></tr>
</table>
<h3>End</h3>
</body>
</html>
)";

TEST(HtmlTest, StructureEntitiesAndSkippedContent) {
  const ParsedDocument doc = Parse(kPage);
  EXPECT_EQ(doc.format, "html");
  EXPECT_EQ(doc.encoding, "utf-8");
  EXPECT_EQ(doc.title, "产品 & 服务");
  const std::vector<Block>& b = doc.blocks;
  ASSERT_EQ(b.size(), 13u) << AllText(doc);
  ExpectBlock(b[0], BlockKind::kHeading, "欢迎 使用", 1);
  ExpectBlock(b[1], BlockKind::kParagraph,
              "Fish & chips <3 \"quoted\" 'single' x y 中文 \xF0\x9F\x98\x80 — été");
  ExpectBlock(b[2], BlockKind::kParagraph, "First\nsecond line\nthird");
  ExpectBlock(b[3], BlockKind::kListItem, "one");
  ExpectBlock(b[4], BlockKind::kListItem, "two");
  ExpectBlock(b[5], BlockKind::kListItem, "three");
  ExpectBlock(b[6], BlockKind::kListItem, "four (unclosed)");
  ExpectBlock(b[7], BlockKind::kCode, "  keep   spaces\n    and lines");
  ExpectBlock(b[8], BlockKind::kParagraph, "引用的话。");
  ExpectBlock(b[9], BlockKind::kParagraph, "价格表");
  ExpectBlock(b[10], BlockKind::kTableRow, "名称: 苹果; 价格: 3 元; column 3: extra");
  ExpectBlock(b[11], BlockKind::kTableRow, "名称: 香蕉");
  ExpectBlock(b[12], BlockKind::kHeading, "End", 3);
  const std::string all = AllText(doc);
  for (std::string_view hidden :
       {"hidden", "not a heading", "markup", "JavaScript", "template text", "color"}) {
    EXPECT_EQ(all.find(hidden), std::string::npos) << hidden;
  }
}

TEST(HtmlTest, TableWithoutThUsesFirstRowAsHeader) {
  const ParsedDocument doc = Parse(
      "<table><tr><td>城市</td><td>人口</td></tr><tr><td>北京</td><td>2189万</td></tr>"
      "<tr><td>上海</td><td>2487万</td></tr></table>");
  ASSERT_EQ(doc.blocks.size(), 2u);
  ExpectBlock(doc.blocks[0], BlockKind::kTableRow, "城市: 北京; 人口: 2189万");
  ExpectBlock(doc.blocks[1], BlockKind::kTableRow, "城市: 上海; 人口: 2487万");
}

TEST(HtmlTest, MetaCharsetGbkIsHonoured) {
  const std::string utf8 =
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">"
      "<title>新闻</title></head><body><p>今天天气很好。</p></body></html>";
  const std::string gb = Iconv(utf8, "UTF-8", "GB18030");
  ASSERT_FALSE(gb.empty());
  const ParsedDocument doc = Parse(gb, "news.htm");
  EXPECT_EQ(doc.encoding, "gb18030");
  EXPECT_EQ(doc.title, "新闻");
  ASSERT_EQ(doc.blocks.size(), 1u);
  EXPECT_EQ(doc.blocks[0].text, "今天天气很好。");
}

TEST(HtmlTest, ContentTypeCharsetIsHonoured) {
  // Two characters only: too little to pass as Chinese without the label.
  const std::string gb = Iconv("<p>好</p>", "UTF-8", "GB18030");
  const ParsedDocument doc = Parse(gb, "page", "text/html; charset=GBK");
  EXPECT_EQ(doc.format, "html");
  ASSERT_EQ(doc.blocks.size(), 1u);
  EXPECT_EQ(doc.blocks[0].text, "好");
}

TEST(HtmlTest, BrokenMarkupIsTolerated) {
  const ParsedDocument doc = Parse(
      "<p>a < b and c > d <p>unclosed <b>bold <i>both</b> text</i>\n"
      "<div title='x > y'>quoted attr</div><p>&unknown; &amp &#xZZ; & done</p></bogus>"
      "<p>tail without end");
  ASSERT_EQ(doc.blocks.size(), 5u) << AllText(doc);
  EXPECT_EQ(doc.blocks[0].text, "a < b and c > d");
  EXPECT_EQ(doc.blocks[1].text, "unclosed bold both text");
  EXPECT_EQ(doc.blocks[2].text, "quoted attr");
  EXPECT_EQ(doc.blocks[3].text, "&unknown; & &#xZZ; & done");
  EXPECT_EQ(doc.blocks[4].text, "tail without end");
}

TEST(HtmlTest, NestedTableInACell) {
  const ParsedDocument doc = Parse(
      "<table><tr><th>k</th><th>v</th></tr><tr><td>outer</td><td>"
      "<table><tr><th>x</th></tr><tr><td>inner</td></tr></table>after</td></tr></table>");
  ASSERT_EQ(doc.blocks.size(), 2u) << AllText(doc);
  ExpectBlock(doc.blocks[0], BlockKind::kTableRow, "x: inner");
  ExpectBlock(doc.blocks[1], BlockKind::kTableRow, "k: outer; v: after");
}

TEST(HtmlTest, PageWithNoTextIsRefused) {
  auto doc = ParseDocument("<html><head><title>t</title><script>x()</script></head></html>",
                           "empty.html", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
}

}  // namespace
}  // namespace kiln::rag
