// The x86 SIMD kernels behind ops.h, internal to kernels/cpu: only ops.cc
// calls them, and only once ActiveIsa() says the CPU has the instruction set.
// Declarations only: the definitions live in files compiled with their own
// -m flags (ops_avx2.cc), and nothing from them may be inlined into baseline
// code. Thread-safe; pointers borrowed for the call.
#pragma once

#include <cstdint>

namespace kiln::kernels::cpu {

struct AttentionArgs;

namespace avx2 {

// The largest head_dim Attention accepts (its scratch lives on the stack).
constexpr int64_t kMaxHeadDim = 512;

void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* y);
void SwiGlu(const float* x, const float* g, float* y, int64_t n);
void GeGluTanh(const float* x, const float* g, float* y, int64_t n);
int64_t ArgMax(const float* x, int64_t n);

// How many (query, head) rows one AttentionRows call may take at this
// head_dim.
int64_t AttentionMaxRows(int64_t head_dim);
// The streaming attention of queries [q_begin, q_end) x heads [h_begin,
// h_end), all heads sharing one KV head, (q_end - q_begin) * (h_end -
// h_begin) <= AttentionMaxRows(head_dim). Keys are walked in blocks at fixed
// positions, so each row's result does not depend on how rows are grouped
// into calls.
void AttentionRows(const AttentionArgs& args, int64_t q_begin, int64_t q_end, int64_t h_begin,
                   int64_t h_end);

}  // namespace avx2

// attention_avx512.cc: the same contract as avx2::AttentionRows, for
// head_dim a multiple of 16 up to 256 (AttentionSupports).
namespace avx512 {
bool AttentionSupports(int64_t head_dim);
int64_t AttentionMaxRows(int64_t head_dim);
void AttentionRows(const AttentionArgs& args, int64_t q_begin, int64_t q_end, int64_t h_begin,
                   int64_t h_end);
}  // namespace avx512
}  // namespace kiln::kernels::cpu
