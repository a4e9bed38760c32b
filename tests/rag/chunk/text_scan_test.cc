#include "rag/chunk/text_scan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln::rag::chunk {
namespace {

using Pieces = std::vector<std::string>;

Pieces Sentences(std::string_view text) {
  Pieces out;
  for (std::string_view piece : CutText(text, FindSentenceCuts(text))) out.emplace_back(piece);
  return out;
}

Pieces Clauses(std::string_view text) {
  Pieces out;
  for (std::string_view piece : CutText(text, FindClauseCuts(text))) out.emplace_back(piece);
  return out;
}

Pieces Atoms(std::string_view text, bool words) {
  Pieces out;
  for (std::string_view atom : SplitAtoms(text, words)) out.emplace_back(atom);
  return out;
}

TEST(SentenceCutsTest, ChineseTerminalsEndSentences) {
  EXPECT_EQ(Sentences("今天下雨。明天晴天！你去吗？我不知道……好吧"),
            (Pieces{"今天下雨。", "明天晴天！", "你去吗？", "我不知道……", "好吧"}));
}

TEST(SentenceCutsTest, ClosingQuotesStayWithTheSentenceThatEnds) {
  EXPECT_EQ(Sentences("他说：“今天天气很好。”然后走了。「真的吗？」她问。"),
            (Pieces{"他说：“今天天气很好。”", "然后走了。", "「真的吗？」", "她问。"}));
  EXPECT_EQ(Sentences("（注意安全！）继续前进。《红楼梦》很好。"),
            (Pieces{"（注意安全！）", "继续前进。", "《红楼梦》很好。"}));
}

TEST(SentenceCutsTest, RunsOfTerminalsStayTogether) {
  EXPECT_EQ(Sentences("真的吗？！当然。。Really?! Yes..."),
            (Pieces{"真的吗？！", "当然。。", "Really?! ", "Yes..."}));
}

TEST(SentenceCutsTest, SemicolonIsAClauseNotASentence) {
  EXPECT_EQ(Sentences("第一，安全；第二，效率。"), (Pieces{"第一，安全；第二，效率。"}));
}

TEST(SentenceCutsTest, EnglishPeriodsThatDoNotEndSentences) {
  EXPECT_EQ(Sentences("Pi is 3.14 today. Use tools, e.g. hammers. Mr. Smith left. J. K. wrote."),
            (Pieces{"Pi is 3.14 today. ", "Use tools, e.g. hammers. ", "Mr. Smith left. ",
                    "J. K. wrote."}));
  EXPECT_EQ(Sentences("See fig. 3 and section 2. It works."),
            (Pieces{"See fig. 3 and section 2. ", "It works."}));
  EXPECT_EQ(Sentences("1. Introduction to it. Next one."),
            (Pieces{"1. Introduction to it. ", "Next one."}));
}

TEST(SentenceCutsTest, EnglishQuotesAndBracketsCloseWithTheSentence) {
  EXPECT_EQ(Sentences("He said \"stop.\" Then he left (quietly.) The end."),
            (Pieces{"He said \"stop.\" ", "Then he left (quietly.) ", "The end."}));
}

TEST(SentenceCutsTest, AsciiQuoteAfterATerminalClosesOnlyWhenOneIsOpen) {
  EXPECT_EQ(Sentences("有接近 300 个。\" 百模大战 \" 早已不是虚言。"),
            (Pieces{"有接近 300 个。", "\" 百模大战 \" 早已不是虚言。"}));
  EXPECT_EQ(Sentences("他说\"好。\"然后走了。"), (Pieces{"他说\"好。\"", "然后走了。"}));
  EXPECT_EQ(Sentences("It's 'done.' Next, 'go.'"), (Pieces{"It's 'done.' ", "Next, 'go.'"}));
}

TEST(SentenceCutsTest, AsciiTerminalBeforeChineseEndsTheSentence) {
  EXPECT_EQ(Sentences("It works!我们继续.下一步"), (Pieces{"It works!", "我们继续.", "下一步"}));
  EXPECT_EQ(Sentences("version1.2发布"), (Pieces{"version1.2发布"}));
}

TEST(SentenceCutsTest, PiecesConcatenateToTheText) {
  const std::string text = "  第一句。 第二句！\n\"Third?\" fourth. Fifth…… ";
  std::string joined;
  for (const std::string& piece : Sentences(text)) joined += piece;
  EXPECT_EQ(joined, text);
}

TEST(ClauseCutsTest, ChineseAndAsciiClausePunctuation) {
  EXPECT_EQ(Clauses("首先，我们需要数据、算力；其次：人才"),
            (Pieces{"首先，", "我们需要数据、", "算力；", "其次：", "人才"}));
  EXPECT_EQ(Clauses("相比,大模型, really; 3,000 at 10:30"),
            (Pieces{"相比,", "大模型, ", "really; ", "3,000 at 10:30"}));
}

TEST(ClauseCutsTest, ClosingQuoteAfterAClauseMarkStaysBefore) {
  EXPECT_EQ(Clauses("他说“好，”然后“走，”"), (Pieces{"他说“好，”", "然后“走，”"}));
}

TEST(ParagraphCutsTest, BlankLinesWithSpacesBetween) {
  const std::string text = "one\ntwo\n\nthree\n \t\nfour\n　\nfive";
  Pieces pieces;
  for (std::string_view p : CutText(text, FindParagraphCuts(text))) pieces.emplace_back(p);
  EXPECT_EQ(pieces, (Pieces{"one\ntwo\n\n", "three\n \t\n", "four\n　\n", "five"}));
}

TEST(LineCutsTest, EveryLineBreak) {
  const std::string text = "a\nb\r\nc";
  Pieces pieces;
  for (std::string_view p : CutText(text, FindLineCuts(text))) pieces.emplace_back(p);
  EXPECT_EQ(pieces, (Pieces{"a\n", "b\r\n", "c"}));
}

TEST(CutTextTest, PunctuationAndSpaceStayAtTheEndOfThePieceBefore) {
  const std::string text = "你好，”。 世界";
  // A cut right after 你好 moves past the punctuation and the space.
  const std::vector<std::string_view> pieces = CutText(text, {6});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], "你好，”。 ");
  EXPECT_EQ(pieces[1], "世界");
}

