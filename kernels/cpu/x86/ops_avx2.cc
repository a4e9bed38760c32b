// AVX2 + FMA + F16C versions of ops.h (compiled with -mavx2 -mfma -mf16c).
// Only intrinsics and this file's own internal functions: no header whose
// inline functions baseline code also uses (see kernels/cpu/CMakeLists.txt).
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/x86/ops_x86.h"

namespace kiln::kernels::cpu::avx2 {
namespace {

// Scratch sizes of AttentionRows, in floats. A block of converted keys and
// one of values (kKeyBlockFloats each) stay in L1 while every row of the call
// walks them; the rows' output accumulators (kAccFloats) sit in L2 at worst.
constexpr int64_t kKeyBlockFloats = 4096;  // 16 KiB
constexpr int64_t kAccFloats = 8192;       // 32 KiB
constexpr int64_t kMaxKeyBlock = 64;
constexpr int64_t kMaxRows = 32;

float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// exp(x) lane-wise: the algorithm of ExpPolyRef (n = round(x / ln 2) by the
// 1.5 * 2^23 shifter, a degree-5 polynomial for exp(b), |b| <= ln2 / 2) with
// fused multiply-adds, ~1.5 ulp. Inputs whose 2^n would leave the normal
// range take the two-step scaling: exp(-inf) = 0, exp(+inf) = +inf, NaN stays
// NaN, subnormal results are kept.
__m256 Exp(__m256 x) {
  const __m256 shifter = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shifter);
  const __m256 n = _mm256_sub_ps(z, shifter);
  __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x);
  b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), b);
  const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
  const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_set1_epi32(0x3f800000)));
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 p = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f)));
  const __m256 j = _mm256_fmadd_ps(p, u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
  const __m256 abs_n = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  const __m256 out_of_range = _mm256_cmp_ps(abs_n, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
  const __m256 fast = _mm256_fmadd_ps(j, k, k);
  if (_mm256_movemask_ps(out_of_range) == 0) return fast;
  // 2^n = s1 * s2 with both factors normal; past |n| > 192 the result is 0
  // or infinity whatever j is.
  const __m256i g =
      _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                       _mm256_set1_epi32(static_cast<int>(0x82000000u)));
  const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
  const __m256 huge = _mm256_cmp_ps(abs_n, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
  const __m256 scaled =
      _mm256_blendv_ps(_mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1), _mm256_mul_ps(s1, s1), huge);
  return _mm256_blendv_ps(fast, scaled, out_of_range);
}

// silu(x) * g = x / (1 + exp(-x)) * g. exp(-x) overflows to +inf for
// x < -88.7, giving -0; it is 0 for large x, giving x.
__m256 SwiGlu8(__m256 x, __m256 g) {
  const __m256 e = Exp(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), g);
}

// gelu_tanh(x) * g, with 0.5 x (1 + tanh(y)) = x / (1 + exp(-2y)),
// y = sqrt(2/pi) (x + 0.044715 x^3): no cancellation for negative x, and the
// same limits as SwiGlu8 (exp overflow gives -0, underflow gives x).
__m256 GeGluTanh8(__m256 x, __m256 g) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  const __m256 x2 = _mm256_mul_ps(x, x);
  const __m256 inner = _mm256_mul_ps(
      x,
      _mm256_fmadd_ps(x2, _mm256_set1_ps(kSqrt2OverPi * 0.044715f), _mm256_set1_ps(kSqrt2OverPi)));
  const __m256 e = Exp(_mm256_mul_ps(inner, _mm256_set1_ps(-2.0f)));
  return _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), g);
}

// Applies op to whole vectors, then to the n % 8 tail through a padded copy,
// so the tail gets exactly the arithmetic of the vector body.
template <__m256 (*Op)(__m256, __m256)>
void GatedElementwise(const float* x, const float* g, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, Op(_mm256_loadu_ps(x + i), _mm256_loadu_ps(g + i)));
  }
  if (i == n) return;
  alignas(32) float xt[8] = {}, gt[8] = {}, yt[8];
  const size_t tail = static_cast<size_t>(n - i) * sizeof(float);
  std::memcpy(xt, x + i, tail);
  std::memcpy(gt, g + i, tail);
  _mm256_store_ps(yt, Op(_mm256_load_ps(xt), _mm256_load_ps(gt)));
  std::memcpy(y + i, yt, tail);
}

// ---- Attention ----

