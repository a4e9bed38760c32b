// Plain text and Markdown, including the real Chinese corpus.
#include <gtest/gtest.h>

#include <string>

#include "rag/parse/parse.h"
#include "tests/rag/parse/parse_test_util.h"

namespace kiln::rag {
namespace {

using testing::AllText;
using testing::ExpectBlock;
using testing::Iconv;
using testing::kCorpusDir;
using testing::kCorpusFiles;
using testing::NonWhite;
using testing::ReadFile;

ParsedDocument Parse(std::string_view bytes, std::string_view name) {
  auto doc = ParseDocument(bytes, name, "");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? *doc : ParsedDocument{};
}

TEST(TxtTest, CorpusKeepsEveryNonWhiteCharacter) {
  for (const std::string& file : kCorpusFiles) {
    const auto bytes = ReadFile(std::string(kCorpusDir) + "/" + file);
    ASSERT_TRUE(bytes.has_value()) << "missing corpus file " << kCorpusDir << "/" << file
                                   << " (see /work/shared/corpus/README.md)";
    const ParsedDocument doc = Parse(*bytes, file);
    EXPECT_EQ(doc.format, "txt");
    EXPECT_EQ(doc.encoding, "utf-8");
    // Files with blank lines have several paragraphs; two files have none.
    EXPECT_EQ(doc.blocks.size() > 1, bytes->find("\n\n") != std::string::npos) << file;
    for (const Block& block : doc.blocks) {
      EXPECT_EQ(block.kind, BlockKind::kParagraph);
      EXPECT_FALSE(block.text.empty());
    }
    EXPECT_EQ(NonWhite(AllText(doc)), NonWhite(*bytes)) << file;
  }
}

TEST(TxtTest, Gb18030CorpusFileParsesToTheSameText) {
  const auto bytes = ReadFile(std::string(kCorpusDir) + "/" + kCorpusFiles[1]);
  ASSERT_TRUE(bytes.has_value()) << "missing corpus file " << kCorpusFiles[1];
  const std::string gb = Iconv(*bytes, "UTF-8", "GB18030");
  const ParsedDocument doc = Parse(gb, "report.TXT");
  EXPECT_EQ(doc.encoding, "gb18030");
  EXPECT_EQ(NonWhite(AllText(doc)), NonWhite(*bytes));
}

TEST(TxtTest, ParagraphsSplitOnBlankLines) {
  const ParsedDocument doc =
      Parse("  Annual report\n\nFirst line\nsecond line  \n \n\t\n\n  Last one.  \r\n", "a.txt");
  ASSERT_EQ(doc.blocks.size(), 3u);
  // A short title-like line is still a paragraph: txt has no headings.
  ExpectBlock(doc.blocks[0], BlockKind::kParagraph, "Annual report");
  ExpectBlock(doc.blocks[1], BlockKind::kParagraph, "First line\nsecond line");
  ExpectBlock(doc.blocks[2], BlockKind::kParagraph, "Last one.");
}

TEST(TxtTest, ChinesePunctuationAndIdeographicSpacesAreKept) {
  const std::string text = "\u3000\u3000“你好”，世界！（测试）……——《书名》、；：？·\n\n第二段。";
  const ParsedDocument doc = Parse(text, "cn.text");
  ASSERT_EQ(doc.blocks.size(), 2u);
  EXPECT_EQ(doc.blocks[0].text, "“你好”，世界！（测试）……——《书名》、；：？·");
  EXPECT_EQ(doc.blocks[1].text, "第二段。");
}

TEST(TxtTest, WhitespaceOnlyFileHasNoText) {
  auto doc = ParseDocument(" \n\t\n\u3000 ", "blank.txt", "");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kUnprocessable);
}

constexpr std::string_view kMarkdown = R"(# 项目说明

Intro with **bold**, *em*, `code`, a [link](https://example.com/a_(b)) and
an image ![架构图](img/arch.png) on a second line.

Setext Title
============

Sub title
---------

## 安装 ##

- 第一项
  continued here
* second item with snake_case_name
+ third
1. numbered one
2) numbered two

```python
def f(x):
    return x * 2  # **not bold**
```

~~~
raw ~~~ text
~~~

| 名称 | 数量 | note |
|:-----|-----:|------|
| 苹果 | 3 | fresh |
| 香蕉 |  | \| piped |

> A quoted line, 3~5年, 2 * 3 * 4.

***

###### Deep heading
)";

