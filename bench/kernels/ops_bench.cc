// Google Benchmark of the non-matmul ops (kernels/cpu/ops.h) at the sizes of
// the two bench models, SmolLM2-135M (n_embd 576, n_ff 1536, 9 heads over 3
// KV heads of 64) and Gemma-3-270M (n_embd 640, n_ff 2048, 4 heads over 1 KV
// head of 256).
//
// Names read <Op>/<model or size>/<isa>[/threads:<t>]. Each case runs under
// Isa::kScalar (the reference) and the best ISA this CPU has. Counters:
//   bytes_per_second  the bytes an op must touch once: its float inputs and
//                     output; for attention q, out and the f16 K and V rows
//                     of the keys attended (each KV head read once);
//   GFLOPs            nominal operations per second: RmsNorm 4 per element
//                     (square, add, two multiplies), SwiGlu 4 and GeGluTanh 8
//                     (an exp counted as one), attention 4 * head_dim per
//                     (query, head, key): the q.k and p.v multiply-adds.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu {
namespace {

std::vector<float> RandomFloats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

WorkerPool* Pool(int threads) {
  static WorkerPool pool(2);
  return threads == 1 ? nullptr : &pool;
}

void SetCounters(benchmark::State& state, double bytes_per_call, double flops_per_call) {
  const double calls = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(calls * bytes_per_call));
  state.counters["GFLOPs"] =
      benchmark::Counter(calls * flops_per_call / 1e9, benchmark::Counter::kIsRate);
}

// ---- Element-wise ----

enum class Elementwise { kRmsNorm, kSwiGlu, kGeGluTanh };

void BM_Elementwise(benchmark::State& state, Elementwise op, int64_t n, Isa isa) {
  SetActiveIsa(isa);
  const std::vector<float> x = RandomFloats(n, 1), g = RandomFloats(n, 2);
  std::vector<float> y(static_cast<size_t>(n));  // [n] f32
  for (auto _ : state) {
    switch (op) {
      case Elementwise::kRmsNorm:
        RmsNorm(x.data(), g.data(), 1e-5f, n, y.data());
        break;
      case Elementwise::kSwiGlu:
        SwiGlu(x.data(), g.data(), y.data(), n);
        break;
      case Elementwise::kGeGluTanh:
        GeGluTanh(x.data(), g.data(), y.data(), n);
        break;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double flops_per_element = op == Elementwise::kGeGluTanh ? 8 : 4;
  SetCounters(state, 3.0 * static_cast<double>(n) * sizeof(float),
              flops_per_element * static_cast<double>(n));
  SetActiveIsa(DetectedIsa());
}

// ---- Attention ----

struct AttentionShape {
  const char* model;
  int64_t n_head, n_head_kv, head_dim;
};

const AttentionShape kAttentionShapes[] = {
    {"smollm2", 9, 3, 64},
    {"gemma3", 4, 1, 256},
};

struct AttentionStep {
  const char* name;
  int64_t n_q, pos0;
};

// Decode one token after 511 and 4095 cached ones; prefill a 512-token prompt.
const AttentionStep kAttentionSteps[] = {
    {"decode:512", 1, 511},
    {"decode:4096", 1, 4095},
    {"prefill:512", 512, 0},
};

void BM_Attention(benchmark::State& state, AttentionShape shape, AttentionStep step, Isa isa,
                  int threads) {
  SetActiveIsa(isa);
  const int64_t n_keys = step.pos0 + step.n_q;
  const int64_t q_width = shape.n_head * shape.head_dim;
  const int64_t kv_width = shape.n_head_kv * shape.head_dim;
  const std::vector<float> q = RandomFloats(step.n_q * q_width, 3);  // [n_q, n_head * hd] f32
  std::vector<uint16_t> k, v;                                        // [n_keys, n_head_kv * hd] f16
  for (float f : RandomFloats(n_keys * kv_width, 4)) k.push_back(F32ToF16(f));
  for (float f : RandomFloats(n_keys * kv_width, 5)) v.push_back(F32ToF16(f));
  std::vector<float> out(q.size());  // [n_q, n_head * hd] f32
  AttentionArgs a;
  a.q = q.data();
  a.q_stride = q_width;
  a.k = k.data();
  a.v = v.data();
  a.kv_stride = kv_width;
  a.n_head = shape.n_head;
  a.n_head_kv = shape.n_head_kv;
  a.head_dim = shape.head_dim;
  a.n_q = step.n_q;
  a.pos0 = step.pos0;
  a.scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  a.out = out.data();
  a.out_stride = q_width;
  for (auto _ : state) {
    Attention(a, Pool(threads));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // Query i attends to pos0 + i + 1 keys.
  const double pairs = static_cast<double>(step.n_q) * static_cast<double>(step.pos0) +
                       static_cast<double>(step.n_q * (step.n_q + 1) / 2);
  const double bytes = 2.0 * static_cast<double>(q.size()) * sizeof(float) +
                       2.0 * static_cast<double>(k.size()) * sizeof(uint16_t);
  SetCounters(state, bytes, 4.0 * static_cast<double>(shape.head_dim * shape.n_head) * pairs);
  SetActiveIsa(DetectedIsa());
}

bool RegisterAll() {
  const Isa isas[] = {Isa::kScalar, DetectedIsa()};
  const int n_isas = DetectedIsa() == Isa::kScalar ? 1 : 2;
  const struct {
    const char* name;
    Elementwise op;
  } ops[] = {{"RmsNorm", Elementwise::kRmsNorm},
             {"SwiGlu", Elementwise::kSwiGlu},
             {"GeGluTanh", Elementwise::kGeGluTanh}};
  for (const auto& op : ops) {
    for (int64_t n : {576, 640, 1536, 2048}) {
      for (int i = 0; i < n_isas; ++i) {
        const std::string name =
            std::string(op.name) + "/" + std::to_string(n) + "/" + std::string(IsaName(isas[i]));
        benchmark::RegisterBenchmark(name.c_str(), BM_Elementwise, op.op, n, isas[i])
            ->Unit(benchmark::kNanosecond);
      }
    }
  }
  for (const AttentionShape& shape : kAttentionShapes) {
    for (const AttentionStep& step : kAttentionSteps) {
      for (int i = 0; i < n_isas; ++i) {
        for (int threads : {1, 2}) {
          const std::string name = std::string("Attention/") + shape.model + "/" + step.name + "/" +
                                   std::string(IsaName(isas[i])) +
                                   "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_Attention, shape, step, isas[i], threads)
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
      }
    }
  }
  return true;
}

const bool registered = RegisterAll();

}  // namespace
}  // namespace kiln::kernels::cpu