// Keys per block: as many as keep the converted K and V blocks in
// kKeyBlockFloats each, a multiple of 8 in [8, kMaxKeyBlock].
int64_t KeyBlock(int64_t head_dim) {
  int64_t kb = kKeyBlockFloats / head_dim / 8 * 8;
  if (kb > kMaxKeyBlock) kb = kMaxKeyBlock;
  return kb < 8 ? 8 : kb;
}

// Converts `count` f16 rows of head_dim values (row t at src + t * stride) to
// float rows at dst + t * head_dim.
void ConvertRows(const uint16_t* src, int64_t stride, int64_t count, int64_t head_dim, float* dst) {
  const int64_t hd8 = head_dim / 8 * 8;
  for (int64_t t = 0; t < count; ++t) {
    const uint16_t* s = src + t * stride;
    float* d = dst + t * head_dim;
    int64_t i = 0;
    for (; i < hd8; i += 8) {
      _mm256_storeu_ps(d + i,
                       _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
    }
    for (; i < head_dim; ++i) d[i] = _cvtsh_ss(s[i]);
  }
}

// Scores of q against 8 consecutive float key rows (k + j * head_dim), summed
// eight lanes at a time and reduced all together with horizontal adds.
void Dot8Keys(const float* q, const float* k, int64_t head_dim, float* scores) {
  const int64_t hd8 = head_dim / 8 * 8;
  __m256 acc[8];
  for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t d = 0; d < hd8; d += 8) {
    const __m256 qv = _mm256_loadu_ps(q + d);
    for (int j = 0; j < 8; ++j) {
      acc[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + j * head_dim + d), acc[j]);
    }
  }
  const __m256 t0 = _mm256_hadd_ps(acc[0], acc[1]);
  const __m256 t1 = _mm256_hadd_ps(acc[2], acc[3]);
  const __m256 t2 = _mm256_hadd_ps(acc[4], acc[5]);
  const __m256 t3 = _mm256_hadd_ps(acc[6], acc[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1);  // keys 0..3: low lanes | high lanes
  const __m256 u1 = _mm256_hadd_ps(t2, t3);  // keys 4..7
  _mm256_storeu_ps(scores, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                                         _mm256_permute2f128_ps(u0, u1, 0x31)));
  for (int64_t d = hd8; d < head_dim; ++d) {  // head_dim % 8 tail
    for (int j = 0; j < 8; ++j) scores[j] += q[d] * k[j * head_dim + d];
  }
}

// acc = acc * alpha + sum_j p[j] v[j] over `count` float value rows, eight
// registers of acc (64 dims) held across all the rows at a time.
void AccumulateValues(const float* p, const float* v, int64_t count, int64_t head_dim, float alpha,
                      float* acc) {
  const int64_t hd8 = head_dim / 8 * 8;
  const __m256 a = _mm256_set1_ps(alpha);
  int64_t d = 0;
  for (; d + 64 <= hd8; d += 64) {
    __m256 r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_mul_ps(_mm256_loadu_ps(acc + d + 8 * i), a);
    for (int64_t j = 0; j < count; ++j) {
      const __m256 pj = _mm256_broadcast_ss(p + j);
      const float* vj = v + j * head_dim + d;
      for (int i = 0; i < 8; ++i) r[i] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * i), r[i]);
    }
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(acc + d + 8 * i, r[i]);
  }
  for (; d < hd8; d += 8) {
    __m256 r = _mm256_mul_ps(_mm256_loadu_ps(acc + d), a);
    for (int64_t j = 0; j < count; ++j) {
      r = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_loadu_ps(v + j * head_dim + d), r);
    }
    _mm256_storeu_ps(acc + d, r);
  }
  for (; d < head_dim; ++d) {
    float r = acc[d] * alpha;
    for (int64_t j = 0; j < count; ++j) r += p[j] * v[j * head_dim + d];
    acc[d] = r;
  }
}

