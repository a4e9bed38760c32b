// The executor's non-matmul steps, dispatched on ActiveIsa() (dispatch.h).
// Under Isa::kScalar each is exactly its *Ref in ops_ref.h (bit-identical to
// llama.cpp's generic build); under AVX2 / AVX-512 it is a SIMD kernel in
// x86/ that agrees with the reference within the tolerance its test states.
// Thread-safe; pointers borrowed for the call; in-place use (y == x) allowed
// where noted.
#pragma once

#include <cstdint>
#include <span>

namespace kiln::kernels::cpu {

class WorkerPool;

// y = x / sqrt(mean(x^2) + eps) * w   (w may be null). y may equal x.
void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* y);

// y = silu(x) * g (SwiGluRef). y may equal x or g.
void SwiGlu(const float* x, const float* g, float* y, int64_t n);

// y = gelu_tanh(x) * g, gelu as GeluTanhF16Ref (ggml's f16 table) in scalar
// mode. y may equal x or g.
void GeGluTanh(const float* x, const float* g, float* y, int64_t n);

// The index of the first largest of x[0, n) (greedy sampling over logits);
// NaNs are never chosen; 0 when n == 0 or every value is NaN. Exactly
// ArgMaxRef under every ISA.
int64_t ArgMax(const float* x, int64_t n);

// Causal multi-head attention over an f16 KV cache, for n_q consecutive
// query tokens (1 in decode, a chunk of the prompt in prefill).
//   Query i is at position pos0 + i and attends to cached positions
//   [first, pos0 + i] where first = max(0, pos0 + i - window + 1) when
//   window > 0, else 0. Head h uses KV head h / (n_head / n_head_kv).
//   out_i,h = sum_t softmax_t(scale * q_i,h . k_t,kvh) v_t,kvh
// Under kScalar: AttentionF16Ref per (query, head). Otherwise a streaming
// (online-softmax) kernel over blocks of keys: no [n_q, n_keys] score
// matrix is materialised, whatever the prompt length.
struct AttentionArgs {
  const float* q = nullptr;  // query i, head h at q[i * q_stride + h * head_dim]
  int64_t q_stride = 0;
  const uint16_t* k = nullptr;  // f16; position t, kv head j at k[t * kv_stride + j * head_dim]
  const uint16_t* v = nullptr;  // same layout as k
  int64_t kv_stride = 0;
  // Paged: when `pages` is set, position t is row t % page_size of page
  // pages[t / page_size], which starts at k + pages[...] * page_stride (v
  // likewise): the rows above are then per page.
  const int32_t* pages = nullptr;
  int64_t page_size = 0, page_stride = 0;
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  int64_t n_q = 0;
  int64_t pos0 = 0;    // position of query 0; keys [0, pos0 + n_q) must be in k, v
  int64_t window = 0;  // sliding window in positions (0: none)
  float scale = 1.0f;
  float* out = nullptr;  // query i, head h at out[i * out_stride + h * head_dim]
  int64_t out_stride = 0;

  // Row t of base (k or v, at any KV head's offset), contiguous or paged.
  // (Out of line, in ops.cc: the SIMD files share no inline code.)
  const uint16_t* Row(const uint16_t* base, int64_t t) const;
  // The first key the query at `pos` attends to.
  int64_t FirstKey(int64_t pos) const;
};
// Spreads (query, head) work over `pool` (null: the calling thread).
void Attention(const AttentionArgs& args, WorkerPool* pool);
// Several independent calls (the sequences of a batch) as one parallel step:
// each call's tasks as Attention would cut them, all handed to the pool at
// once. The same bits as the calls one by one.
void AttentionBatch(std::span<const AttentionArgs> calls, WorkerPool* pool);

}  // namespace kiln::kernels::cpu
