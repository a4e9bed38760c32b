// The full-text query builder (the index's own tokens, FTS5 quoting) and
// its planner (the rarest terms within a budget of postings).
#include "rag/fulltext_query.h"

#include <gtest/gtest.h>

namespace kiln::rag {
namespace {

TEST(FullTextQuery, ChineseRunsBecomeBigrams) {
  FullTextQuery q = BuildFullTextQuery("国内大模型发布了多少个？");
  // 11 characters -> 10 bigrams, "？" no term.
  ASSERT_EQ(q.terms.size(), 10u);
  EXPECT_EQ(q.terms[0], "国内");
  EXPECT_EQ(q.terms[3], "模型");
  EXPECT_TRUE(q.substrings.empty());
  EXPECT_EQ(MatchExpression({q.terms[0], q.terms[1]}), "\"国内\" OR \"内大\"");
}

TEST(FullTextQuery, EnglishWordsAndSingleCharacters) {
  FullTextQuery q = BuildFullTextQuery("What is a Vector DB? 检索 AI");
  EXPECT_EQ(q.terms, (std::vector<std::string>{"what", "is", "vector", "db", "检索", "ai"}));
  EXPECT_TRUE(q.substrings.empty());  // "a" is dropped while longer terms exist
  // Only single characters: they are searched by substring.
  FullTextQuery singles = BuildFullTextQuery("猫? a, 1!");
  EXPECT_TRUE(singles.terms.empty());
  EXPECT_EQ(singles.substrings, (std::vector<std::string>{"猫", "a", "1"}));
  EXPECT_TRUE(BuildFullTextQuery("？！。 ,;").empty());
}

TEST(FullTextQuery, TermsAreDistinctQuotedAndCapped) {
  FullTextQuery q = BuildFullTextQuery("say \"hello\" o'brien say");
  EXPECT_EQ(MatchExpression(q.terms), "\"say\" OR \"hello\" OR \"brien\"");
  EXPECT_EQ(MatchExpression({"a\"b"}), "\"a\"\"b\"");
  EXPECT_EQ(MatchExpression({}), "");
  std::string long_query;
  for (int i = 0; i < 200; ++i) long_query += "词语";
  EXPECT_EQ(BuildFullTextQuery(long_query, 10).terms.size(), 2u);  // "词语", "语词"
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word" + std::to_string(i) + " ";
  EXPECT_EQ(BuildFullTextQuery(words, 10).terms.size(), 10u);
}

TEST(TermSample, CountsTheChunksThatHoldATerm) {
  TermSample sample({"大模型的价格战", "大模型的应用", "模型 training", "Training models"});
  EXPECT_EQ(sample.size(), 4u);
  EXPECT_DOUBLE_EQ(sample.Fraction("模型"), 0.75);  // once per chunk, however often
  EXPECT_DOUBLE_EQ(sample.Fraction("大模"), 0.5);
  EXPECT_DOUBLE_EQ(sample.Fraction("training"), 0.5);  // folded
  EXPECT_DOUBLE_EQ(sample.Fraction("价格"), 0.0);      // seen once: no estimate
  EXPECT_DOUBLE_EQ(TermSample().Fraction("模型"), 0.0);
}

TEST(PlanMatch, KeepsTheRarestWithinTheBudget) {
  std::vector<std::string> texts;
  for (int i = 0; i < 100; ++i) {
    std::string t = "common";
    if (i % 2 == 0) t += " half";
    if (i % 10 == 0) t += " tenth";
    if (i % 50 == 0) t += " rare";
    texts.push_back(t);
  }
  TermSample sample(texts);
  const std::vector<std::string> terms = {"common", "half", "rare", "tenth", "unseen"};
  const std::string all = "\"common\" OR \"half\" OR \"rare\" OR \"tenth\" OR \"unseen\"";
  // A small base, or no sample: everything.
  EXPECT_EQ(PlanMatch(terms, &sample, 1000, 8000), all);
  EXPECT_EQ(PlanMatch(terms, nullptr, 1000000, 8000), all);
  // 100k chunks: unseen 0, rare 2k, tenth 10k, half 50k, common 100k postings.
  EXPECT_EQ(PlanMatch(terms, &sample, 100000, 13000), "\"rare\" OR \"tenth\" OR \"unseen\"");
  // Fewer than two fit: the two rarest of the rest must both be there.
  EXPECT_EQ(PlanMatch({"common", "half", "tenth"}, &sample, 100000, 100),
            "(\"tenth\" AND \"half\")");  // rarest first
  EXPECT_EQ(PlanMatch({"common", "half", "rare"}, &sample, 100000, 5000),
            "\"rare\" OR (\"half\" AND \"common\")");
  // One term is what it is.
  EXPECT_EQ(PlanMatch({"common"}, &sample, 100000, 100), "\"common\"");
}

}  // namespace
}  // namespace kiln::rag
