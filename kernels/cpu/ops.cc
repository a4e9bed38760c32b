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

// The reference: AttentionF16Ref for one (query, head). A paged cache's rows
// are first copied together (the same f16 values, so the same bits as a
// contiguous cache).
void AttentionScalarTask(const AttentionArgs& a, int64_t task) {
  const int64_t group = a.n_head / a.n_head_kv, hd = a.head_dim;
  const int64_t i = task / a.n_head, h = task % a.n_head;
  const int64_t pos = a.pos0 + i;
  const int64_t first = a.FirstKey(pos);
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
    std::copy_n(a.Row(a.k, first + t) + kvh * hd, hd, &k[static_cast<size_t>(t * hd)]);
    std::copy_n(a.Row(a.v, first + t) + kvh * hd, hd, &v[static_cast<size_t>(t * hd)]);
  }
  AttentionF16Ref(q, k.data(), v.data(), n_keys, hd, hd, a.scale, out);
}

// The streaming kernel. A task is a block of consecutive queries times a run
// of heads sharing one KV head, so each converted K/V block serves all of
// them. Whole GQA groups are taken when that still leaves two tasks per
// thread, counting the other calls of a batch (a decode step of many chats:
// each group's keys are then converted once, not once per head); otherwise
// (one chat's decode: one query) the groups are split, down to one head per
// task, so that a 9-head decode step still spreads over the pool.
// Results do not depend on the split (x86/ops_x86.h), so any pool size gives
// the same bits.
// Calls of at least this many queries (a prompt chunk, not a decode step)
// take the AVX-512 matrix-product kernel where the CPU has it: it converts
// each key block once for many rows, which a one-query step cannot repay.
// Chosen per call, never per task, so the split still changes no bit.
constexpr int64_t kMinQueriesAvx512 = 4;

// How one call's work is cut into tasks.
struct AttentionPlan {
  const AttentionArgs* a;
  bool scalar, wide;
  int64_t heads, qb, head_runs, q_blocks;
  int64_t tasks() const { return scalar ? a->n_q * a->n_head : q_blocks * head_runs; }
};

// `calls` is the number of calls in the batch, each taken as about as big.
AttentionPlan Plan(const AttentionArgs& a, int threads, int64_t calls) {
  AttentionPlan p{&a, ActiveIsa() == Isa::kScalar, false, 1, 1, 1, 1};
  if (p.scalar) return p;
  const int64_t group = a.n_head / a.n_head_kv;
  p.wide = ActiveIsa() >= Isa::kAvx512 && a.n_q >= kMinQueriesAvx512 &&
           avx512::AttentionSupports(a.head_dim);
  const int64_t max_rows =
      p.wide ? avx512::AttentionMaxRows(a.head_dim) : avx2::AttentionMaxRows(a.head_dim);
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
  while (heads > 1 && threads > 1 && tasks_for(heads) * calls < 2 * threads) {
    heads = next_divisor_below(heads);
  }
  p.heads = heads;
  p.qb = queries_per_task(heads);
  p.head_runs = a.n_head / heads;
  p.q_blocks = (a.n_q + p.qb - 1) / p.qb;
  return p;
}

void RunTask(const AttentionPlan& p, int64_t task) {
  const AttentionArgs& a = *p.a;
  if (p.scalar) {
    AttentionScalarTask(a, task);
    return;
  }
  // Last query blocks first: under causal masking they have the most keys.
  const int64_t q_begin = (p.q_blocks - 1 - task / p.head_runs) * p.qb;
  const int64_t h_begin = task % p.head_runs * p.heads;
  const int64_t q_end = std::min(q_begin + p.qb, a.n_q);
  if (p.wide) {
    avx512::AttentionRows(a, q_begin, q_end, h_begin, h_begin + p.heads);
  } else {
    avx2::AttentionRows(a, q_begin, q_end, h_begin, h_begin + p.heads);
  }
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

int64_t ArgMax(const float* x, int64_t n) {
  return ActiveIsa() == Isa::kScalar ? ArgMaxRef(x, n) : avx2::ArgMax(x, n);
}

void GeGluTanh(const float* x, const float* g, float* y, int64_t n) {
  if (ActiveIsa() == Isa::kScalar) {
    for (int64_t i = 0; i < n; ++i) y[i] = GeluTanhF16Ref(x[i]) * g[i];
  } else {
    avx2::GeGluTanh(x, g, y, n);
  }
}

const uint16_t* AttentionArgs::Row(const uint16_t* base, int64_t t) const {
  if (pages == nullptr) return base + t * kv_stride;
  return base + pages[t / page_size] * page_stride + (t % page_size) * kv_stride;
}

int64_t AttentionArgs::FirstKey(int64_t pos) const {
  return window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
}

void Attention(const AttentionArgs& a, WorkerPool* pool) { AttentionBatch({&a, 1}, pool); }

void AttentionBatch(std::span<const AttentionArgs> calls, WorkerPool* pool) {
  const int threads = pool == nullptr ? 1 : pool->threads();
  std::vector<AttentionPlan> plans(calls.size());
  int64_t total = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    plans[i] = Plan(calls[i], threads, static_cast<int64_t>(calls.size()));
    total += plans[i].tasks();
  }
  RunTasks(pool, total, [&](int64_t task, int) {
    size_t i = 0;
    while (task >= plans[i].tasks()) task -= plans[i++].tasks();
    RunTask(plans[i], task);
  });
}

}  // namespace kiln::kernels::cpu
