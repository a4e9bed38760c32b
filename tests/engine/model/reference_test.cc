// The real models against fixtures made from reference implementations by
// bench/llm/compare_reference.py: llama.cpp's greedy tokens and first-step
// logits for the chat models, a numpy BERT's embeddings for MiniLM. The model
// files come from scripts/setup; a test is skipped, saying so, if one is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/generate.h"
#include "engine/loaded_model.h"

namespace kiln::engine {
namespace {

using nlohmann::json;

std::string ModelsDir() {
  const char* cache = std::getenv("KILN_CACHE");
  const char* home = std::getenv("HOME");
  return (cache && *cache ? std::string(cache) : std::string(home ? home : ".") + "/.cache/kiln") +
         "/models/";
}

json Fixture(const std::string& name) {
  std::ifstream in(std::string(KILN_SOURCE_DIR) + "/tests/engine/model/fixtures/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

std::unique_ptr<LoadedModel> LoadOrSkip(const std::string& file) {
  std::string path = ModelsDir() + file;
  if (std::ifstream(path).good()) {
    auto loaded = LoadModel(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    if (loaded.ok()) return std::move(loaded).value();
  }
  return nullptr;
}

// Against llama.cpp built without SIMD (ggml's generic kernels plus the SSE2
// paths every x86-64 build has), whose arithmetic Kiln's reference path
// follows step by step: the prompt tokenizes the same, the first step's logits
// are bit-identical at the reference's 32 highest, and 64 greedy tokens match
// token for token.
void CheckChatModel(const std::string& fixture_name) {
  json f = Fixture(fixture_name);
  ASSERT_FALSE(f.is_discarded()) << fixture_name;
  auto m = LoadOrSkip(f["model"]);
  if (m == nullptr) GTEST_SKIP() << f["model"] << " is not in the model cache; run scripts/setup";
  std::vector<int32_t> prompt = f["prompt_tokens"].get<std::vector<int32_t>>();
  EXPECT_EQ(m->tokenizer->Encode(f["prompt"].get<std::string>(), true, true), prompt)
      << "the prompt tokenizes as llama.cpp tokenized it";
  auto cache = m->model->NewCache(static_cast<int64_t>(prompt.size()) + 1);
  std::vector<float> logits(static_cast<size_t>(m->model->info().n_vocab));
  ASSERT_TRUE(m->model->Decode(*cache, prompt, logits.data()).ok());
  double max_diff = 0;
  for (const auto& pair : f["top_logits"]) {
    max_diff = std::max(max_diff, std::abs(logits[pair[0].get<size_t>()] - pair[1].get<double>()));
  }
  EXPECT_EQ(max_diff, 0.0) << "first-step logits at the reference's top tokens";
  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_tokens = 64;
  options.n_ctx = static_cast<int64_t>(prompt.size()) + 65;
  auto result = Generate(*m->model, *m->tokenizer, prompt, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->tokens, f["greedy_tokens"].get<std::vector<int32_t>>());
}

TEST(Reference, SmolLM2GreedyMatchesLlamaCpp) { CheckChatModel("smollm2.json"); }
TEST(Reference, Gemma3GreedyMatchesLlamaCpp) { CheckChatModel("gemma3.json"); }

TEST(Reference, MiniLMEmbeddingsMatchNumpyBert) {
  json f = Fixture("minilm.json");
  ASSERT_FALSE(f.is_discarded());
  auto m = LoadOrSkip("all-minilm-l6-v2-f32.gguf");
  if (m == nullptr) GTEST_SKIP() << "all-minilm-l6-v2-f32.gguf missing; run scripts/setup";
  for (size_t i = 0; i < f["texts"].size(); ++i) {
    std::string text = f["texts"][i];
    std::vector<int32_t> ids = m->tokenizer->Encode(text, true, false);
    EXPECT_EQ(ids, f["token_ids"][i].get<std::vector<int32_t>>()) << text;
    auto embedding = m->model->Embed(ids);
    ASSERT_TRUE(embedding.ok()) << embedding.status().ToString();
    std::vector<float> ref = f["embeddings"][i].get<std::vector<float>>();
    ASSERT_EQ(embedding->size(), ref.size());
    double dot = 0, a = 0, b = 0;
    for (size_t j = 0; j < ref.size(); ++j) {
      dot += (*embedding)[j] * ref[j];
      a += (*embedding)[j] * (*embedding)[j];
      b += ref[j] * ref[j];
    }
    EXPECT_GT(dot / std::sqrt(a * b), 0.999) << text;
  }
}

}  // namespace
}  // namespace kiln::engine
