// Scalar reference versions of the non-matmul operations of a transformer
// forward pass. Written for clarity: they are the oracle the fast kernels
// of later work are tested against. Vectors are plain float arrays; callers
// validate sizes. Thread-safe (no state).
#pragma once

#include <cstdint>

namespace kiln::kernels::cpu {

// y = x / sqrt(mean(x^2) + eps) * w   (w may be null: no scaling)
void RmsNormRef(const float* x, const float* w, float eps, int64_t n, float* y);

// The index of the first largest of x[0, n), NaNs skipped; 0 if none.
int64_t ArgMaxRef(const float* x, int64_t n);

// y = (x - mean) / sqrt(var + eps) * w + b   (population variance)
void LayerNormRef(const float* x, const float* w, const float* b, float eps, int64_t n, float* y);

// Rotary position embedding of one head of `head_dim` values at position
// `pos`, rotating the first `rot_dim` dims (rot_dim <= head_dim, even) with
// theta_i = pos * base^(-2i / rot_dim). As in ggml, theta is stepped in
// float (theta_{i+1} = theta_i * base^(-2 / rot_dim)) and cos/sin are float.
//   Adjacent pairs (x[2i], x[2i+1]): the layout llama-family GGUFs use.
void RopeAdjacentRef(float* x, int64_t head_dim, int64_t rot_dim, int64_t pos, float base);
//   Split halves (x[i], x[i + rot_dim/2]): the layout of gemma and GPT-NeoX.
void RopeHalvesRef(float* x, int64_t head_dim, int64_t rot_dim, int64_t pos, float base);
// The same in two steps (what Rope*Ref do), for applying one position's
// rotation to many heads: the rot_dim / 2 cosines and sines of position `pos`,
// then the rotations.
void RopeAnglesRef(int64_t rot_dim, int64_t pos, float base, float* cos, float* sin);
void RopeAdjacentApply(float* x, int64_t rot_dim, const float* cos, const float* sin);
void RopeHalvesApply(float* x, int64_t rot_dim, const float* cos, const float* sin);

// In place: x = softmax(x), computed stably (max subtracted first).
void SoftmaxRef(float* x, int64_t n);

float SiluRef(float x);  // x * sigmoid(x)
// exp(x) as ggml's x86 builds evaluate it in vector code: Arm's optimized-
// routines polynomial (max error ~1.45 ulp), each multiply and add rounded
// separately (SSE2, no FMA). Differs from libm's expf in the last bit.
float ExpPolyRef(float x);
// y = silu(x) * g the way ggml's CPU SwiGLU computes it: groups of four
// through ExpPolyRef, a tail of n % 4 through libm's expf.
void SwiGluRef(const float* x, const float* g, float* y, int64_t n);
float GeluTanhRef(float x);  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
float GeluErfRef(float x);   // 0.5 x (1 + erf(x / sqrt(2)))
// GeluTanhRef the way ggml evaluates it on the CPU: through a table indexed by
// the f16 value of x, holding f16 results (exact outside [-10, 10]).
float GeluTanhF16Ref(float x);

// The same over an f16 KV cache, computed as llama.cpp's CPU path does: q
// rounded to f16 for the q.k products and the softmax weights to f16 before
// they weight the values (f16 x f16 products summed in double), and the
// softmax of ggml's x86 vector code (ExpPolyRef, groups of four).
void AttentionF16Ref(const float* q, const uint16_t* k, const uint16_t* v, int64_t n_keys,
                     int64_t head_dim, int64_t stride, float scale, float* out);

// One query head attending over `n_keys` cached positions:
//   out = sum_t softmax_t(scale * q . k_t) v_t
// k and v are strided: position t of this head starts at k + t * stride.
void AttentionRef(const float* q, const float* k, const float* v, int64_t n_keys, int64_t head_dim,
                  int64_t stride, float scale, float* out);

}  // namespace kiln::kernels::cpu
