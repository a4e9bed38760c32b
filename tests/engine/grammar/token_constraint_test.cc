// The token-level constraint over SmolLM2's real 49,152-token vocabulary:
// sampling from random logits under the mask always ends in a document that
// parses and validates; the lazy mode; and how long a mask takes (printed,
// not asserted: bench/serve measures it against decode time).
#include "engine/grammar/token_constraint.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include "base/json_schema.h"
#include "engine/loaded_model.h"

namespace kiln::engine {
namespace {

using nlohmann::json;

const LoadedModel& Smol() {
  static std::unique_ptr<LoadedModel> m = [] {
    const char* cache = std::getenv("KILN_CACHE");
    const char* home = std::getenv("HOME");
    const std::string dir =
        (cache && *cache ? std::string(cache) : std::string(home ? home : ".") + "/.cache/kiln");
    auto loaded = LoadModel(dir + "/models/smollm2-135m-instruct-q4_1.gguf");
    KILN_CHECK(loaded.ok()) << loaded.status().ToString() << " (run scripts/setup)";
    return std::move(loaded).value();
  }();
  return *m;
}

std::shared_ptr<const TokenVocabulary> Vocab() {
  static auto v = std::make_shared<const TokenVocabulary>(*Smol().tokenizer);
  return v;
}

// Samples from random logits under the constraint; returns the text and the
// mean time of one mask.
std::string RandomDocument(const json& schema, std::mt19937& rng, double* mask_ms, bool* ended) {
  auto grammar = JsonGrammar::Compile(schema);
  KILN_CHECK(grammar.ok());
  JsonTokenConstraint c(Vocab(), *grammar);
  std::vector<float> logits(static_cast<size_t>(Smol().model->info().n_vocab));
  std::normal_distribution<float> noise(0, 3);
  std::string text;
  double total = 0;
  int masks = 0;
  *ended = false;
  for (int step = 0; step < 60; ++step) {
    for (float& l : logits) l = noise(rng);
    const auto start = std::chrono::steady_clock::now();
    c.Mask(logits);
    total +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ++masks;
    const int32_t t =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_TRUE(std::isfinite(logits[static_cast<size_t>(t)]));
    if (Smol().tokenizer->IsEndOfGeneration(t)) {
      *ended = true;
      break;
    }
    text += Smol().tokenizer->TokenBytes(t, false, false);
    c.Accept(t);
    if (c.Done()) {
      *ended = true;
      break;
    }
  }
  *mask_ms = total / masks;
  return text;
}

TEST(JsonTokenConstraint, RandomSamplingUnderTheMaskAlwaysValidates) {
  const json schemas[] = {
      json::parse(R"({"type": "object", "properties": {
          "name": {"type": "string", "maxLength": 12},
          "age": {"type": "integer"},
          "colour": {"enum": ["red", "green", "blue"]},
          "pets": {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 2}},
        "required": ["name", "age", "colour"], "additionalProperties": false})"),
      json::parse(
          R"({"anyOf": [{"type": "boolean"}, {"type": "object", "properties": {"ok": {"type": "null"}}, "required": ["ok"]}]})"),
      json::parse(
          R"({"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 3})")};
  std::mt19937 rng(3);
  int complete = 0;
  double worst_ms = 0;
  for (const json& schema : schemas) {
    for (int trial = 0; trial < 8; ++trial) {
      double ms = 0;
      bool ended = false;
      const std::string text = RandomDocument(schema, rng, &ms, &ended);
      worst_ms = std::max(worst_ms, ms);
      if (!ended) continue;  // ran out of steps inside a long number or string
      ++complete;
      const json doc = json::parse(text, nullptr, false);
      ASSERT_FALSE(doc.is_discarded()) << "[" << text << "] for " << schema.dump();
      const Status st = ValidateJson(doc, schema);
      EXPECT_TRUE(st.ok()) << text << ": " << st.ToString();
    }
  }
  EXPECT_GE(complete, 12);
  std::printf("mean mask time, worst schema: %.3f ms over a %d-token vocabulary\n", worst_ms,
              Vocab()->size());
}

TEST(JsonTokenConstraint, LazyModeTakesOverOnlyForAnObject) {
  auto grammar = *JsonGrammar::Compile(json::parse(
      R"({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})"));
  const Tokenizer& tok = *Smol().tokenizer;
  {
    JsonTokenConstraint c(Vocab(), grammar, /*lazy=*/true);
    for (int32_t t : tok.Encode("Hello there", false, false)) c.Accept(t);
    EXPECT_FALSE(c.active());
    std::vector<float> logits(static_cast<size_t>(tok.n_vocab()), 0.0f);
    c.Mask(logits);  // off: nothing masked
    EXPECT_EQ(std::count(logits.begin(), logits.end(), 0.0f), static_cast<long>(logits.size()));
  }
  {
    JsonTokenConstraint c(Vocab(), grammar, /*lazy=*/true);
    for (int32_t t : tok.Encode(" {\"a\":", false, false)) c.Accept(t);
    EXPECT_TRUE(c.active());
    std::vector<float> logits(static_cast<size_t>(tok.n_vocab()), 0.0f);
    c.Mask(logits);
    const int32_t quote = tok.Encode("\"", false, false)[0];
    const int32_t seven = tok.Encode("7", false, false)[0];
    EXPECT_TRUE(std::isinf(logits[static_cast<size_t>(quote)]));
    EXPECT_EQ(logits[static_cast<size_t>(seven)], 0.0f);
  }
}

}  // namespace
}  // namespace kiln::engine
