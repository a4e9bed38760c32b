// Golden token ids from the reference tokenizers (llama.cpp for SmolLM2 and
// Gemma 3, Hugging Face tokenizers for MiniLM), written by
// scripts/make_tokenizer_fixtures.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/tokenizer/test_models.h"

namespace kiln::engine {
namespace {

class FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, MatchesReferenceIds) {
  const Tokenizer* tok = testing::LoadModelTokenizer(GetParam());
  if (tok == nullptr) GTEST_SKIP() << GetParam() << " is not in " << testing::ModelsDir();
  // KILN_TOKENIZER_FIXTURES_DIR points at other fixtures (a larger random set made offline).
  const char* dir = std::getenv("KILN_TOKENIZER_FIXTURES_DIR");
  std::string text;
  ASSERT_TRUE(testing::ReadFile(
      std::string(dir ? dir : KILN_TOKENIZER_FIXTURES) + "/" + GetParam() + ".json", &text));
  const auto cases = nlohmann::json::parse(text);
  ASSERT_GE(cases.size(), 30u);
  int matched = 0;
  for (const auto& c : cases) {
    const std::string input = c["text"];
    const auto want = c["ids"].get<std::vector<int32_t>>();
    const auto got = tok->Encode(input, c["add_special"], c["parse_special"]);
    EXPECT_EQ(got, want) << "text: \"" << input << "\" add_special=" << c["add_special"]
                         << " parse_special=" << c["parse_special"];
    matched += got == want;
  }
  std::printf("%s: %d of %zu fixture strings match\n", GetParam().c_str(), matched, cases.size());
}

INSTANTIATE_TEST_SUITE_P(Models, FixtureTest, ::testing::Values("smollm2", "gemma3", "minilm"));

}  // namespace
}  // namespace kiln::engine
