// SIMD activation quantizers and quantized dot kernels (quant_x86.h).
//
// Built twice: as is with -mavx2 -mfma -mf16c (namespace avx2), and by
// quant_avx512.cc with AVX-512 VL + VNNI added (namespace avx512), where the
// u8 x s8 block sums become one vpdpbusd instead of vpmaddubsw + vpmaddwd.
// The integer block sums are exact either way (no int16 saturation can occur
// for the value ranges of these formats), so both builds give the same
// results up to the order of float additions.
//
// Only <immintrin.h>, <cstdint>, <cstring> and headers of plain structs and
// declarations are included: an inline function compiled here with AVX2
// could otherwise be the copy the linker keeps for baseline code.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/blocks.h"
#include "kernels/cpu/x86/quant_x86.h"

#ifndef KILN_X86_NS
#define KILN_X86_NS avx2
#define KILN_X86_VNNI 0
#endif

namespace kiln::kernels::cpu::KILN_X86_NS {
namespace {

float H2F(uint16_t h) { return _cvtsh_ss(h); }
uint16_t F2H(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }

float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

int HSumI(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

float HMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Sums of four adjacent u8 x s8 products, as 8 int32 lanes.
__m256i DotU8S8(__m256i u, __m256i s) {
#if KILN_X86_VNNI
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

// Signed x signed: |w| x (x with w's sign).
__m256i DotS8S8(__m256i abs_w, __m256i w, __m256i x) {
  return DotU8S8(abs_w, _mm256_sign_epi8(x, w));
}

// The 32 nibbles of 16 bytes: low nibbles first, then high (the legacy order).
__m256i Nibbles(const uint8_t* qs) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
}

// Byte j = 0xFF where bit j of `bits` is set, else 0.
__m256i BytesFromBits(uint32_t bits) {
  const __m256i shuffle = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                             0x0202020202020202, 0x0303030303030303);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuffle);
  v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1));
}

// 32 floats * scale, rounded to nearest even, as 32 int8 in order; `sum` gets
// the sum of the 32 codes.
__m256i RoundToI8(const float* x, __m256 scale, int* sum) {
  __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), scale));
  __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), scale));
  __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), scale));
  __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), scale));
  if (sum != nullptr) {
    *sum = HSumI(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
  }
  // packs interleave 128-bit lanes; the permute restores the order.
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

float AbsMax32(const float* x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_andnot_ps(sign, _mm256_loadu_ps(x));
  m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8)));
  m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 16)));
  m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 24)));
  return HMax(m);
}

// f16 pairs (d, m) or (d, s) stored side by side, as two floats in lanes 0, 1.
__m128 HalfPair(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(v)));
}

// A single activation row (decode) gets U = 2 independent accumulator chains
// so that consecutive blocks do not wait on each other's FMA latency; with
// several rows the rows' chains already interleave.
template <int NC>
constexpr int Unroll() {
  return NC == 1 ? 2 : 1;
}

template <int NC>
void DotQ4_1N(const void* w_row, const uint8_t* const* x, int64_t n, float* out) {
  constexpr int U = Unroll<NC>();
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const BlockQ8_1* xb[NC];
  __m256 acc[NC][U];
  __m128 mins[NC][U];  // lane 1: sum of m_w * s_x (lane 0 unused)
  for (int c = 0; c < NC; ++c) {
    xb[c] = reinterpret_cast<const BlockQ8_1*>(x[c]);
    for (int u = 0; u < U; ++u) {
      acc[c][u] = _mm256_setzero_ps();
      mins[c][u] = _mm_setzero_ps();
    }
  }
  auto block = [&](int64_t i, int u) {
    const __m256i wv = Nibbles(w[i].qs);
    const __m128 wdm = HalfPair(&w[i].d);  // d_w, m_w
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_1& b = xb[c][i];
      const __m128 prod = _mm_mul_ps(wdm, HalfPair(&b.d));  // d_w d_x, m_w s_x
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
      const __m256 p = _mm256_cvtepi32_ps(DotU8S8(wv, xv));
      acc[c][u] = _mm256_fmadd_ps(_mm256_broadcastss_ps(prod), p, acc[c][u]);
      mins[c][u] = _mm_add_ps(mins[c][u], prod);
    }
  };
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + U <= nb; i += U) {
    for (int u = 0; u < U; ++u) block(i + u, u);
  }
  for (; i < nb; ++i) block(i, 0);
  for (int c = 0; c < NC; ++c) {
    __m256 a = acc[c][0];
    __m128 m = mins[c][0];
    for (int u = 1; u < U; ++u) {
      a = _mm256_add_ps(a, acc[c][u]);
      m = _mm_add_ps(m, mins[c][u]);
    }
    out[c] = HSum(a) + _mm_cvtss_f32(_mm_movehdup_ps(m));
  }
}

