// A libFuzzer-style loop as an ordinary test: 5,000 random mutations of a
// valid document (JSON and YAML) through ParseOpenApiText and
// ToolsFromOpenApi, checking the tools that survive. The property is only that nothing crashes,
// hangs or throws; a fixed seed keeps failures reproducible (the failing input is printed).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_documents.h"
#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

// Pieces that make mutations reach deeper than random bytes would.
constexpr const char* kTokens[] = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\n  ",
    "- ",
    "&a ",
    "*a",
    "<<: ",
    "$ref",
    "null",
    "-1e999",
    "true",
    "\"#/components/schemas/NewPet\"",
    "#/components/parameters/PetId",
    "~1",
    "\\u0000",
    "nullable",
    "allOf",
    "type",
    "\xC3",
    "\xEF\xBF\xBD",
    "{petId}",
    "requestBody",
    "? ",
};

std::string Mutate(std::string text, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t at = rng() % text.size();
    switch (rng() % 6) {
      case 0:  // flip a byte
        text[at] = static_cast<char>(rng() % 256);
        break;
      case 1:  // delete a run
        text.erase(at, 1 + rng() % 16);
        break;
      case 2:  // duplicate a run
        text.insert(at, text.substr(at, 1 + rng() % 64));
        break;
      case 3:  // insert a token
        text.insert(at, kTokens[rng() % std::size(kTokens)]);
        break;
      case 4: {  // swap two runs
        const size_t other = rng() % text.size();
        const size_t n = 1 + rng() % 8;
        std::string a = text.substr(at, n);
        text.replace(at, a.size(), text.substr(other, n));
        break;
      }
      default:  // truncate
        text.resize(at);
        break;
    }
  }
  return text;
}

TEST(OpenApiFuzz, RandomMutationsNeverCrash) {
  std::mt19937 rng(20240611);
  const std::string seeds[] = {openapitest::kPetstoreJson, openapitest::kPetstoreYaml};
  int parsed = 0, converted = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string input = Mutate(seeds[i % 2], rng);
    SCOPED_TRACE(::testing::Message()
                 << "mutation " << i << ": "
                 << json(input).dump(-1, ' ', false, json::error_handler_t::replace));
    Result<json> doc = ParseOpenApiText(input);
    if (!doc.ok()) {
      EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++parsed;
    Result<ToolList> tools = ToolsFromOpenApi(*doc, {}, openapitest::LocalOptions());
    if (!tools.ok()) {
      EXPECT_EQ(tools.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++converted;
    for (const auto& tool : *tools) {
      EXPECT_TRUE(ValidToolName(tool->spec().name));
      EXPECT_TRUE(tool->spec().parameters.is_object());
      (void)tool->spec().parameters.dump();
    }
  }
  // The mutations are mild enough that many documents still parse.
  EXPECT_GT(parsed, 500);
  EXPECT_GT(converted, 100);
}

}  // namespace
}  // namespace kiln::plugins
