#include "kernels/cpu/ops.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/ops_ref.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/x86/ops_x86.h"

namespace kiln::kernels::cpu {
namespace {

void RunTasks(int64_t tasks, WorkerPool* pool, const std::function<void(int64_t, int)>& fn) {
  if (pool == nullptr) {
    for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
  } else {
    pool->Run(tasks, fn);
  }
}

// Row t of `base` (a.k or a.v), contiguous or paged.
const uint16_t* KvRow(const AttentionArgs& a, const uint16_t* base, int64_t t) {
  if (a.pages == nullptr) return base + t * a.kv_stride;
  return base + a.pages[t / a.page_size] * a.page_stride + (t % a.page_size) * a.kv_stride;
}

// The reference: AttentionF16Ref for every (query, head), one task each. A
// paged cache's rows are first copied together (the same f16 values, so the
// same bits as a contiguous cache).
void AttentionScalar(const AttentionArgs& a, WorkerPool* pool) {
  const int64_t group = a.n_head / a.n_head_kv, hd = a.head_dim;
  RunTasks(a.n_q * a.n_head, pool, [&](int64_t task, int) {
    const int64_t i = task / a.n_head, h = task % a.n_head;
    const int64_t pos = a.pos0 + i;
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, pos - a.window + 1) : 0;
    const int64_t kvh = h / group, n_keys = pos + 1 - first;
    const float* q = a.q + i * a.q_stride + h * hd;
    float* out = a.out + i * a.out_stride + h * hd;
    if (a.pages == nullptr) {
      AttentionF16Ref(q, a.k + first * a.kv_stride + kvh * hd, a.v + first * a.kv_stride + kvh * hd,
                      n_keys, hd, a.kv_stride, a.scale, out);
      return;
    }
    thread_local std::vector<uint16_t> k, v;
    k.resize(static_cast<size_t>(n_keys * hd));
    v.resize(static_cast<size_t>(n_keys * hd));
    for (int64_t t = 0; t < n_keys; ++t) {
      std::copy_n(KvRow(a, a.k, first + t) + kvh * hd, hd, &k[static_cast<size_t>(t * hd)]);
      std::copy_n(KvRow(a, a.v, first + t) + kvh * hd, hd, &v[static_cast<size_t>(t * hd)]);
    }
    AttentionF16Ref(q, k.data(), v.data(), n_keys, hd, hd, a.scale, out);
  });
}

// The streaming kernel. A task is a block of consecutive queries times a run
// of heads sharing one KV head, so each converted K/V block serves all of
// them. Whole GQA groups are taken when that still leaves two tasks per
// thread; otherwise (decode: one query) the groups are split, down to one
// head per task, so that a 9-head decode step still spreads over the pool.
// Results do not depend on the split (x86/ops_x86.h), so any pool size gives
// the same bits.
// Calls of at least this many queries (a prompt chunk, not a decode step)
// take the AVX-512 matrix-product kernel where the CPU has it: it converts
// each key block once for many rows, which a one-query step cannot repay.
// Chosen per call, never per task, so the split still changes no bit.
constexpr int64_t kMinQueriesAvx512 = 4;

void AttentionSimd(const AttentionArgs& a, WorkerPool* pool) {
  const int64_t group = a.n_head / a.n_head_kv;
  const bool wide = ActiveIsa() >= Isa::kAvx512 && a.n_q >= kMinQueriesAvx512 &&
                    avx512::AttentionSupports(a.head_dim);
  const int64_t max_rows =
      wide ? avx512::AttentionMaxRows(a.head_dim) : avx2::AttentionMaxRows(a.head_dim);
  const int64_t threads = pool == nullptr ? 1 : pool->threads();
  auto queries_per_task = [&](int64_t heads) { return std::max<int64_t>(1, max_rows / heads); };
  auto tasks_for = [&](int64_t heads) {
    const int64_t qb = queries_per_task(heads);
    return (a.n_q + qb - 1) / qb * (a.n_head / heads);
  };
  auto next_divisor_below = [&](int64_t h) {
    do --h;
    while (group % h != 0);
    return h;
  };
  int64_t heads = group;
  while (heads > max_rows) heads = next_divisor_below(heads);
  while (heads > 1 && threads > 1 && tasks_for(heads) < 2 * threads) {
    heads = next_divisor_below(heads);
  }
  const int64_t qb = queries_per_task(heads);
  const int64_t head_runs = a.n_head / heads;
  const int64_t q_blocks = (a.n_q + qb - 1) / qb;
  RunTasks(q_blocks * head_runs, pool, [&](int64_t task, int) {
    // Last query blocks first: under causal masking they have the most keys.
    const int64_t q_begin = (q_blocks - 1 - task / head_runs) * qb;
    const int64_t h_begin = task % head_runs * heads;
    const int64_t q_end = std::min(q_begin + qb, a.n_q);
    if (wide) {
      avx512::AttentionRows(a, q_begin, q_end, h_begin, h_begin + heads);
    } else {
      avx2::AttentionRows(a, q_begin, q_end, h_begin, h_begin + heads);
    }
  });
}

}  // namespace

void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* y) {
  if (ActiveIsa() == Isa::kScalar) {
    RmsNormRef(x, w, eps, n, y);
  } else {
    avx2::RmsNorm(x, w, eps, n, y);
  }
}

void SwiGlu(const float* x, const float* g, float* y, int64_t n) {
  if (ActiveIsa() == Isa::kScalar) {
    SwiGluRef(x, g, y, n);
  } else {
    avx2::SwiGlu(x, g, y, n);
  }
}

void GeGluTanh(const float* x, const float* g, float* y, int64_t n) {
  if (ActiveIsa() == Isa::kScalar) {
    for (int64_t i = 0; i < n; ++i) y[i] = GeluTanhF16Ref(x[i]) * g[i];
  } else {
    avx2::GeGluTanh(x, g, y, n);
  }
}

void Attention(const AttentionArgs& a, WorkerPool* pool) {
  if (a.n_q <= 0 || a.n_head <= 0) return;
  KILN_CHECK(a.n_head_kv > 0 && a.n_head % a.n_head_kv == 0)
      << "n_head " << a.n_head << ", n_head_kv " << a.n_head_kv;
  if (ActiveIsa() == Isa::kScalar) {
    AttentionScalar(a, pool);
    return;
  }
  KILN_CHECK(a.head_dim > 0 && a.head_dim <= avx2::kMaxHeadDim) << "head_dim " << a.head_dim;
  AttentionSimd(a, pool);
}

}  // namespace kiln::kernels::cpu
