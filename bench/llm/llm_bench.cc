// llm_bench: Kiln's executor speed on one model and this machine's read
// bandwidth, as one JSON object on stdout.
//
//   llm_bench MODEL [--decode-prompt 16] [--decode-tokens 128] [--prefill-tokens 512]
//                   [--runs 5] [--no-bandwidth]
//   llm_bench --bandwidth          (the bandwidth figures alone, no model)
//
// The two speeds, as the issue defines them, each the median over --runs:
//   decode:  a --decode-prompt prompt is run untimed, then --decode-tokens
//            greedy steps are timed (tokens/s of the steps alone);
//   prefill: one --prefill-tokens prompt into a fresh cache, timed.
// Prompts are real text (the sentence below, repeated). Threads come from
// KILN_THREADS through WorkerPool::Default().
//
// Memory: peak_rss_mb is the process's high-water resident set while the
// model ran (mapped weights + KV cache + the rest), read before the bandwidth
// buffers exist. kv_cache_mb is the largest cache used (the prefill one).
//
// Bandwidth: the threads the executor uses sum a buffer with wide loads, best
// of 5 passes. dram_read_gbps reads 2 GiB (far past any cache);
// l3_read_gbps reads 32 MiB (cache-resident); working_set_read_gbps reads a
// buffer as large as one decode step's weights, the ceiling that actually
// applies to this model. The CPU reports a 480 MiB L3, but reads fall to
// DRAM speed beyond roughly 64-100 MiB on this VM, so a model of ~90 MB sits
// on the edge. bandwidth_fraction = decode tokens/s * weight bytes per token /
// dram_read_gbps, as the issue asks.
#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "engine/loaded_model.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/types.h"