// Q5_0 and Q8_0: signed weight codes against Q8_0 activations.
template <int NC, bool kQ5>
void DotSignedN(const void* w_row, const uint8_t* const* x, int64_t n, float* out) {
  constexpr int U = Unroll<NC>();
  const BlockQ8_0* xb[NC];
  __m256 acc[NC][U];
  for (int c = 0; c < NC; ++c) {
    xb[c] = reinterpret_cast<const BlockQ8_0*>(x[c]);
    for (int u = 0; u < U; ++u) acc[c][u] = _mm256_setzero_ps();
  }
  auto block = [&](int64_t i, int u) {
    __m256i wv;
    float dw;
    if constexpr (kQ5) {
      const BlockQ5_0& b = static_cast<const BlockQ5_0*>(w_row)[i];
      uint32_t qh;
      std::memcpy(&qh, b.qh, sizeof(qh));
      // code - 16: the nibble where the fifth bit is set, nibble | 0xF0 where not.
      wv = _mm256_or_si256(Nibbles(b.qs),
                           _mm256_andnot_si256(BytesFromBits(qh), _mm256_set1_epi8(char(0xF0))));
      dw = H2F(b.d);
    } else {
      const BlockQ8_0& b = static_cast<const BlockQ8_0*>(w_row)[i];
      wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
      dw = H2F(b.d);
    }
    const __m256i aw = _mm256_sign_epi8(wv, wv);
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_0& b = xb[c][i];
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
      const __m256 p = _mm256_cvtepi32_ps(DotS8S8(aw, wv, xv));
      acc[c][u] = _mm256_fmadd_ps(_mm256_set1_ps(dw * H2F(b.d)), p, acc[c][u]);
    }
  };
  const int64_t nb = n / kQK;
  int64_t i = 0;
  for (; i + U <= nb; i += U) {
    for (int u = 0; u < U; ++u) block(i + u, u);
  }
  for (; i < nb; ++i) block(i, 0);
  for (int c = 0; c < NC; ++c) {
    __m256 a = acc[c][0];
    for (int u = 1; u < U; ++u) a = _mm256_add_ps(a, acc[c][u]);
    out[c] = HSum(a);
  }
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
// Decode (one activation row) on 512-bit vectors: two blocks per vector, two
// accumulator chains, four blocks per iteration; the f16 scales of a block
// pair are converted together and spread over their halves of the vector.

// Lanes 0-7 = v[0], lanes 8-15 = v[1].
__m512 SpreadPair(__m128 v) {
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                               _mm512_castps128_ps512(v));
}

// Two f16 values (at a and b) as floats in lanes 0 and 1.
__m128 HalfPairAt(const uint16_t* a, const uint16_t* b) {
  __m128i h = _mm_cvtsi32_si128(*a);
  h = _mm_insert_epi16(h, *b, 1);
  return _mm_cvtph_ps(h);
}

__m512i Load2x256(const void* a, const void* b) {
  return _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(a))),
      _mm256_loadu_si256(static_cast<const __m256i*>(b)), 1);
}

__m512i Nibbles2(const uint8_t* qa, const uint8_t* qb) {
  const __m256i q = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qa))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(qb)), 1);
  // [lo(a), lo(b)] and [hi(a), hi(b)] -> [lo(a), hi(a), lo(b), hi(b)]
  const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1);
  const __m512i order = _mm512_setr_epi64(0, 1, 4, 5, 2, 3, 6, 7);
  return _mm512_and_si512(_mm512_permutexvar_epi64(order, both), _mm512_set1_epi8(0x0F));
}

