// Google Benchmark of the quantized matmul (kernels/cpu/matmul.h) on the
// weight shapes of the two bench models, and of activation quantization.
//
// Names read MatMul/<type>/<rows>x<cols>/n:<n>/<isa>/threads:<t>. Counters:
//   weight_GBps  bytes of W read per second (1e9), once per call: the
//                figure that bounds decode (n = 1);
//   GFLOPs       2 * rows * cols * n per second, the figure for prefill.
// Activations are quantized once outside the timed loop (QuantizeActivations
// has its own benchmark), so a MatMul figure is the dot products alone.
//
// Each case runs under Isa::kScalar (the reference) and the best ISA this
// CPU has, on the calling thread alone and on a WorkerPool of 2. The vocab
// matrices (49152x576, 262144x640) run at n = 1 only: prefill computes
// logits for the last prompt token alone, and a 512-row product through the
// scalar reference would take minutes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/reference.h"
#include "kernels/half.h"
#include "kernels/types.h"

namespace kiln::kernels::cpu {
namespace {

struct Shape {
  GgmlType type;
  int64_t rows, cols;
  bool vocab;  // an output matrix: n = 1 only
};

// SmolLM2-135M (Q4_1 layers, Q8_0 tied embedding) and Gemma-3-270M (Q5_0 /
// Q4_K / Q6_K layers, Q8_0 tied embedding), plus one F32 matrix as the
// unquantized baseline.
const Shape kShapes[] = {
    {GgmlType::Q4_1, 576, 576, false},    // SmolLM2 attn_q / attn_output
    {GgmlType::Q4_1, 1536, 576, false},   // SmolLM2 ffn_gate / ffn_up
    {GgmlType::Q4_1, 576, 1536, false},   // SmolLM2 ffn_down
    {GgmlType::Q8_0, 49152, 576, true},   // SmolLM2 token_embd as output
    {GgmlType::Q5_0, 2048, 640, false},   // Gemma ffn_gate / ffn_up
    {GgmlType::Q4_K, 640, 2048, false},   // Gemma ffn_down (half the layers)
    {GgmlType::Q6_K, 640, 2048, false},   // Gemma ffn_down (the other half)
    {GgmlType::Q8_0, 2048, 640, false},   // Q8_0 at a layer's size
    {GgmlType::Q8_0, 262144, 640, true},  // Gemma token_embd as output
    {GgmlType::F32, 576, 576, false},     // unquantized baseline
};
const int64_t kBatches[] = {1, 64, 512};

std::vector<float> RandomFloats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// A [rows, cols] matrix of `type` with random values and sane scales. Types
// the reference can quantize get quantized random floats; the K-quants get
// random bytes with their f16 super-block scales set to small normal values
// (random bits there could be inf or NaN and change the timing).
std::vector<uint8_t> RandomMatrix(GgmlType type, int64_t rows, int64_t cols) {
  const size_t row_bytes = RowBytes(type, cols);
  std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows));
  if (IsReferenceQuantizable(type)) {
    std::vector<float> row = RandomFloats(cols, 1);
    std::mt19937 rng(2);
    for (int64_t r = 0; r < rows; ++r) {
      std::shuffle(row.begin(), row.end(), rng);  // distinct rows, one RNG pass
      QuantizeRowRef(type, row.data(), w.data() + static_cast<size_t>(r) * row_bytes, cols);
    }
    return w;
  }
  std::mt19937_64 rng(3);
  for (size_t i = 0; i + 8 <= w.size(); i += 8) {
    const uint64_t bits = rng();
    std::memcpy(&w[i], &bits, 8);
  }
  const uint16_t d = F32ToF16(0.01f), dmin = F32ToF16(0.005f);
  const size_t blocks = w.size() / Traits(type).type_size;
  for (size_t b = 0; b < blocks; ++b) {
    if (type == GgmlType::Q4_K) {
      auto* block = reinterpret_cast<BlockQ4_K*>(w.data()) + b;
      block->d = d;
      block->dmin = dmin;
    } else if (type == GgmlType::Q6_K) {
      reinterpret_cast<BlockQ6_K*>(w.data())[b].d = d;
    } else {
      std::abort();  // add the type's scale fields here
    }
  }
  return w;
}

