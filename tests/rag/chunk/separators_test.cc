#include "rag/chunk/separators.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "rag/chunk/text_scan.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag::chunk {
namespace {

using Pieces = std::vector<std::string>;
using rag::chunk_test::Repeat;

SeparatorSet MustCompile(std::vector<Separator> separators) {
  Result<SeparatorSet> set = SeparatorSet::Compile(separators);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return std::move(set).value();
}

Pieces Cut(const SeparatorSet& set, std::string_view text) {
  RegexBudget budget;
  Result<std::vector<size_t>> cuts = set.FindCuts(text, &budget);
  EXPECT_TRUE(cuts.ok()) << cuts.status().ToString();
  Pieces out;
  for (std::string_view piece : CutText(text, cuts.value())) out.emplace_back(piece);
  return out;
}

Status CompileStatus(std::string pattern, bool regex = true) {
  return SeparatorSet::Compile({Separator{std::move(pattern), regex}}).status();
}

TEST(SeparatorTest, LiteralDelimiterEndsThePieceBeforeIt) {
  const SeparatorSet set = MustCompile({{"\n\n", false}});
  EXPECT_EQ(Cut(set, "一段。\n\n二段。\n\n三段。"), (Pieces{"一段。\n\n", "二段。\n\n", "三段。"}));
  const SeparatorSet semicolons = MustCompile({{"；", false}});
  EXPECT_EQ(Cut(semicolons, "甲；乙；丙"), (Pieces{"甲；", "乙；", "丙"}));
}

TEST(SeparatorTest, LiteralAtLineStartBeginsTheNextPiece) {
  const SeparatorSet set = MustCompile({{"###", false}});
  EXPECT_EQ(Cut(set, "intro\n### One\nbody ### inline\n### Two"),
            (Pieces{"intro\n", "### One\nbody ### ", "inline\n", "### Two"}));
}

TEST(SeparatorTest, RegexArticleMarkersStartTheirPieces) {
  const SeparatorSet set = MustCompile({{"第[一二三四五六七八九十]+条", true}});
  // One article per line.
  EXPECT_EQ(Cut(set, "第一条 总则。\n第二条 适用范围。\n第十二条 附则。"),
            (Pieces{"第一条 总则。\n", "第二条 适用范围。\n", "第十二条 附则。"}));
  // All on one line: a marker after a sentence end starts a sentence.
  EXPECT_EQ(Cut(set, "第一条 总则。本办法适用于……第二条 定义：第三条 附则"),
            (Pieces{"第一条 总则。本办法适用于……", "第二条 定义：", "第三条 附则"}));
}

TEST(SeparatorTest, RegexInsideASentenceEndsThePieceBeforeIt) {
  const SeparatorSet set = MustCompile({{"第[一二三四五六七八九十]+条", true}});
  EXPECT_EQ(Cut(set, "第一条 依照本办法第三条规定执行。"),
            (Pieces{"第一条 依照本办法第三条", "规定执行。"}));
}

TEST(SeparatorTest, RegexClassesMatchCharactersNotBytes) {
  // As bytes, [。！] would match single bytes inside other characters.
  const SeparatorSet set = MustCompile({{"[。！]", true}});
  const Pieces pieces = Cut(set, "你好！世界。再见");
  EXPECT_EQ(pieces, (Pieces{"你好！", "世界。", "再见"}));
  const SeparatorSet dot = MustCompile({{"条.", true}});
  EXPECT_EQ(Cut(dot, "甲条款乙"), (Pieces{"甲条款", "乙"}));
}

TEST(SeparatorTest, LookaheadCutsBeforeTheMatch) {
  const SeparatorSet set = MustCompile({{"(?=Article \\d+)", true}});
  EXPECT_EQ(Cut(set, "Intro text Article 1 first Article 2 second"),
            (Pieces{"Intro text ", "Article 1 first ", "Article 2 second"}));
}

TEST(SeparatorTest, CaretMatchesAtLineStartsAcrossWindows) {
  const SeparatorSet set = MustCompile({{"^Chapter \\d+", true}});
  std::string text;
  for (int i = 1; i <= 40; ++i)
    text += "Chapter " + std::to_string(i) + " " + Repeat("x", i) + "\n";
  const Pieces pieces = Cut(set, text);
  ASSERT_EQ(pieces.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(pieces[i].rfind("Chapter " + std::to_string(i + 1) + " ", 0), 0u) << pieces[i];
  }
  // Not at a line start: no match.
  EXPECT_EQ(Cut(set, "see Chapter 3 above").size(), 1u);
}

TEST(SeparatorTest, MatchesStraddlingWindowEdgesAreFound) {
  const SeparatorSet set = MustCompile({{"MARK", true}});
  for (size_t pad = 55; pad < 75; ++pad) {
    const std::string text = Repeat("a", pad) + "MARK" + Repeat("b", 100) + "MARK" + "c";
    EXPECT_EQ(Cut(set, text), (Pieces{Repeat("a", pad) + "MARK", Repeat("b", 100) + "MARK", "c"}))
        << pad;
  }
}

TEST(SeparatorTest, SeveralSeparatorsTogether) {
  const SeparatorSet set = MustCompile({{"---", false}, {"Q\\d+:", true}});
  EXPECT_EQ(Cut(set, "Q1: first.\nQ2: second---third"),
            (Pieces{"Q1: first.\n", "Q2: second---", "third"}));
}

TEST(SeparatorTest, RefusesBadSeparators) {
  EXPECT_EQ(CompileStatus("", false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompileStatus(std::string(201, 'x'), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompileStatus("\xE4\xB8", false).code(), StatusCode::kInvalidArgument);
  const Status bad = CompileStatus("第([一二]条");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.param(), "separators");
  EXPECT_NE(bad.message().find("not a valid regex"), std::string::npos) << bad.message();
  EXPECT_EQ(CompileStatus("x*").code(), StatusCode::kInvalidArgument);  // matches ""
  std::vector<Separator> many(33, Separator{"x", false});
  EXPECT_EQ(SeparatorSet::Compile(many).status().param(), "separators");
}

TEST(RegexCostTest, RefusesShapesThatBacktrackWithoutBound) {
  for (const char* pattern : {"(a|b)*c", "(a+)+b", "(?:x|y){2,}z", "((ab)*)+", "(\\w+\\s?)*$",
                              "(a)\\1", "a*b*c*d", "a+a+a+"}) {
    const Status status = CompileStatus(pattern);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << pattern;
    EXPECT_EQ(status.param(), "separators") << pattern;
  }
}

TEST(RegexCostTest, AcceptsOrdinarySeparators) {
  for (const char* pattern :
       {"第[一二三四五六七八九十百零]+条", "^#{1,3} ", "Article \\d+", "[ab]*c", "\\n{2,}",
        "(第.条)", "(ab)+", "^\\d+\\.\\s", "(x|y)?z", "[。！？]", "Chapter [IVX]+", "a*b*c"}) {
    EXPECT_TRUE(CompileStatus(pattern).ok())
        << pattern << ": " << CompileStatus(pattern).ToString();
  }
}

TEST(RegexCostTest, HostileInputFinishesOrIsRefusedWithinASecond) {
  const std::string text(1 << 20, 'a');
  // The classic is refused before any matching.
  EXPECT_EQ(CompileStatus("(a|b)*c").code(), StatusCode::kInvalidArgument);
  // Its class form is accepted, and quadratic on a run of a's: the windows
  // keep the stack shallow and the budget stops it.
  const SeparatorSet set = MustCompile({{"[ab]*c", true}});
  const auto start = std::chrono::steady_clock::now();
  RegexBudget budget;
  Result<std::vector<size_t>> cuts = set.FindCuts(text, &budget);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0);
  if (!cuts.ok()) {
    EXPECT_EQ(cuts.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(cuts.status().param(), "separators");
  }
}

TEST(RegexCostTest, OrdinaryRegexOnAMegabyteIsFast) {
  std::string text;
  while (text.size() < (1 << 20)) text += "第十条 本办法自发布之日起施行，解释权归本单位所有。\n";
  const SeparatorSet set = MustCompile({{"第[一二三四五六七八九十]+条", true}});
  const auto start = std::chrono::steady_clock::now();
  RegexBudget budget;
  Result<std::vector<size_t>> cuts = set.FindCuts(text, &budget);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(cuts.ok()) << cuts.status().ToString();
  EXPECT_GT(cuts->size(), 10000u);
  EXPECT_LT(seconds, 0.5);
}

}  // namespace
}  // namespace kiln::rag::chunk