namespace {

using kiln::engine::LoadedModel;
using kiln::kernels::cpu::Isa;
using Json = nlohmann::json;

struct Options {
  std::string model;
  int decode_prompt = 16;
  int decode_tokens = 128;
  int prefill_tokens = 512;
  int runs = 5;
  bool bandwidth = true;        // measure and report the bandwidth fields
  bool bandwidth_only = false;  // --bandwidth: no model
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

// ---- read bandwidth ----

// Sum of the 64-bit words of p[0, bytes), bytes a multiple of 128. Four
// independent accumulators keep enough loads in flight to saturate the
// memory system; the sum only keeps the compiler from dropping the reads.
__attribute__((target("avx2"))) uint64_t SumAvx2(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// The same for CPUs without AVX2 (the compiler vectorises it with SSE2).
uint64_t SumPlain(const uint8_t* p, size_t bytes) {
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i < bytes / 8; i += 4) {
    s0 += w[i];
    s1 += w[i + 1];
    s2 += w[i + 2];
    s3 += w[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

// GB/s (1e9 bytes) that `threads` threads reach reading a `bytes` buffer,
// each its own contiguous slice, best of 5 passes. Small buffers are read
// several times per pass so that a pass lasts long enough to time.
double ReadBandwidthGbps(size_t bytes, int threads) {
  const size_t slice = bytes / threads / 128 * 128;
  bytes = slice * threads;
  // [bytes] u8, every page written before timing.
  std::vector<uint64_t> buffer(bytes / 8, 0x0101010101010101ull);
  const auto* base = reinterpret_cast<const uint8_t*>(buffer.data());
  const int reps = static_cast<int>(std::max<size_t>(1, (size_t{1} << 30) / bytes));
  const bool avx2 = kiln::kernels::cpu::DetectedIsa() >= Isa::kAvx2;
  std::atomic<uint64_t> sink{0};
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    auto start = kiln::MonoNow();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const uint8_t* p = base + static_cast<size_t>(t) * slice;
        uint64_t sum = 0;
        for (int r = 0; r < reps; ++r) sum += avx2 ? SumAvx2(p, slice) : SumPlain(p, slice);
        sink += sum;
      });
    }
    for (auto& w : workers) w.join();
    best = std::min(best, kiln::SecondsSince(start));
  }
  if (sink.load() == 42) std::fprintf(stderr, " ");  // keeps the sums alive
  return static_cast<double>(bytes) * reps / best / 1e9;
}

Json BandwidthJson(int threads, size_t working_set_bytes) {
  Json j;
  j["dram_read_gbps"] = ReadBandwidthGbps(size_t{2} << 30, threads);
  j["dram_buffer_mib"] = 2048;
  j["l3_read_gbps"] = ReadBandwidthGbps(size_t{32} << 20, threads);
  j["l3_buffer_mib"] = 32;
  if (working_set_bytes > 0) {
    j["working_set_read_gbps"] = ReadBandwidthGbps(working_set_bytes, threads);
  }
  return j;
}

// ---- the model ----

// Bytes of weights one decode step reads: every tensor but the token
// embedding, of which one row is read -- unless the file has no
// output.weight, in which case the embedding is also the output matrix and
// is read in full. (Norm vectors are included; they are a few KB.)
size_t WeightBytesPerToken(const kiln::engine::GgufFile& file) {
  const bool tied = file.FindTensor("output.weight") == nullptr;
  size_t total = 0;
  for (const auto& t : file.tensors()) {
    if (t.name != "token_embd.weight") {
      total += t.nbytes;
    } else {
      total += tied ? t.nbytes : kiln::kernels::RowBytes(t.type, t.dims[0]);
    }
  }
  return total;
}

std::vector<int32_t> Prompt(const LoadedModel& m, int n) {
  std::string text;
  while (static_cast<int>(m.tokenizer->Encode(text, false, false).size()) < n) {
    text +=
        "Small language models run well on ordinary CPUs when their kernels read each "
        "weight once per token. ";
  }
  std::vector<int32_t> tokens = m.tokenizer->Encode(text, false, false);
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void DecodeOrDie(const LoadedModel& m, kiln::engine::KvCache& cache,
                 std::span<const int32_t> tokens, float* logits) {
  auto status = m.model->Decode(cache, tokens, logits);
  if (!status.ok()) {
    std::fprintf(stderr, "llm_bench: decode failed: %s\n", status.message().c_str());
    std::exit(1);
  }
}

// Tokens/s of `steps` greedy steps after an untimed `prompt`.
double TimeDecode(const LoadedModel& m, const std::vector<int32_t>& prompt, int steps) {
  std::vector<float> logits(static_cast<size_t>(m.model->info().n_vocab));
  auto cache = m.model->NewCache(static_cast<int64_t>(prompt.size()) + steps);
  DecodeOrDie(m, *cache, prompt, logits.data());
  auto start = kiln::MonoNow();
  for (int i = 0; i < steps; ++i) {
    int32_t next = Argmax(logits);
    DecodeOrDie(m, *cache, {&next, 1}, logits.data());
  }
  return steps / kiln::SecondsSince(start);
}

// Tokens/s of one prompt into a fresh cache; *cache_bytes = that cache's size.
double TimePrefill(const LoadedModel& m, const std::vector<int32_t>& prompt, size_t* cache_bytes) {
  std::vector<float> logits(static_cast<size_t>(m.model->info().n_vocab));
  auto cache = m.model->NewCache(static_cast<int64_t>(prompt.size()));
  auto start = kiln::MonoNow();
  DecodeOrDie(m, *cache, prompt, logits.data());
  const double seconds = kiln::SecondsSince(start);
  *cache_bytes = cache->bytes();  // the pages the prompt filled
  return static_cast<double>(prompt.size()) / seconds;
}

int RunModel(const Options& opt) {
  const int threads = kiln::kernels::cpu::WorkerPool::Default().threads();
  auto load_start = kiln::MonoNow();
  auto loaded = kiln::engine::LoadModel(opt.model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "llm_bench: %s\n", loaded.status().message().c_str());
    return 1;
  }
  const double load_s = kiln::SecondsSince(load_start);
  const LoadedModel& m = **loaded;
  const std::vector<int32_t> decode_prompt = Prompt(m, opt.decode_prompt);
  const std::vector<int32_t> prefill_prompt = Prompt(m, opt.prefill_tokens);

  // Warm-up, untimed: faults the mapped weights in and starts the workers.
  TimeDecode(m, decode_prompt, 2);
  std::vector<double> decode, prefill;
  size_t kv_bytes = 0;
  for (int r = 0; r < opt.runs; ++r) {
    size_t bytes = 0;
    prefill.push_back(TimePrefill(m, prefill_prompt, &bytes));
    kv_bytes = std::max(kv_bytes, bytes);
    decode.push_back(TimeDecode(m, decode_prompt, opt.decode_tokens));
  }
  const double peak_rss_mb = PeakRssMb();
  const size_t weight_bytes = WeightBytesPerToken(*m.file);

  Json j;
  j["engine"] = "kiln";
  j["model"] = m.model->info().name;
  j["arch"] = m.model->info().arch;
  j["isa"] = std::string(kiln::kernels::cpu::IsaName(kiln::kernels::cpu::ActiveIsa()));
  j["threads"] = threads;
  j["runs"] = opt.runs;
  j["decode_prompt_tokens"] = opt.decode_prompt;
  j["decode_tokens"] = opt.decode_tokens;
  j["prefill_tokens"] = opt.prefill_tokens;
  j["decode_tokens_per_s"] = Median(decode);
  j["prefill_tokens_per_s"] = Median(prefill);
  j["decode_runs"] = decode;
  j["prefill_runs"] = prefill;
  j["load_s"] = load_s;
  j["peak_rss_mb"] = peak_rss_mb;
  j["model_file_mb"] = m.file->file_size() / 1048576.0;
  j["kv_cache_mb"] = kv_bytes / 1048576.0;
  j["weight_bytes_per_token"] = weight_bytes;
  if (opt.bandwidth) {
    Json bw = BandwidthJson(threads, weight_bytes);
    const double bytes_per_s = Median(decode) * static_cast<double>(weight_bytes);
    j.update(bw);
    j["bandwidth_fraction"] = bytes_per_s / (bw["dram_read_gbps"].get<double>() * 1e9);
    j["working_set_bandwidth_fraction"] =
        bytes_per_s / (bw["working_set_read_gbps"].get<double>() * 1e9);
  }
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

bool ParseArgs(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--bandwidth") {
      opt->bandwidth_only = true;
    } else if (flag == "--no-bandwidth") {
      opt->bandwidth = false;
    } else if (flag.starts_with("--") && i + 1 < argc) {
      int value = std::atoi(argv[++i]);
      if (value <= 0) return false;
      if (flag == "--decode-prompt") {
        opt->decode_prompt = value;
      } else if (flag == "--decode-tokens") {
        opt->decode_tokens = value;
      } else if (flag == "--prefill-tokens") {
        opt->prefill_tokens = value;
      } else if (flag == "--runs") {
        opt->runs = value;
      } else {
        return false;
      }
    } else if (!flag.starts_with("--") && opt->model.empty()) {
      opt->model = flag;
    } else {
      return false;
    }
  }
  return opt->bandwidth_only || !opt->model.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseArgs(argc, argv, &opt)) {
    std::fprintf(stderr,
                 "usage: llm_bench MODEL [--decode-prompt N] [--decode-tokens N] "
                 "[--prefill-tokens N] [--runs N] [--no-bandwidth]\n"
                 "       llm_bench --bandwidth\n");
    return 2;
  }
  if (opt.bandwidth_only) {
    const int threads = kiln::kernels::cpu::WorkerPool::Default().threads();
    Json j = BandwidthJson(threads, 0);
    j["threads"] = threads;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  return RunModel(opt);
}