void RoundToF16(const float* x, int64_t n, float* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) y[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

// One row's running softmax state: max m and sum l of exp(score - m).
struct RowState {
  const float* q;
  float* out;
  int64_t first, last;  // the keys it attends to, inclusive
  float m, l;
};

// Folds keys [b0 + j0, b0 + j1) of the current block (converted in kf, vf)
// into one row: scores of the 8-key groups covering the row's keys in the
// block, masked outside [first, last], then the online-softmax update.
void RowBlock(RowState& row, const float* kf, const float* vf, int64_t b0, int64_t block_keys,
              int64_t head_dim, float scale, float* acc) {
  const int64_t lo = (row.first > b0 ? row.first : b0) - b0;
  const int64_t hi = (row.last < b0 + block_keys - 1 ? row.last : b0 + block_keys - 1) - b0;
  if (lo > hi) return;
  const int64_t j0 = lo / 8 * 8, j1 = (hi + 8) / 8 * 8;
  alignas(32) float s[kMaxKeyBlock];
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i vlo = _mm256_set1_epi32(static_cast<int>(lo) - 1);
  const __m256i vhi = _mm256_set1_epi32(static_cast<int>(hi) + 1);
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  __m256 vmax = neg_inf;
  for (int64_t j = j0; j < j1; j += 8) {
    Dot8Keys(row.q, kf + j * head_dim, head_dim, s + j);
    const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(j)),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i inside =
        _mm256_and_si256(_mm256_cmpgt_epi32(idx, vlo), _mm256_cmpgt_epi32(vhi, idx));
    const __m256 sv = _mm256_blendv_ps(neg_inf, _mm256_mul_ps(_mm256_load_ps(s + j), vscale),
                                       _mm256_castsi256_ps(inside));
    _mm256_store_ps(s + j, sv);
    vmax = _mm256_max_ps(vmax, sv);
  }
  const float block_max = HorizontalMax(vmax);
  const float m_new = block_max > row.m ? block_max : row.m;
  const float alpha = expf(row.m - m_new);  // 0 on the first block (m = -inf)
  const __m256 vm = _mm256_set1_ps(m_new);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t j = j0; j < j1; j += 8) {
    const __m256 p = Exp(_mm256_sub_ps(_mm256_load_ps(s + j), vm));  // masked: exp(-inf) = 0
    _mm256_store_ps(s + j, p);
    vsum = _mm256_add_ps(vsum, p);
  }
  row.l = row.l * alpha + HorizontalSum(vsum);
  row.m = m_new;
  AccumulateValues(s + lo, vf + lo * head_dim, hi + 1 - lo, head_dim, alpha, acc);
}

}  // namespace

void RmsNorm(const float* x, const float* w, float eps, int64_t n, float* y) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * j);
      acc[j] = _mm256_fmadd_ps(v, v, acc[j]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc[0] = _mm256_fmadd_ps(v, v, acc[0]);
  }
  float sum =
      HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += x[i] * x[i];
  const float mean = sum / static_cast<float>(n);
  const float scale = 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(mean + eps)));
  const __m256 vs = _mm256_set1_ps(scale);
  i = 0;
  if (w != nullptr) {
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(
          y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
    }
    for (; i < n; ++i) y[i] = x[i] * scale * w[i];
  } else {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
    for (; i < n; ++i) y[i] = x[i] * scale;
  }
}

void SwiGlu(const float* x, const float* g, float* y, int64_t n) {
  GatedElementwise<SwiGlu8>(x, g, y, n);
}

// The largest value (max_ps(x, m) keeps m where x is NaN), then the first
// index holding it: the same index as ArgMaxRef.
int64_t ArgMax(const float* x, int64_t n) {
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  __m256 m[4] = {neg_inf, neg_inf, neg_inf, neg_inf};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) m[k] = _mm256_max_ps(_mm256_loadu_ps(x + i + 8 * k), m[k]);
  }
  for (; i + 8 <= n; i += 8) m[0] = _mm256_max_ps(_mm256_loadu_ps(x + i), m[0]);
  float best = HorizontalMax(_mm256_max_ps(_mm256_max_ps(m[0], m[1]), _mm256_max_ps(m[2], m[3])));
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  const __m256 vb = _mm256_set1_ps(best);
  for (i = 0; i + 8 <= n; i += 8) {
    const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vb, _CMP_EQ_OQ));
    if (hit != 0) return i + __builtin_ctz(static_cast<unsigned>(hit));
  }
  for (; i < n; ++i) {
    if (x[i] == best) return i;
  }
  return 0;  // every value NaN (or n == 0)
}

void GeGluTanh(const float* x, const float* g, float* y, int64_t n) {
  GatedElementwise<GeGluTanh8>(x, g, y, n);
}