// Runs pair(i, u) over the block pairs of nb blocks, alternating the two
// accumulator chains u = 0, 1; returns the index of the odd block left over
// (nb when there is none).
template <typename Pair>
int64_t ForEachPair(int64_t nb, Pair&& pair) {
  int64_t i = 0;
  for (; i + 4 <= nb; i += 4) {
    pair(i, 0);
    pair(i + 2, 1);
  }
  if (i + 2 <= nb) {
    pair(i, 0);
    i += 2;
  }
  return i;
}

// Signed x signed block sums of 64 bytes: |w| x (x with w's sign).
__m512i DotS8S8x512(__m512i w, __m512i x) {
  const __m512i sx = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(w), sx);
}

// Q8_0 and Q5_0 weights (signed codes) with Q8_0 activations, two blocks a
// vector; the two differ only in how a block pair's codes are made.
template <bool kQ5>
float DotSignedDecode512(const void* w_row, const uint8_t* x_row, int64_t n) {
  using Block = std::conditional_t<kQ5, BlockQ5_0, BlockQ8_0>;
  const auto* w = static_cast<const Block*>(w_row);
  const auto* x = reinterpret_cast<const BlockQ8_0*>(x_row);
  const int64_t nb = n / kQK;
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  auto codes = [&](int64_t i) {
    if constexpr (kQ5) {
      uint32_t qa, qb;
      std::memcpy(&qa, w[i].qh, sizeof(qa));
      std::memcpy(&qb, w[i + 1].qh, sizeof(qb));
      // The fifth bits of both blocks as one byte mask: code - 16 is the nibble
      // where the bit is set, nibble | 0xF0 where it is not.
      const __mmask64 high =
          _cvtu64_mask64(static_cast<uint64_t>(qa) | (static_cast<uint64_t>(qb) << 32));
      const __m512i nib = Nibbles2(w[i].qs, w[i + 1].qs);
      const __m512i wv =
          _mm512_mask_blend_epi8(high, _mm512_or_si512(nib, _mm512_set1_epi8(char(0xF0))), nib);
      return wv;
    } else {
      return Load2x256(w[i].qs, w[i + 1].qs);
    }
  };
  auto pair = [&](int64_t i, int u) {
    const __m512i wv = codes(i);
    const __m512i xv = Load2x256(x[i].qs, x[i + 1].qs);
    const __m512i dot = DotS8S8x512(wv, xv);
    const __m128 d = _mm_mul_ps(HalfPairAt(&w[i].d, &w[i + 1].d), HalfPairAt(&x[i].d, &x[i + 1].d));
    acc[u] = _mm512_fmadd_ps(SpreadPair(d), _mm512_cvtepi32_ps(dot), acc[u]);
  };
  const int64_t i = ForEachPair(nb, pair);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
  if (i < nb) {
    float tail;
    const uint8_t* xr = reinterpret_cast<const uint8_t*>(x + i);
    DotSignedN<1, kQ5>(w + i, &xr, kQK, &tail);
    sum += tail;
  }
  return sum;
}

float DotQ8_0Decode512(const void* w_row, const uint8_t* x_row, int64_t n) {
  return DotSignedDecode512<false>(w_row, x_row, n);
}

float DotQ4_1Decode512(const void* w_row, const uint8_t* x_row, int64_t n) {
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const auto* x = reinterpret_cast<const BlockQ8_1*>(x_row);
  const int64_t nb = n / kQK;
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  __m128 mins = _mm_setzero_ps();
  auto pair = [&](int64_t i, int u) {
    const __m512i wv = Nibbles2(w[i].qs, w[i + 1].qs);
    const __m512i xv = Load2x256(x[i].qs, x[i + 1].qs);
    const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, xv);
    // (d, m) of both weight blocks times (d, s) of both activation blocks.
    const __m128 wdm = _mm_castsi128_ps(_mm_unpacklo_epi64(
        _mm_castps_si128(HalfPair(&w[i].d)), _mm_castps_si128(HalfPair(&w[i + 1].d))));
    const __m128 xds = _mm_castsi128_ps(_mm_unpacklo_epi64(
        _mm_castps_si128(HalfPair(&x[i].d)), _mm_castps_si128(HalfPair(&x[i + 1].d))));
    const __m128 prod = _mm_mul_ps(wdm, xds);  // dA, mA sA, dB, mB sB
    mins = _mm_add_ps(mins, prod);
    acc[u] = _mm512_fmadd_ps(SpreadPair(_mm_shuffle_ps(prod, prod, _MM_SHUFFLE(2, 2, 2, 0))),
                             _mm512_cvtepi32_ps(dot), acc[u]);
  };
  const int64_t i = ForEachPair(nb, pair);
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
  alignas(16) float m[4];
  _mm_store_ps(m, mins);
  sum += m[1] + m[3];
  if (i < nb) {
    float tail;
    const uint8_t* xr = reinterpret_cast<const uint8_t*>(x + i);
    DotQ4_1N<1>(w + i, &xr, kQK, &tail);
    sum += tail;
  }
  return sum;
}
float DotQ5_0Decode512(const void* w_row, const uint8_t* x_row, int64_t n) {
  return DotSignedDecode512<true>(w_row, x_row, n);
}
#define KILN_HAVE_DECODE512 1
#endif