TEST(CutTextTest, DropsCutsThatLeaveEmptyOrBlankPieces) {
  EXPECT_EQ(CutText("  abc", {1, 2}).size(), 1u);
  EXPECT_EQ(CutText("abc。", {3}).size(), 1u);
  EXPECT_EQ(CutText("abc", {0, 3, 3}).size(), 1u);
}

TEST(SplitAtomsTest, WordsAndWideCharacters) {
  EXPECT_EQ(Atoms("Hello, world! 你好GPT-4o模型", true),
            (Pieces{"Hello, ", "world! ", "你", "好", "GPT-4o", "模", "型"}));
  EXPECT_EQ(Atoms("abc", false), (Pieces{"a", "b", "c"}));
  EXPECT_EQ(Atoms("  lead", true), (Pieces{"  lead"}));
}

TEST(SplitAtomsTest, EmojiSequencesStayWhole) {
  const std::string family = "👨‍👩‍👧";  // ZWJ sequence
  const std::string thumbs = "👍🏽";            // skin tone
  const std::string flag = "🇨🇳";                    // regional indicator pair
  const std::string accented = "e\xCC\x81";         // e + combining acute
  EXPECT_EQ(Atoms(family + thumbs + flag + flag + "中", false),
            (Pieces{family, thumbs, flag, flag, "中"}));
  EXPECT_EQ(Atoms(accented + accented, false), (Pieces{accented, accented}));
}

TEST(TrimSpaceTest, AsciiAndIdeographicSpace) {
  EXPECT_EQ(TrimSpace("　 \n中文 \t　"), "中文");
  EXPECT_EQ(TrimSpace(" \n "), "");
}

}  // namespace
}  // namespace kiln::rag::chunk