namespace {

// ConvertRows for cache rows [from, from + n) of base (k or v, at the KV
// head's offset), split where a paged cache's pages end.
void ConvertKeys(const AttentionArgs& a, const uint16_t* base, int64_t from, int64_t n, int64_t hd,
                 float* dst) {
  if (a.pages == nullptr) {
    ConvertRows(base + from * a.kv_stride, a.kv_stride, n, hd, dst);
    return;
  }
  while (n > 0) {
    const int64_t in_page = from % a.page_size;
    const int64_t run = n < a.page_size - in_page ? n : a.page_size - in_page;
    ConvertRows(a.Row(base, from), a.kv_stride, run, hd, dst);
    dst += run * hd;
    from += run;
    n -= run;
  }
}

}  // namespace

int64_t AttentionMaxRows(int64_t head_dim) {
  const int64_t rows = kAccFloats / head_dim;
  return rows > kMaxRows ? kMaxRows : rows;
}

void AttentionRows(const AttentionArgs& a, int64_t q_begin, int64_t q_end, int64_t h_begin,
                   int64_t h_end) {
  const int64_t hd = a.head_dim;
  const int64_t n_heads = h_end - h_begin;
  const int64_t n_rows = (q_end - q_begin) * n_heads;
  const int64_t kvh = h_begin / (a.n_head / a.n_head_kv);
  const int64_t kb = KeyBlock(hd);
  alignas(32) float kf[kKeyBlockFloats];  // [kb, hd] keys of the block, f32
  alignas(32) float vf[kKeyBlockFloats];  // [kb, hd] values of the block, f32
  alignas(32) float acc[kAccFloats];      // [n_rows, hd] unnormalised outputs
  alignas(32) float qr[kAccFloats];       // [n_rows, hd] queries rounded to f16
  RowState rows[kMaxRows];
  std::memset(acc, 0, static_cast<size_t>(n_rows * hd) * sizeof(float));
  for (int64_t i = q_begin; i < q_end; ++i) {
    const int64_t pos = a.pos0 + i;
    const int64_t first = a.FirstKey(pos);
    for (int64_t h = h_begin; h < h_end; ++h) {
      const int64_t ri = (i - q_begin) * n_heads + (h - h_begin);
      RowState& r = rows[ri];
      // The query rounded to f16, as llama.cpp's CPU path multiplies it with
      // the f16 keys (this keeps the scores, and so greedy decoding, closest
      // to the engine Kiln is measured against).
      RoundToF16(a.q + i * a.q_stride + h * hd, hd, qr + ri * hd);
      r = {qr + ri * hd, a.out + i * a.out_stride + h * hd, first, pos, -INFINITY, 0.0f};
    }
  }
  // Keys of the whole call: from the first query's window start to the last
  // query. Blocks start at multiples of kb whatever the call's rows.
  const int64_t key_lo = rows[0].first, key_hi = rows[n_rows - 1].last;
  const uint16_t* k = a.k + kvh * hd;
  const uint16_t* v = a.v + kvh * hd;
  for (int64_t b0 = key_lo / kb * kb; b0 <= key_hi; b0 += kb) {
    const int64_t lo = (key_lo > b0 ? key_lo : b0) - b0;
    const int64_t hi = (key_hi < b0 + kb - 1 ? key_hi : b0 + kb - 1) - b0;
    ConvertKeys(a, k, b0 + lo, hi + 1 - lo, hd, kf + lo * hd);
    ConvertKeys(a, v, b0 + lo, hi + 1 - lo, hd, vf + lo * hd);
    // Keys of the 8-key groups around [lo, hi] that are not in the cache
    // range: zero, then masked.
    const int64_t g0 = lo / 8 * 8, g1 = (hi + 8) / 8 * 8;
    std::memset(kf + g0 * hd, 0, static_cast<size_t>((lo - g0) * hd) * sizeof(float));
    std::memset(kf + (hi + 1) * hd, 0, static_cast<size_t>((g1 - hi - 1) * hd) * sizeof(float));
    for (int64_t r = 0; r < n_rows; ++r) {
      RowBlock(rows[r], kf, vf, b0, hi + 1, hd, a.scale, acc + r * hd);
    }
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    const __m256 inv = _mm256_set1_ps(1.0f / rows[r].l);
    const float* src = acc + r * hd;
    float* dst = rows[r].out;
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8)
      _mm256_storeu_ps(dst + d, _mm256_mul_ps(_mm256_loadu_ps(src + d), inv));
    for (; d < hd; ++d) dst[d] = src[d] * (1.0f / rows[r].l);
  }
}

}  // namespace kiln::kernels::cpu::avx2