template <int NC>
void DotQ4_KN(const void* w_row, const uint8_t* const* x, int64_t n, float* out) {
  const auto* w = static_cast<const BlockQ4_K*>(w_row);
  const BlockQ8_K* xb[NC];
  __m256 acc[NC];
  float mins[NC];
  for (int c = 0; c < NC; ++c) {
    xb[c] = reinterpret_cast<const BlockQ8_K*>(x[c]);
    acc[c] = _mm256_setzero_ps();
    mins[c] = 0.0f;
  }
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    UnpackScalesMinsK4(w[i].scales, sc, m);
    const float d = H2F(w[i].d), dmin = H2F(w[i].dmin);
    __m256i isum[NC];
    for (int c = 0; c < NC; ++c) isum[c] = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs + 32 * j));
      const __m256i lo = _mm256_and_si256(q, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      const __m256i s_lo = _mm256_set1_epi16(sc[2 * j]);
      const __m256i s_hi = _mm256_set1_epi16(sc[2 * j + 1]);
      for (int c = 0; c < NC; ++c) {
        const int8_t* xq = xb[c][i].qs + 64 * j;
        const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
        const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 32));
        isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(_mm256_maddubs_epi16(lo, xl), s_lo));
        isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xh), s_hi));
      }
    }
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_K& b = xb[c][i];
      int summ = 0;
      for (int j = 0; j < 8; ++j) summ += m[j] * (b.bsums[2 * j] + b.bsums[2 * j + 1]);
      acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * b.d), _mm256_cvtepi32_ps(isum[c]), acc[c]);
      mins[c] += dmin * b.d * static_cast<float>(summ);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]) - mins[c];
}

template <int NC>
void DotQ6_KN(const void* w_row, const uint8_t* const* x, int64_t n, float* out) {
  const auto* w = static_cast<const BlockQ6_K*>(w_row);
  const BlockQ8_K* xb[NC];
  __m256 acc[NC];
  float offs[NC];
  for (int c = 0; c < NC; ++c) {
    xb[c] = reinterpret_cast<const BlockQ8_K*>(x[c]);
    acc[c] = _mm256_setzero_ps();
    offs[c] = 0.0f;
  }
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ6_K& b = w[i];
    const float d = H2F(b.d);
    __m256i isum[NC];
    for (int c = 0; c < NC; ++c) isum[c] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b.ql + 64 * h;
      const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
      // Unsigned codes 0..63 of the half's four runs of 32 values.
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(qa, m4),
                             _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(qb, m4),
                             _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qa, 4), m4),
                             _mm256_and_si256(qh, _mm256_set1_epi8(0x30)));
      q[3] =
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qb, 4), m4),
                          _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(char(0xC0))), 2));
      const int8_t* sc = b.scales + 8 * h;
      for (int r = 0; r < 4; ++r) {
        const __m256i s =
            _mm256_set_m128i(_mm_set1_epi16(sc[2 * r + 1]), _mm_set1_epi16(sc[2 * r]));
        for (int c = 0; c < NC; ++c) {
          const int8_t* xq = xb[c][i].qs + 128 * h + 32 * r;
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
          isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(_mm256_maddubs_epi16(q[r], xv), s));
        }
      }
    }
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_K& xk = xb[c][i];
      // The codes are stored + 32: subtract 32 * sum of scale x group sum.
      int off = 0;
      for (int g = 0; g < 16; ++g) off += b.scales[g] * xk.bsums[g];
      acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d * xk.d), _mm256_cvtepi32_ps(isum[c]), acc[c]);
      offs[c] += d * xk.d * static_cast<float>(32 * off);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]) - offs[c];
}