WorkerPool* Pool(int threads) {
  static WorkerPool pool(2);
  return threads == 1 ? nullptr : &pool;
}

void BM_MatMul(benchmark::State& state, Shape shape, int64_t n, Isa isa, int threads) {
  SetActiveIsa(isa);
  const std::vector<uint8_t> w = RandomMatrix(shape.type, shape.rows, shape.cols);
  const std::vector<float> x = RandomFloats(n * shape.cols, 4);
  QuantizedRows xq;
  xq.Quantize(shape.type, x.data(), n, shape.cols, shape.cols);
  std::vector<float> y(static_cast<size_t>(n * shape.rows));  // [n, rows] f32
  const MatMulJob job{shape.type, w.data(), shape.rows, &xq, y.data(), shape.rows};
  for (auto _ : state) {
    MatMul({&job, 1}, Pool(threads));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double calls = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(calls * static_cast<double>(w.size())));
  state.counters["weight_GBps"] =
      benchmark::Counter(calls * static_cast<double>(w.size()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOPs"] =
      benchmark::Counter(calls * 2.0 * static_cast<double>(shape.rows * shape.cols * n) / 1e9,
                         benchmark::Counter::kIsRate);
  SetActiveIsa(DetectedIsa());
}

// One activation row of `cols` floats into the weight type's activation
// format (Q8_1 for Q4_1, Q8_0 for Q5_0 / Q8_0, Q8_K for the K-quants).
void BM_QuantizeActivations(benchmark::State& state, GgmlType weight_type, int64_t cols, Isa isa) {
  SetActiveIsa(isa);
  const std::vector<float> x = RandomFloats(cols, 5);
  std::vector<uint8_t> xq(ActivationRowBytes(weight_type, cols));
  for (auto _ : state) {
    QuantizeActivations(weight_type, x.data(), xq.data(), cols);
    benchmark::DoNotOptimize(xq.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(state.iterations()) * cols * sizeof(float);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  SetActiveIsa(DetectedIsa());
}

std::string ShapeName(const Shape& s) {
  return std::string(TypeName(s.type)) + "/" + std::to_string(s.rows) + "x" +
         std::to_string(s.cols);
}

bool RegisterAll() {
  const Isa isas[] = {Isa::kScalar, DetectedIsa()};
  const int n_isas = DetectedIsa() == Isa::kScalar ? 1 : 2;
  for (const Shape& shape : kShapes) {
    for (int64_t n : kBatches) {
      if (shape.vocab && n > 1) continue;
      for (int i = 0; i < n_isas; ++i) {
        for (int threads : {1, 2}) {
          const std::string name = "MatMul/" + ShapeName(shape) + "/n:" + std::to_string(n) + "/" +
                                   std::string(IsaName(isas[i])) +
                                   "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_MatMul, shape, n, isas[i], threads)
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
      }
    }
  }
  const GgmlType act_types[] = {GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::Q4_K};
  for (GgmlType type : act_types) {
    for (int64_t cols : {576, 2048}) {
      for (int i = 0; i < n_isas; ++i) {
        const std::string name = "QuantizeActivations/" + std::string(TypeName(type)) + "/" +
                                 std::to_string(cols) + "/" + std::string(IsaName(isas[i]));
        benchmark::RegisterBenchmark(name.c_str(), BM_QuantizeActivations, type, cols, isas[i])
            ->Unit(benchmark::kNanosecond);
      }
    }
  }
  return true;
}

const bool registered = RegisterAll();

}  // namespace
}  // namespace kiln::kernels::cpu
