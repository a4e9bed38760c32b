#include "kernels/cpu/matmul.h"

#include <xmmintrin.h>

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/x86/quant_x86.h"

namespace kiln::kernels::cpu {
namespace {

// The kernels of one ISA for one weight type; null members fall back to the
// reference.
struct Kernels {
  QuantizeFn quantize = nullptr;  // activations
  DotFn dot = nullptr;
  amx::MatMulFn tiles = nullptr;  // batches, with the activations packed by `pack`
  amx::PackFn pack = nullptr;
  avx512::ColsFn cols = nullptr;  // batches of 2-3 rows, laid out by avx512::PackCols
};

// Batches of 2 to avx512::kMaxColumns rows (the decode step of a few chats)
// take the AVX-512 column kernels where the weight type has one: each weight
// block is unpacked once in registers for all of them. A SmolLM2 step of 2
// rows takes 8.9 ms with them against 14.5 with the 4-row kernels; from 4
// rows on, the AMX tiles' cost stops growing with the rows and they win (13
// vs 26 ms at 8).
Kernels WithCols(Kernels k, GgmlType type) {
  switch (type) {
    case GgmlType::Q4_1:
      k.cols = avx512::ColsQ4_1;
      break;
    case GgmlType::Q5_0:
      k.cols = avx512::ColsQ5_0;
      break;
    case GgmlType::Q8_0:
      k.cols = avx512::ColsQ8_0;
      break;
    default:
      break;
  }
  return k;
}

// Batches of at least this many rows go to the AMX tiles when the weight
// type has them: below it the 16-token tiles are mostly padding.
constexpr int64_t kMinAmxBatch = 4;

// The AMX tile kernel of a weight type, and its activation packer.
Kernels WithAmx(Kernels k, GgmlType type) {
  static constexpr struct {
    GgmlType type;
    amx::MatMulFn tiles;
  } kTiles[] = {{GgmlType::Q4_0, amx::MatMulQ4_0}, {GgmlType::Q4_1, amx::MatMulQ4_1},
                {GgmlType::Q5_0, amx::MatMulQ5_0}, {GgmlType::Q5_1, amx::MatMulQ5_1},
                {GgmlType::Q8_0, amx::MatMulQ8_0}, {GgmlType::Q4_K, amx::MatMulQ4_K},
                {GgmlType::Q5_K, amx::MatMulQ5_K}, {GgmlType::Q6_K, amx::MatMulQ6_K}};
  for (const auto& t : kTiles) {
    if (t.type != type) continue;
    k.tiles = t.tiles;
    const GgmlType act = ActivationType(type);
    k.pack = act == GgmlType::Q8_0    ? amx::PackQ8_0
             : act == GgmlType::Q8_1  ? amx::PackQ8_1
             : type == GgmlType::Q6_K ? amx::PackQ8_K16
                                      : amx::PackQ8_K;
  }
  return k;
}

template <typename Ns>
Kernels For(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_1:
      return {Ns::q8_1, Ns::q4_1};
    case GgmlType::Q5_0:
      return {Ns::q8_0, Ns::q5_0};
    case GgmlType::Q8_0:
      return {Ns::q8_0, Ns::q8_0_dot};
    case GgmlType::Q4_0:
    case GgmlType::Q5_1:
      return {type == GgmlType::Q4_0 ? Ns::q8_0 : Ns::q8_1, nullptr};
    case GgmlType::Q4_K:
      return {Ns::q8_k, Ns::q4_k};
    case GgmlType::Q6_K:
      return {Ns::q8_k, Ns::q6_k};
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q5_K:
      return {Ns::q8_k, nullptr};
    case GgmlType::F32:
      return {nullptr, Ns::f32};
    case GgmlType::F16:
      return {nullptr, Ns::f16};
    default:
      return {};
  }
}

#define KILN_KERNEL_NAMESPACE(name, ns)                  \
  struct name {                                          \
    static constexpr QuantizeFn q8_0 = ns::QuantizeQ8_0; \
    static constexpr QuantizeFn q8_1 = ns::QuantizeQ8_1; \
    static constexpr QuantizeFn q8_k = ns::QuantizeQ8_K; \
    static constexpr DotFn q4_1 = ns::DotQ4_1;           \
    static constexpr DotFn q5_0 = ns::DotQ5_0;           \
    static constexpr DotFn q8_0_dot = ns::DotQ8_0;       \
    static constexpr DotFn q4_k = ns::DotQ4_K;           \
    static constexpr DotFn q6_k = ns::DotQ6_K;           \
    static constexpr DotFn f32 = ns::DotF32;             \
    static constexpr DotFn f16 = ns::DotF16;             \
  };
KILN_KERNEL_NAMESPACE(Avx2Kernels, avx2)
KILN_KERNEL_NAMESPACE(Avx512Kernels, avx512)
#undef KILN_KERNEL_NAMESPACE

Kernels Find(Isa isa, GgmlType type) {
  switch (isa) {
    case Isa::kAmx:
      return WithCols(WithAmx(For<Avx512Kernels>(type), type), type);
    case Isa::kAvx512:
      return WithCols(For<Avx512Kernels>(type), type);
    case Isa::kAvx2:
      return For<Avx2Kernels>(type);
    case Isa::kScalar:
      break;
  }
  return {};
}

void QuantizeWith(const Kernels& k, GgmlType weight_type, const float* x, void* xq, int64_t n) {
  if (k.quantize != nullptr) {
    k.quantize(x, xq, n);
  } else if (ActivationType(weight_type) == GgmlType::F32) {
    std::memcpy(xq, x, static_cast<size_t>(n) * sizeof(float));
  } else {
    QuantizeActivationsRef(weight_type, x, xq, n);
  }
}

// out[c] = row . x[c] for c < nc.
void DotWith(const Kernels& k, GgmlType weight_type, const void* w_row, const uint8_t* const* x,
             int nc, int64_t n, float* out) {
  if (k.dot != nullptr) {
    k.dot(w_row, x, nc, n, out);
  } else {
    for (int c = 0; c < nc; ++c) out[c] = DotQuantizedRef(weight_type, w_row, x[c], n);
  }
}

// Whether a job runs on AMX tiles: the kernel exists and the batch was packed.
bool UsesTiles(const Kernels& k, const QuantizedRows& x) {
  return k.tiles != nullptr && x.panel() != nullptr;
}

// Whether a job runs on the column kernels: the kernel exists and the batch
// was laid out for them.
bool UsesCols(const Kernels& k, const QuantizedRows& x) {
  return k.cols != nullptr && x.cols_layout() != nullptr;
}

// Decode streams each weight once from memory; the hardware prefetchers
// alone keep too few lines in flight for one core's share of the bandwidth
// (bench/kernels: the 168 MB Gemma output matrix at ~15 GB/s without, ~23
// with). So each row asks for the bytes this far ahead of it into L2.
constexpr size_t kPrefetchAhead = 8192;

void Prefetch(const uint8_t* p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64)
    _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T1);
}