template <int NC, bool kF16>
void DotFloatN(const void* w_row, const uint8_t* const* x, int64_t n, float* out) {
  __m256 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
  auto load = [](const void* p, int64_t i) {
    if constexpr (kF16) {
      return _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(p) + i)));
    } else {
      return _mm256_loadu_ps(static_cast<const float*>(p) + i);
    }
  };
  auto scalar = [](const void* p, int64_t i) {
    if constexpr (kF16) {
      return H2F(static_cast<const uint16_t*>(p)[i]);
    } else {
      return static_cast<const float*>(p)[i];
    }
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = load(w_row, i);
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_fmadd_ps(wv, load(x[c], i), acc[c]);
  }
  for (int c = 0; c < NC; ++c) {
    float s = HSum(acc[c]);
    for (int64_t j = i; j < n; ++j) s += scalar(w_row, j) * scalar(x[c], j);
    out[c] = s;
  }
}

// Calls kernel(std::integral_constant<int, nc>) for the nc in 1..kMaxDotCols
// the caller asked for, so that each kernel is instantiated per row count.
template <typename Kernel>
void ByCols(int nc, Kernel&& kernel) {
  switch (nc) {
    case 1:
      kernel(std::integral_constant<int, 1>{});
      break;
    case 2:
      kernel(std::integral_constant<int, 2>{});
      break;
    case 3:
      kernel(std::integral_constant<int, 3>{});
      break;
    default:
      kernel(std::integral_constant<int, 4>{});
      break;
  }
}

// Q8_0 and Q8_1 activations: scale amax / 127; Q8_1 also keeps d * sum(codes).
template <typename Block, bool kWithSum>
void QuantizeLegacy(const float* x, void* y, int64_t n) {
  auto* out = static_cast<Block*>(y);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* xb = x + i * kQK;
    const float amax = AbsMax32(xb);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[i].qs),
                        RoundToI8(xb, _mm256_set1_ps(id), kWithSum ? &sum : nullptr));
    out[i].d = F2H(d);
    if constexpr (kWithSum) out[i].s = F2H(static_cast<float>(sum) * d);
  }
}

}  // namespace

void QuantizeQ8_0(const float* x, void* y, int64_t n) { QuantizeLegacy<BlockQ8_0, false>(x, y, n); }

void QuantizeQ8_1(const float* x, void* y, int64_t n) { QuantizeLegacy<BlockQ8_1, true>(x, y, n); }

void QuantizeQ8_K(const float* x, void* y, int64_t n) {
  auto* out = static_cast<BlockQ8_K*>(y);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* xb = x + i * kQK_K;
    BlockQ8_K& b = out[i];
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < kQK_K; j += 8)
      m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + j)));
    const float amax = HMax(m);
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // As the reference: the first value of largest magnitude, with its sign.
    float max = 0.0f;
    const __m256 vmax = _mm256_set1_ps(amax);
    for (int j = 0; j < kQK_K; j += 8) {
      const int mask = _mm256_movemask_ps(
          _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(xb + j)), vmax, _CMP_EQ_OQ));
      if (mask != 0) {
        max = xb[j + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int j = 0; j < kQK_K; j += 32) {
      // min(127, code): only +128 can overflow (when max was negative).
      const float* xs = xb + j;
      __m256i c[4];
      for (int k = 0; k < 4; ++k) {
        c[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xs + 8 * k), vs)),
                                _mm256_set1_epi32(127));
      }
      const __m256i p =
          _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
      const __m256i q = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(b.qs + j), q);
      // Group sums of 16: widen to int16 and add pairs up.
      const __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(q));
      const __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1));
      b.bsums[j / 16] = static_cast<int16_t>(HSumI(_mm256_madd_epi16(w0, _mm256_set1_epi16(1))));
      b.bsums[j / 16 + 1] =
          static_cast<int16_t>(HSumI(_mm256_madd_epi16(w1, _mm256_set1_epi16(1))));
    }
    b.d = 1.0f / iscale;
  }
}