TEST(MarkdownTest, BlocksOfEveryKind) {
  const ParsedDocument doc = Parse(kMarkdown, "README.md");
  EXPECT_EQ(doc.format, "md");
  const std::vector<Block>& b = doc.blocks;
  ASSERT_EQ(b.size(), 16u) << AllText(doc);
  ExpectBlock(b[0], BlockKind::kHeading, "项目说明", 1);
  ExpectBlock(b[1], BlockKind::kParagraph,
              "Intro with bold, em, code, a link and\nan image 架构图 on a second line.");
  ExpectBlock(b[2], BlockKind::kHeading, "Setext Title", 1);
  ExpectBlock(b[3], BlockKind::kHeading, "Sub title", 2);
  ExpectBlock(b[4], BlockKind::kHeading, "安装", 2);
  ExpectBlock(b[5], BlockKind::kListItem, "第一项\ncontinued here");
  ExpectBlock(b[6], BlockKind::kListItem, "second item with snake_case_name");
  ExpectBlock(b[7], BlockKind::kListItem, "third");
  ExpectBlock(b[8], BlockKind::kListItem, "numbered one");
  ExpectBlock(b[9], BlockKind::kListItem, "numbered two");
  ExpectBlock(b[10], BlockKind::kCode, "def f(x):\n    return x * 2  # **not bold**");
  ExpectBlock(b[11], BlockKind::kCode, "raw ~~~ text");
  ExpectBlock(b[12], BlockKind::kTableRow, "名称: 苹果; 数量: 3; note: fresh");
  ExpectBlock(b[13], BlockKind::kTableRow, "名称: 香蕉; note: | piped");
  ExpectBlock(b[14], BlockKind::kParagraph, "A quoted line, 3~5年, 2 * 3 * 4.");
  ExpectBlock(b[15], BlockKind::kHeading, "Deep heading", 6);
}

TEST(MarkdownTest, InlineMarkupEdgeCases) {
  const ParsedDocument doc = Parse(
      "***both*** and ~~gone~~ and __strong__ and \\*literal\\* and [ref][1] and "
      "unclosed *star and [bracket and `tick\n\n[1]: https://example.com\n",
      "inline.markdown");
  ASSERT_EQ(doc.blocks.size(), 1u) << AllText(doc);
  EXPECT_EQ(doc.blocks[0].text,
            "both and gone and strong and *literal* and ref and unclosed *star and [bracket and "
            "`tick");
}

TEST(MarkdownTest, FrontMatterGivesTheTitle) {
  const ParsedDocument doc =
      Parse("---\ntitle: \"季度报告\"\ntags: [a, b]\n---\n\n正文。\n", "report.md");
  EXPECT_EQ(doc.title, "季度报告");
  ASSERT_EQ(doc.blocks.size(), 1u);
  EXPECT_EQ(doc.blocks[0].text, "正文。");
}

TEST(MarkdownTest, UnclosedFenceRunsToTheEnd) {
  const ParsedDocument doc = Parse("text\n\n```\ncode line\n  indented\n", "x.md");
  ASSERT_EQ(doc.blocks.size(), 2u);
  ExpectBlock(doc.blocks[1], BlockKind::kCode, "code line\n  indented");
}

TEST(MarkdownTest, HeaderOnlyTableKeepsItsText) {
  const ParsedDocument doc = Parse("| a | b |\n|---|---|\n", "t.md");
  ASSERT_EQ(doc.blocks.size(), 1u);
  ExpectBlock(doc.blocks[0], BlockKind::kParagraph, "a; b");
}

TEST(MarkdownTest, CorpusAsMarkdownKeepsEveryNonWhiteCharacter) {
  // Real text with '*', '_' or brackets in it must not lose them unless they
  // really are markup; the corpus has none of that, so nothing may be lost.
  const auto bytes = ReadFile(std::string(kCorpusDir) + "/" + kCorpusFiles[2]);
  ASSERT_TRUE(bytes.has_value()) << "missing corpus file " << kCorpusFiles[2];
  const ParsedDocument doc = Parse(*bytes, "corpus.md");
  EXPECT_EQ(NonWhite(AllText(doc)), NonWhite(*bytes));
}

}  // namespace
}  // namespace kiln::rag
