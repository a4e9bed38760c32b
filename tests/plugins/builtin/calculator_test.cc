// The calculator's parser over what people type, its errors, and hostile
// input (random strings, deep nesting, huge input) that must neither crash
// nor hang.
#include "plugins/builtin/calculator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

namespace kiln::plugins {
namespace {

TEST(Calculator, Values) {
  const std::pair<const char*, double> cases[] = {
      {"1+2", 3},
      {"2 + 3 * 4", 14},
      {"(2 + 3) * 4", 20},
      {"10 - 4 - 3", 3},
      {"100 / 10 / 5", 2},
      {"2^10", 1024},
      {"2**10", 1024},
      {"2^3^2", 512},
      {"-2^2", -4},
      {"(-2)^2", 4},
      {"-3", -3},
      {"+3", 3},
      {"--3", 3},
      {"-(-3)", 3},
      {"3 * -2", -6},
      {"2 ^ -1", 0.5},
      {"7 % 3", 1},
      {"-7 % 3", -1},
      {"15%", 0.15},
      {"200 * 15%", 30},
      {"50% * 50%", 0.25},
      {"1.5e3", 1500},
      {"2E-3", 0.002},
      {".5 + .5", 1},
      {"1,000 + 1", 1001},
      {"1,234,567", 1234567},
      {"sqrt(16)", 4},
      {"sqrt(2)^2", 2.0000000000000004},
      {"abs(-5)", 5},
      {"round(2.5)", 3},
      {"round(3.14159, 2)", 3.14},
      {"round(1234, -2)", 1200},
      {"floor(-1.5)", -2},
      {"ceil(1.2)", 2},
      {"min(3, 1, 2)", 1},
      {"max(3, 1, 2)", 3},
      {"max(7)", 7},
      {"log(e)", 1},
      {"log10(1000)", 3},
      {"ln(1)", 0},
      {"exp(0)", 1},
      {"sin(0)", 0},
      {"cos(0)", 1},
      {"tan(0)", 0},
      {"pi", M_PI},
      {"2 * pi", 2 * M_PI},
      {"e", M_E},
      {"PI", M_PI},
      {"Sqrt(9)", 3},
      {"  1  +  1  ", 2},
      {"１７ × ２３", 391},
      {"１００ ÷ ４", 25},
      {"5 − 3", 2},
      {"（1+2）*3", 9},
      {"17 * 23", 391},
      {"(17 * 23) + 2^3", 399},
      {"((((1))))", 1},
      {"1/3*3", 1},
      {"0.1+0.2", 0.30000000000000004},
      {"2*(3+(4-1))*2", 24},
      {"10/4", 2.5},
      {"3 + 4 * 2 / (1 - 5) ^ 2 ^ 3", 3.0001220703125},
      {"max(1, min(5, 3))", 3},
      {"abs(-2) * -abs(-2)", -4},
      {"100 - 10%", 99.9},
      {"1e2 * 1e-2", 1},
      {"round(2.675, 2)", 2.68},
      {"sqrt(0)", 0},
      {"0^0", 1},
      {"4^0.5", 2},
      {"27^(1/3)", 3},
      {"9 % 4 % 3", 1},
      {"2 * 3 % 4", 2},
      {"1.", 1},
      {"3.0", 3},
      {"12,5", 0} /* replaced below */,
  };
  for (const auto& [text, want] : cases) {
    if (std::string(text) == "12,5") continue;  // not a number: an error, tested below
    Result<double> v = EvaluateExpression(text);
    ASSERT_TRUE(v.ok()) << text << ": " << v.status().ToString();
    EXPECT_NEAR(*v, want, 1e-9 * std::max(1.0, std::fabs(want))) << text;
  }
}

TEST(Calculator, Errors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"1/0", "division by zero"},
      {"5 % 0", "modulo by zero"},
      {"foo(1)", "unknown function 'foo'"},
      {"x + 1", "unknown name 'x'"},
      {"(1 + 2", "unbalanced parenthesis at 1"},
      {"1 + 2)", "unbalanced parenthesis at 6"},
      {"1 +", "ends where a number was expected"},
      {"9^9^9^9", "not finite"},
      {"sqrt(-1)", "negative"},
      {"log(0)", "not positive"},
      {"(-8)^(1/3)", "negative number"},
      {"1 2", "unexpected '2'"},
      {"1..2", "malformed number"},
      {"round()", "one or two"},
      {"sqrt(1, 2)", "one argument"},
      {"max()", "at least one"},
      {"1 $ 2", "unexpected '$'"},
      {"12,5", "unexpected"},
      {"猫+1", "unexpected character"},
  };
  for (const auto& [text, needle] : cases) {
    Result<double> v = EvaluateExpression(text);
    ASSERT_FALSE(v.ok()) << text << " gave " << (v.ok() ? *v : 0);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find(needle), std::string::npos)
        << text << ": " << v.status().message();
  }
}

TEST(Calculator, Format) {
  EXPECT_EQ(FormatNumber(391), "391");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(2.5), "2.5");
  EXPECT_EQ(FormatNumber(1.0 / 3), "0.333333333333");
  EXPECT_EQ(FormatNumber(1e20), "1e+20");
  EXPECT_EQ(FormatNumber(-42), "-42");
}

TEST(Calculator, HostileInputNeverCrashesOrHangs) {
  std::mt19937 rng(11);
  const std::string alphabet = "0123456789.+-*/%^() ,eEpisqrtlogmaxnd";
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    Result<double> v = EvaluateExpression(s);
    if (v.ok()) {
      EXPECT_TRUE(std::isfinite(*v)) << s;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Past the nesting limit: an error, not a stack overflow.
  std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  EXPECT_FALSE(EvaluateExpression(deep).ok());
  std::string minus(5000, '-');
  EXPECT_FALSE(EvaluateExpression(minus + "1").ok());
  std::string nested = std::string(60, '(') + "1" + std::string(60, ')');
  EXPECT_TRUE(EvaluateExpression(nested).ok());  // within the limit
  std::string huge(1000000, '1');
  const auto t = std::chrono::steady_clock::now();
  Result<double> big = EvaluateExpression(huge);
  EXPECT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("longer than 1000"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace kiln::plugins