void DotQ4_1(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
#ifdef KILN_HAVE_DECODE512
  if (nc == 1) {
    out[0] = DotQ4_1Decode512(w, x[0], n);
    return;
  }
#endif
  ByCols(nc, [&](auto c) { DotQ4_1N<decltype(c)::value>(w, x, n, out); });
}
void DotQ5_0(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
#ifdef KILN_HAVE_DECODE512
  if (nc == 1) {
    out[0] = DotQ5_0Decode512(w, x[0], n);
    return;
  }
#endif
  ByCols(nc, [&](auto c) { DotSignedN<decltype(c)::value, true>(w, x, n, out); });
}
void DotQ8_0(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
#ifdef KILN_HAVE_DECODE512
  if (nc == 1) {
    out[0] = DotQ8_0Decode512(w, x[0], n);
    return;
  }
#endif
  ByCols(nc, [&](auto c) { DotSignedN<decltype(c)::value, false>(w, x, n, out); });
}
void DotQ4_K(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
  ByCols(nc, [&](auto c) { DotQ4_KN<decltype(c)::value>(w, x, n, out); });
}
void DotQ6_K(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
  ByCols(nc, [&](auto c) { DotQ6_KN<decltype(c)::value>(w, x, n, out); });
}
void DotF32(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
  ByCols(nc, [&](auto c) { DotFloatN<decltype(c)::value, false>(w, x, n, out); });
}
void DotF16(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out) {
  ByCols(nc, [&](auto c) { DotFloatN<decltype(c)::value, true>(w, x, n, out); });
}

#ifdef KILN_HAVE_DECODE512
// ---- AVX-512 column kernels ----
// Products of one weight row with a few activation rows (matmul.cc sends
// batches of 2 or 3: the decode step of a few chats at once). Each pair of weight blocks is
// unpacked once into a vector of 64 unsigned codes and meets every column's
// 64 codes with one vpdpbusd; the columns come pre-laid out (PackCols): per
// block pair, the 64 codes, the scales spread over the two halves of a
// vector, and d * sum(codes) / 8 the same way, so the weight's offset or
// minimum (g) joins with one multiply-add per lane. Signed formats are made
// unsigned (+8, +16, +128) and the offset subtracted the same way:
//   row . x = sum over blocks of f * d_x * sum(q_u x) + g * d_x * sum(x).
namespace {

constexpr size_t kColBytes = 64 + 2 * 64;  // codes, spread d, spread d * sum / 8

// Lanes 0-7 = a, lanes 8-15 = b.
__m512 Spread(float a, float b) {
  return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(a), _mm512_set1_ps(b));
}

// Per weight format: the unsigned codes of blocks i and i + 1 (i + 1 < nb, or
// zeros), and their f and g.
struct Q4_1 {
  using Block = BlockQ4_1;
  static __m512i Codes(const Block* w, int64_t i, bool second) {
    static const uint8_t kZero[16] = {};
    return Nibbles2(w[i].qs, second ? w[i + 1].qs : kZero);
  }
  static float F(const Block& b) { return H2F(b.d); }
  static float G(const Block& b) { return H2F(b.m); }
};

struct Q5_0 {
  using Block = BlockQ5_0;
  static __m512i Codes(const Block* w, int64_t i, bool second) {
    static const uint8_t kZero[16] = {};
    const __m512i q = Nibbles2(w[i].qs, second ? w[i + 1].qs : kZero);
    uint32_t h0, h1 = 0;
    std::memcpy(&h0, w[i].qh, 4);
    if (second) std::memcpy(&h1, w[i + 1].qh, 4);
    const __mmask64 bits = static_cast<__mmask64>(h0) | static_cast<__mmask64>(h1) << 32;
    return _mm512_mask_add_epi8(q, bits, q, _mm512_set1_epi8(16));
  }
  static float F(const Block& b) { return H2F(b.d); }
  static float G(const Block& b) { return -16.0f * H2F(b.d); }
};

struct Q8_0 {
  using Block = BlockQ8_0;
  static __m512i Codes(const Block* w, int64_t i, bool second) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs));
    const __m256i hi = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i + 1].qs))
                              : _mm256_set1_epi8(static_cast<char>(0x80));  // 0 once flipped
    const __m512i q = _mm512_inserti64x4(_mm512_zextsi256_si512(lo), hi, 1);
    return _mm512_xor_si512(q, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  static float F(const Block& b) { return H2F(b.d); }
  static float G(const Block& b) { return -128.0f * H2F(b.d); }
};