// One task: rows [r0, r1) of a job, for every activation row.
void RunRows(const Kernels& k, const MatMulJob& job, int64_t r0, int64_t r1) {
  const QuantizedRows& x = *job.x;
  const int64_t cols = x.cols();
  const size_t row_bytes = RowBytes(job.weight_type, cols);
  const auto* w = static_cast<const uint8_t*>(job.w);
  if (UsesCols(k, x)) {
    float out[avx512::kMaxColumns];
    const int nc = static_cast<int>(x.n());
    for (int64_t r = r0; r < r1; ++r) {
      Prefetch(w + static_cast<size_t>(r) * row_bytes + kPrefetchAhead, row_bytes);
      k.cols(w + static_cast<size_t>(r) * row_bytes, x.cols_layout(), nc, cols, out);
      for (int c = 0; c < nc; ++c) job.y[c * job.ldy + r] = out[c];
    }
    return;
  }
  if (UsesTiles(k, x)) {
    k.tiles(w, row_bytes, r0, r1, x.panel(), x.n(), cols, job.y, job.ldy);
    return;
  }
  const uint8_t* xr[kMaxDotCols];
  float out[kMaxDotCols];
  // Activation rows in groups of kMaxDotCols; the task's weight rows (a few
  // KiB) stay in L1 while every group passes over them.
  for (int64_t b0 = 0; b0 < x.n(); b0 += kMaxDotCols) {
    const int nc = static_cast<int>(std::min<int64_t>(kMaxDotCols, x.n() - b0));
    for (int c = 0; c < nc; ++c) xr[c] = x.row(b0 + c);
    for (int64_t r = r0; r < r1; ++r) {
      if (nc == 1) Prefetch(w + static_cast<size_t>(r) * row_bytes + kPrefetchAhead, row_bytes);
      DotWith(k, job.weight_type, w + static_cast<size_t>(r) * row_bytes, xr, nc, cols, out);
      for (int c = 0; c < nc; ++c) job.y[(b0 + c) * job.ldy + r] = out[c];
    }
  }
}

// Rows per task. Where each weight row is read once per call (a decode step
// of up to kMaxDotCols rows, or AMX batches), two tasks per thread, so that
// each thread streams long runs of consecutive rows: measured in one process,
// A/B interleaved, a SmolLM2 step's matmuls were 13% faster at 1 row and 20%
// at 8 than with 16 tasks per thread. A prefill task on the vector kernels
// re-reads its rows for each group of activation rows, so it stays small.
int64_t RowsPerTask(int64_t total_rows, int64_t n, int threads, bool tiles) {
  constexpr int64_t kMaxRows = 4096;
  const int64_t two_per_thread = total_rows / (static_cast<int64_t>(threads) * 2);
  if (tiles) {  // whole 16-row tiles, each decoded once per task
    const int64_t chunk = std::clamp<int64_t>(two_per_thread, 16, kMaxRows);
    return (chunk + 15) / 16 * 16;
  }
  const int64_t chunk = n <= kMaxDotCols ? std::clamp<int64_t>(two_per_thread, 4, kMaxRows)
                                         : std::clamp<int64_t>(total_rows / (threads * 16), 4, 32);
  return (chunk + 3) / 4 * 4;
}

}  // namespace

