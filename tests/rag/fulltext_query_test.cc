// The full-text query builder: trigrams for Chinese, words for English,
// substrings for terms too short for the trigram index, FTS5 quoting.
#include "rag/fulltext_query.h"

#include <gtest/gtest.h>

namespace kiln::rag {
namespace {

TEST(FullTextQuery, ChineseRunsBecomeTrigrams) {
  FullTextQuery q = BuildFullTextQuery("国内大模型发布了多少个？");
  EXPECT_EQ(q.match.rfind("\"国内大\" OR \"内大模\"", 0), 0u) << q.match;
  EXPECT_NE(q.match.find("\"大模型\""), std::string::npos);
  EXPECT_EQ(q.match.find("？"), std::string::npos);  // punctuation is no term
  EXPECT_TRUE(q.substrings.empty());
  EXPECT_EQ(q.terms.size(), 9u);  // 11 characters -> 9 trigrams
}

TEST(FullTextQuery, EnglishWordsAndShortTerms) {
  FullTextQuery q = BuildFullTextQuery("What is a Vector DB? 检索 AI");
  EXPECT_EQ(q.match, "\"what\" OR \"vector\"");
  EXPECT_EQ(q.substrings, std::vector<std::string>{"检索"});
  // Only short words: they are searched by substring.
  FullTextQuery short_only = BuildFullTextQuery("AI, go!");
  EXPECT_TRUE(short_only.match.empty());
  EXPECT_EQ(short_only.substrings, (std::vector<std::string>{"ai", "go"}));
  EXPECT_TRUE(BuildFullTextQuery("？！。 ,;").empty());
}

TEST(FullTextQuery, QuotesAreEscapedAndTermsCapped) {
  FullTextQuery q = BuildFullTextQuery("say \"hello\" o'brien");
  EXPECT_EQ(q.match, "\"say\" OR \"hello\" OR \"brien\"");
  std::string long_query;
  for (int i = 0; i < 200; ++i) long_query += "词语";
  FullTextQuery capped = BuildFullTextQuery(long_query, 10);
  // 2 distinct trigrams only ("词语词", "语词语"), so the cap is not reached...
  EXPECT_EQ(capped.terms.size(), 2u);
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word" + std::to_string(i) + " ";
  EXPECT_EQ(BuildFullTextQuery(words, 10).terms.size(), 10u);  // ...here it is
}

}  // namespace
}  // namespace kiln::rag
