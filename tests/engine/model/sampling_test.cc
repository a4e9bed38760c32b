#include "engine/sampling.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "engine/generate.h"

namespace kiln::engine {
namespace {

std::vector<float> Logits() { return {1.0f, 3.0f, 2.0f, -1.0f, 0.5f}; }

TEST(Sampler, GreedyTakesTheArgmax) {
  SamplingParams p;
  p.temperature = 0;
  Sampler s(p);
  auto logits = Logits();
  EXPECT_EQ(s.Sample(logits, {}), 1);
}

TEST(Sampler, TopKOfOneIsGreedy) {
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 1;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) {
    auto logits = Logits();
    EXPECT_EQ(s.Sample(logits, {}), 1);
  }
}

TEST(Sampler, SameSeedSameTokens) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0;
  p.seed = 42;
  Sampler a(p), b(p);
  std::vector<int32_t> xs, ys;
  for (int i = 0; i < 100; ++i) {
    auto l1 = Logits(), l2 = Logits();
    xs.push_back(a.Sample(l1, {}));
    ys.push_back(b.Sample(l2, {}));
  }
  EXPECT_EQ(xs, ys);
  std::map<int32_t, int> seen;
  for (int32_t x : xs) ++seen[x];
  EXPECT_GE(seen.size(), 3u) << "temperature 1 over 5 tokens draws more than one of them";
}

TEST(Sampler, DistributionFollowsSoftmax) {
  // Two tokens with logits 0 and ln(3): p = 1/4 and 3/4. Over 20,000 draws the
  // count of the second is 15,000 +- 5 sigma (sigma = sqrt(20000 * 3/16) ~ 61).
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0;
  p.seed = 7;
  Sampler s(p);
  int second = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<float> logits = {0.0f, std::log(3.0f)};
    second += s.Sample(logits, {}) == 1;
  }
  EXPECT_NEAR(second, 15000, 310);
}

TEST(Sampler, TopPAndMinPCutTheTail) {
  // Probabilities ~ {0.665, 0.245, 0.090}: top_p 0.6 keeps only the first.
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 0.6f;
  p.min_p = 0;
  Sampler s(p);
  for (int i = 0; i < 100; ++i) {
    std::vector<float> logits = {2.0f, 1.0f, 0.0f};
    EXPECT_EQ(s.Sample(logits, {}), 0);
  }
  p.top_p = 1.0f;
  p.min_p = 0.5f;  // keeps p >= 0.5 * 0.665: only the first again
  Sampler m(p);
  for (int i = 0; i < 100; ++i) {
    std::vector<float> logits = {2.0f, 1.0f, 0.0f};
    EXPECT_EQ(m.Sample(logits, {}), 0);
  }
}

TEST(Sampler, PenaltiesDiscourageRepeats) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 2.0f;  // 3.0 -> 1.5, below token 2's 2.0
  Sampler s(p);
  auto logits = Logits();
  std::vector<int32_t> history = {1};
  EXPECT_EQ(s.Sample(logits, history), 2);
  p.repetition_penalty = 1.0f;
  p.frequency_penalty = 0.6f;  // two occurrences: 3.0 - 1.2 = 1.8 < 2.0
  Sampler f(p);
  logits = Logits();
  history = {1, 1};
  EXPECT_EQ(f.Sample(logits, history), 2);
  p.frequency_penalty = 0;
  p.presence_penalty = 1.5f;  // once: 3.0 - 1.5 = 1.5 < 2.0
  Sampler pr(p);
  logits = Logits();
  history = {1, 1, 1};
  EXPECT_EQ(pr.Sample(logits, history), 2);
}

TEST(Sampler, RejectsOutOfRangeParams) {
  SamplingParams p;
  p.top_p = 0;
  EXPECT_EQ(ValidateSamplingParams(p).param(), "top_p");
  p = {};
  p.temperature = -1;
  EXPECT_EQ(ValidateSamplingParams(p).param(), "temperature");
  p = {};
  EXPECT_TRUE(ValidateSamplingParams(p).ok());
}

TEST(StopStrings, HoldBackWhatMightBecomeAStop) {
  bool stopped = false;
  std::vector<std::string> stop = {"<|im_end|>", "\nUser:"};
  EXPECT_EQ(SafePrefixLength("Hello", stop, &stopped), 5u);
  EXPECT_FALSE(stopped);
  EXPECT_EQ(SafePrefixLength("Hello <|im", stop, &stopped), 6u);
  EXPECT_EQ(SafePrefixLength("Hello\nUs", stop, &stopped), 5u);
  EXPECT_EQ(SafePrefixLength("Hi<|im_end|>tail", stop, &stopped), 2u);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(SafePrefixLength("你好<", {"<|im_end|>"}, &stopped), 6u) << "bytes, whole characters";
  EXPECT_EQ(SafePrefixLength("abc", {}, &stopped), 3u);
}

}  // namespace
}  // namespace kiln::engine