template <typename RowAt>
void QuantizedRows::QuantizeRows(GgmlType weight_type, int64_t n, int64_t cols, WorkerPool* pool,
                                 RowAt row_at) {
  KILN_CHECK(HasQuantizedDotRef(weight_type));
  act_type_ = ActivationType(weight_type);
  n_ = n;
  cols_ = cols;
  row_bytes_ = ActivationRowBytes(weight_type, cols);
  if (data_.size() < row_bytes_ * static_cast<size_t>(n))
    data_.resize(row_bytes_ * static_cast<size_t>(n));
  const Kernels k = Find(ActiveIsa(), weight_type);
  auto one = [&](int64_t b, int) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < static_cast<size_t>(cols)) scratch.resize(static_cast<size_t>(cols));
    QuantizeWith(k, weight_type, row_at(b, scratch.data()), data_.data() + b * row_bytes_, cols);
  };
  RunTasks(n >= 16 ? pool : nullptr, n, one);
  has_cols_ = k.cols != nullptr && n >= 2 && n <= avx512::kMaxColumns;
  if (has_cols_) {
    const size_t bytes = avx512::ColsBytes(n, cols);
    if (col_layout_.size() < bytes) col_layout_.resize(bytes);
    avx512::PackCols(act_type_ == GgmlType::Q8_1, data_.data(), row_bytes_, static_cast<int>(n),
                     cols, col_layout_.data());
  }
  has_panel_ = !has_cols_ && k.pack != nullptr && n >= kMinAmxBatch;
  if (has_panel_) {
    const size_t bytes = amx::PanelBytes(n, cols);
    if (panel_.size() < bytes) panel_.resize(bytes);
    k.pack(data_.data(), row_bytes_, n, cols, panel_.data());
  }
}

void QuantizedRows::Quantize(GgmlType weight_type, const float* x, int64_t n, int64_t cols,
                             int64_t ldx, WorkerPool* pool) {
  QuantizeRows(weight_type, n, cols, pool, [&](int64_t b, float*) { return x + b * ldx; });
}

void QuantizedRows::Quantize(GgmlType weight_type, const RowSource& rows, int64_t n, int64_t cols,
                             WorkerPool* pool) {
  QuantizeRows(weight_type, n, cols, pool, [&](int64_t b, float* scratch) {
    rows.make(rows.ctx, b, scratch);
    return static_cast<const float*>(scratch);
  });
}

void MatMul(std::span<const MatMulJob> jobs, WorkerPool* pool) {
  if (jobs.empty()) return;
  const Isa isa = ActiveIsa();
  const int threads = pool != nullptr ? pool->threads() : 1;
  struct Plan {
    Kernels k;
    int64_t chunk, first_task;
  };
  std::vector<Plan> plan(jobs.size());
  int64_t total_rows = 0;
  for (const MatMulJob& j : jobs) total_rows += j.rows;
  int64_t tasks = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const MatMulJob& j = jobs[i];
    KILN_CHECK(j.x != nullptr && j.x->activation_type() == ActivationType(j.weight_type));
    plan[i].k = Find(isa, j.weight_type);
    plan[i].chunk = RowsPerTask(total_rows, j.x->n(), threads, UsesTiles(plan[i].k, *j.x));
    plan[i].first_task = tasks;
    tasks += (j.rows + plan[i].chunk - 1) / plan[i].chunk;
  }
  auto run = [&](int64_t task, int) {
    size_t i = 0;
    while (i + 1 < jobs.size() && plan[i + 1].first_task <= task) ++i;
    const int64_t r0 = (task - plan[i].first_task) * plan[i].chunk;
    RunRows(plan[i].k, jobs[i], r0, std::min(jobs[i].rows, r0 + plan[i].chunk));
  };
  RunTasks(pool, tasks, run);
}

void MatMul(GgmlType weight_type, const void* w, int64_t rows, int64_t cols, const float* x,
            int64_t n, float* y, WorkerPool* pool) {
  thread_local QuantizedRows xq;
  xq.Quantize(weight_type, x, n, cols, cols, pool);
  const MatMulJob job{weight_type, w, rows, &xq, y, rows};
  MatMul({&job, 1}, pool);
}

void QuantizeActivations(GgmlType weight_type, const float* x, void* xq, int64_t n) {
  QuantizeWith(Find(ActiveIsa(), weight_type), weight_type, x, xq, n);
}

float DotQuantized(GgmlType weight_type, const void* w_row, const void* xq, int64_t n) {
  const auto* x = static_cast<const uint8_t*>(xq);
  float out = 0;
  DotWith(Find(ActiveIsa(), weight_type), weight_type, w_row, &x, 1, n, &out);
  return out;
}

}  // namespace kiln::kernels::cpu