template <typename T, int NC>
void ColsN(const void* w_row, const uint8_t* cols, int64_t n, float* out) {
  const auto* w = static_cast<const typename T::Block*>(w_row);
  const int64_t nb = n / 32, pairs = (nb + 1) / 2;
  __m512 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t q = 0; q < pairs; ++q) {
    const int64_t i = 2 * q;
    const bool second = i + 1 < nb;
    const __m512i wv = T::Codes(w, i, second);
    const __m512 f = Spread(T::F(w[i]), second ? T::F(w[i + 1]) : 0.0f);
    const __m512 g = Spread(T::G(w[i]), second ? T::G(w[i + 1]) : 0.0f);
    const uint8_t* xq = cols + q * NC * kColBytes;
#pragma GCC unroll 8
    for (int c = 0; c < NC; ++c) {
      const uint8_t* x = xq + c * kColBytes;
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, _mm512_loadu_si512(x));
      const __m512 dx = _mm512_loadu_ps(reinterpret_cast<const float*>(x + 64));
      const __m512 sx = _mm512_loadu_ps(reinterpret_cast<const float*>(x + 128));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(f, dx), acc[c]);
      acc[c] = _mm512_fmadd_ps(g, sx, acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
}

template <typename T>
void Cols(const void* w_row, const uint8_t* cols, int nc, int64_t n, float* out) {
  static_assert(kMaxColumns == 3);
  if (nc == 2) {
    ColsN<T, 2>(w_row, cols, n, out);
  } else {
    ColsN<T, 3>(w_row, cols, n, out);
  }
}

}  // namespace

size_t ColsBytes(int64_t nc, int64_t n) {
  return static_cast<size_t>((n / 32 + 1) / 2 * nc) * kColBytes;
}

void PackCols(bool q8_1, const uint8_t* x, size_t row_bytes, int nc, int64_t n, uint8_t* cols) {
  const int64_t nb = n / 32, pairs = (nb + 1) / 2;
  const size_t block_bytes = q8_1 ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
  const size_t qs_at = q8_1 ? 4 : 2;
  for (int64_t q = 0; q < pairs; ++q) {
    for (int c = 0; c < nc; ++c) {
      uint8_t* dst = cols + (q * nc + c) * kColBytes;
      float d[2] = {0, 0}, s[2] = {0, 0};
      for (int h = 0; h < 2; ++h) {
        const int64_t i = 2 * q + h;
        if (i >= nb) {
          std::memset(dst + 32 * h, 0, 32);
          continue;
        }
        const uint8_t* blk = x + c * row_bytes + i * block_bytes;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        d[h] = H2F(dh);
        const auto* qs = reinterpret_cast<const int8_t*>(blk + qs_at);
        std::memcpy(dst + 32 * h, qs, 32);
        if (q8_1) {  // the dots of Q4_1/Q5_1 use the block's stored f16 d * sum
          uint16_t sh;
          std::memcpy(&sh, blk + 2, 2);
          s[h] = H2F(sh);
        } else {
          int sum = 0;
          for (int k = 0; k < 32; ++k) sum += qs[k];
          s[h] = d[h] * static_cast<float>(sum);
        }
      }
      _mm512_storeu_ps(reinterpret_cast<float*>(dst + 64), Spread(d[0], d[1]));
      _mm512_storeu_ps(reinterpret_cast<float*>(dst + 128), Spread(s[0] / 8, s[1] / 8));
    }
  }
}

void ColsQ4_1(const void* w, const uint8_t* cols, int nc, int64_t n, float* out) {
  Cols<Q4_1>(w, cols, nc, n, out);
}
void ColsQ5_0(const void* w, const uint8_t* cols, int nc, int64_t n, float* out) {
  Cols<Q5_0>(w, cols, nc, n, out);
}
void ColsQ8_0(const void* w, const uint8_t* cols, int nc, int64_t n, float* out) {
  Cols<Q8_0>(w, cols, nc, n, out);
}

#endif  // KILN_HAVE_DECODE512

}  // namespace kiln::kernels::cpu::KILN_X86_NS
