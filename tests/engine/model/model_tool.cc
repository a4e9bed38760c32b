// model_tool: drives a model on given token ids, for comparisons with a
// reference implementation (bench/llm/compare_reference.py).
//
//   model_tool logits MODEL OUT.f32 TOKEN...   first-step logits as raw float32
//   model_tool greedy MODEL N TOKEN...         N greedy tokens, one line of ids
//   model_tool tokenize MODEL TEXT             ids of TEXT (special tokens parsed)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/generate.h"
#include "engine/loaded_model.h"

namespace {

using kiln::engine::LoadModel;

int Fail(const std::string& message) {
  std::fprintf(stderr, "model_tool: %s\n", message.c_str());
  return 1;
}

std::vector<int32_t> Ids(int argc, char** argv, int first) {
  std::vector<int32_t> ids;
  for (int i = first; i < argc; ++i) ids.push_back(static_cast<int32_t>(std::atol(argv[i])));
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Fail("usage: model_tool logits|greedy|tokenize MODEL ...");
  std::string command = argv[1];
  auto loaded = LoadModel(argv[2]);
  if (!loaded.ok()) return Fail(loaded.status().message());
  auto& m = **loaded;
  if (command == "tokenize") {
    for (int32_t id : m.tokenizer->Encode(argv[3], /*add_special=*/true, /*parse_special=*/true)) {
      std::printf("%d ", id);
    }
    std::printf("\n");
    return 0;
  }
  if (command == "logits" && argc >= 5) {
    std::vector<int32_t> ids = Ids(argc, argv, 4);
    auto cache = m.model->NewCache(static_cast<int64_t>(ids.size()) + 1);
    std::vector<float> logits(static_cast<size_t>(m.model->info().n_vocab));
    auto st = m.model->Decode(*cache, ids, logits.data());
    if (!st.ok()) return Fail(st.message());
    FILE* out = std::fopen(argv[3], "wb");
    if (out == nullptr) return Fail(std::string("cannot write ") + argv[3]);
    std::fwrite(logits.data(), sizeof(float), logits.size(), out);
    std::fclose(out);
    return 0;
  }
  if (command == "greedy" && argc >= 5) {
    std::vector<int32_t> ids = Ids(argc, argv, 4);
    kiln::engine::GenerateOptions options;
    options.sampling.temperature = 0;
    options.max_tokens = std::atoi(argv[3]);
    options.n_ctx = static_cast<int64_t>(ids.size()) + options.max_tokens + 1;
    auto result = kiln::engine::Generate(*m.model, *m.tokenizer, ids, options);
    if (!result.ok()) return Fail(result.status().message());
    for (int32_t id : result->tokens) std::printf("%d ", id);
    std::printf("\n");
    return 0;
  }
  return Fail("unknown command " + command);
}
