// llm_bench: prefill and decode speed of one model on this machine, as JSON.
//
//   llm_bench MODEL [--prompt-tokens N] [--gen-tokens N] [--runs N]
//
// The prompt is N tokens of real text (the corpus sentence below, repeated);
// decode is greedy. Each figure is the median over runs; peak RSS is the
// process's maximum resident set (model mapping + KV cache + the rest).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/clock.h"
#include "engine/loaded_model.h"
#include "engine/sampling.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: llm_bench MODEL [--prompt-tokens N] [--gen-tokens N] [--runs N]\n");
    return 2;
  }
  int prompt_tokens = 64, gen_tokens = 32, runs = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--prompt-tokens")
      prompt_tokens = value;
    else if (flag == "--gen-tokens")
      gen_tokens = value;
    else if (flag == "--runs")
      runs = value;
  }
  auto loaded = kiln::engine::LoadModel(argv[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "llm_bench: %s\n", loaded.status().message().c_str());
    return 1;
  }
  auto& m = **loaded;
  std::string text;
  while (static_cast<int>(m.tokenizer->Encode(text, false, false).size()) < prompt_tokens) {
    text +=
        "Small language models run well on ordinary CPUs when their kernels read each "
        "weight once per token. ";
  }
  std::vector<int32_t> prompt = m.tokenizer->Encode(text, false, false);
  prompt.resize(static_cast<size_t>(prompt_tokens));
  std::vector<double> prefill, decode;
  std::vector<float> logits(static_cast<size_t>(m.model->info().n_vocab));
  for (int r = 0; r < runs; ++r) {
    auto cache = m.model->NewCache(prompt_tokens + gen_tokens + 1);
    auto start = kiln::MonoNow();
    if (!m.model->Decode(*cache, prompt, logits.data()).ok()) return 1;
    prefill.push_back(prompt_tokens / kiln::SecondsSince(start));
    start = kiln::MonoNow();
    for (int i = 0; i < gen_tokens; ++i) {
      int32_t next =
          static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      if (!m.model->Decode(*cache, {&next, 1}, logits.data()).ok()) return 1;
    }
    decode.push_back(gen_tokens / kiln::SecondsSince(start));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"engine\": \"kiln\", \"model\": \"%s\", \"prompt_tokens\": %d, \"gen_tokens\": %d, "
      "\"runs\": %d, \"prefill_tokens_per_s\": %.2f, \"decode_tokens_per_s\": %.2f, "
      "\"peak_rss_mb\": %.1f, \"model_file_mb\": %.1f}\n",
      m.model->info().name.c_str(), prompt_tokens, gen_tokens, runs, Median(prefill),
      Median(decode), usage.ru_maxrss / 1024.0, m.file->file_size() / 1048576.0);
  return 0;
}
