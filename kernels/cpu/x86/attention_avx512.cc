// AVX-512 attention for several queries at once (prompts, prefix-cached
// turns): ops.h's Attention as small matrix products. Per block of 32 keys,
// K is converted once into a transposed float block so that the scores of
// four rows come from broadcast-multiply-adds (no horizontal sums), and the
// values are accumulated four rows at a time, each V row loaded once for all
// four. Same online softmax as the AVX2 kernel (ops_avx2.cc), same f16
// rounding of the queries, keys walked in blocks at fixed positions: a row's
// result depends on neither the rows it is grouped with nor the pool.
//
// Only intrinsics and this file's own internal functions (see
// kernels/cpu/CMakeLists.txt).
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/x86/ops_x86.h"

namespace kiln::kernels::cpu::avx512 {
namespace {

constexpr int64_t kKeys = 32;  // keys per block: two vectors of scores per row
constexpr int64_t kRows = 4;   // rows per register block
constexpr int64_t kMaxRows = 32;
constexpr int64_t kMaxHd = 256;

// exp(x) for x <= 0 (scores minus their running maximum): the polynomial of
// ops_avx2.cc's Exp; inputs below -87 give 0 (their weights are below f32's
// normal range next to the maximum's 1).
__m512 ExpNonPositive(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 shifter = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), shifter);
  const __m512 n = _mm512_sub_ps(z, shifter);
  __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x);
  b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), b);
  const __m512i e = _mm512_slli_epi32(_mm512_castps_si512(z), 23);
  const __m512 k = _mm512_castsi512_ps(_mm512_add_epi32(e, _mm512_set1_epi32(0x3f800000)));
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 p = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f)));
  const __m512 j = _mm512_fmadd_ps(p, u, _mm512_mul_ps(_mm512_set1_ps(0x1.ffffecp-1f), b));
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~tiny), _mm512_fmadd_ps(j, k, k));
}

// r[i] (row i of a 16 x 16 block) becomes column i.
void Transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int h = 0; h < 16; h += 8) {
    for (int i = 0; i < 4; ++i) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

struct RowState {
  const float* q;
  float* out;
  int64_t first, last;  // the keys it attends to, inclusive
  float m, l;
};

}  // namespace

bool AttentionSupports(int64_t head_dim) { return head_dim % 16 == 0 && head_dim <= kMaxHd; }

int64_t AttentionMaxRows(int64_t) { return kMaxRows; }

void AttentionRows(const AttentionArgs& a, int64_t q_begin, int64_t q_end, int64_t h_begin,
                   int64_t h_end) {
  const int64_t hd = a.head_dim;
  const int64_t n_heads = h_end - h_begin;
  const int64_t n_rows = (q_end - q_begin) * n_heads;
  const int64_t kvh = h_begin / (a.n_head / a.n_head_kv);
  alignas(64) float kt[kMaxHd * kKeys];      // the block's keys, transposed: [d][j]
  alignas(64) float vf[kKeys * kMaxHd];      // its values: [j][d]
  alignas(64) float qr[kMaxRows * kMaxHd];   // queries rounded to f16
  alignas(64) float acc[kMaxRows * kMaxHd];  // unnormalised outputs
  alignas(64) float pr[kRows * kKeys];       // softmax weights of a register block
  alignas(64) float zeros[kMaxHd] = {};      // the query of a missing row
  alignas(64) float spare[kMaxHd] = {};      // the output of a missing row
  RowState rows[kMaxRows];
  std::memset(acc, 0, static_cast<size_t>(n_rows * hd) * sizeof(float));
  for (int64_t i = q_begin; i < q_end; ++i) {
    const int64_t pos = a.pos0 + i;
    const int64_t first = a.FirstKey(pos);
    for (int64_t h = h_begin; h < h_end; ++h) {
      const int64_t ri = (i - q_begin) * n_heads + (h - h_begin);
      const float* q = a.q + i * a.q_stride + h * hd;
      float* qd = qr + ri * hd;
      for (int64_t d = 0; d < hd; d += 16) {  // as llama.cpp meets the f16 keys
        _mm512_store_ps(qd + d, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_loadu_ps(q + d),
                                                                _MM_FROUND_TO_NEAREST_INT)));
      }
      rows[ri] = {qd, a.out + i * a.out_stride + h * hd, first, pos, -INFINITY, 0.0f};
    }
  }
  const int64_t key_lo = rows[0].first, key_hi = rows[n_rows - 1].last;
  const uint16_t* k_base = a.k + kvh * hd;
  const uint16_t* v_base = a.v + kvh * hd;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t b0 = key_lo / kKeys * kKeys; b0 <= key_hi; b0 += kKeys) {
    const int64_t lo = (key_lo > b0 ? key_lo : b0) - b0;
    const int64_t hi = (key_hi < b0 + kKeys - 1 ? key_hi : b0 + kKeys - 1) - b0;
    // K, transposed 16 keys x 16 dimensions at a time in registers (keys
    // outside [lo, hi] as zeros); V as it is.
    for (int64_t j0 = 0; j0 < kKeys; j0 += 16) {
      if (j0 > hi || j0 + 15 < lo) {
        for (int64_t d = 0; d < hd; ++d) _mm512_store_ps(kt + d * kKeys + j0, _mm512_setzero_ps());
        continue;
      }
      const uint16_t* kr[16];
      for (int i = 0; i < 16; ++i) {
        const int64_t j = j0 + i;
        kr[i] = j >= lo && j <= hi ? a.Row(k_base, b0 + j) : nullptr;
      }
      for (int64_t d = 0; d < hd; d += 16) {
        __m512 t[16];
        for (int i = 0; i < 16; ++i) {
          t[i] =
              kr[i] != nullptr
                  ? _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kr[i] + d)))
                  : _mm512_setzero_ps();
        }
        Transpose16(t);
        for (int i = 0; i < 16; ++i) _mm512_store_ps(kt + (d + i) * kKeys + j0, t[i]);
      }
    }
    for (int64_t j = lo; j <= hi; ++j) {
      const uint16_t* vr = a.Row(v_base, b0 + j);
      for (int64_t d = 0; d < hd; d += 16) {
        _mm512_store_ps(
            vf + j * hd + d,
            _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(vr + d))));
      }
    }
    for (int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
      const int nr = static_cast<int>(n_rows - r0 < kRows ? n_rows - r0 : kRows);
      // Scores: S[r][j] = q_r . k_j for the block's 32 keys, four rows always
      // (a short block's missing rows read zeros), so that the sums stay in
      // registers.
      const float* q[kRows];
      for (int r = 0; r < kRows; ++r) q[r] = r < nr ? rows[r0 + r].q : zeros;
      __m512 s[kRows][2];
      for (int r = 0; r < kRows; ++r) s[r][0] = s[r][1] = _mm512_setzero_ps();
      for (int64_t d = 0; d < hd; ++d) {
        const __m512 k0 = _mm512_load_ps(kt + d * kKeys), k1 = _mm512_load_ps(kt + d * kKeys + 16);
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          const __m512 qv = _mm512_set1_ps(q[r][d]);
          s[r][0] = _mm512_fmadd_ps(qv, k0, s[r][0]);
          s[r][1] = _mm512_fmadd_ps(qv, k1, s[r][1]);
        }
      }
      // Online softmax per row; weights into pr.
      float alpha[kRows];
      int64_t j_lo = kKeys, j_hi = -1;  // keys any of these rows uses
      for (int r = 0; r < nr; ++r) {
        RowState& row = rows[r0 + r];
        const int64_t rlo = (row.first > b0 ? row.first : b0) - b0;
        const int64_t rhi = (row.last < b0 + kKeys - 1 ? row.last : b0 + kKeys - 1) - b0;
        alpha[r] = 1.0f;
        if (rlo > rhi) {
          std::memset(pr + r * kKeys, 0, kKeys * sizeof(float));
          continue;
        }
        j_lo = rlo < j_lo ? rlo : j_lo;
        j_hi = rhi > j_hi ? rhi : j_hi;
        __mmask16 in[2];
        for (int h = 0; h < 2; ++h) {
          const __m512i idx = _mm512_add_epi32(lane, _mm512_set1_epi32(16 * h));
          in[h] =
              _mm512_cmp_epi32_mask(idx, _mm512_set1_epi32(static_cast<int>(rlo)), _MM_CMPINT_NLT) &
              _mm512_cmp_epi32_mask(idx, _mm512_set1_epi32(static_cast<int>(rhi)), _MM_CMPINT_LE);
          s[r][h] = _mm512_mask_blend_ps(in[h], _mm512_set1_ps(-INFINITY),
                                         _mm512_mul_ps(s[r][h], _mm512_set1_ps(a.scale)));
        }
        const float block_max = _mm512_reduce_max_ps(_mm512_max_ps(s[r][0], s[r][1]));
        const float m_new = block_max > row.m ? block_max : row.m;
        alpha[r] = expf(row.m - m_new);  // 0 on the row's first block
        const __m512 vm = _mm512_set1_ps(m_new);
        __m512 sum = _mm512_setzero_ps();
        for (int h = 0; h < 2; ++h) {
          const __m512 p = _mm512_maskz_mov_ps(in[h], ExpNonPositive(_mm512_sub_ps(s[r][h], vm)));
          _mm512_store_ps(pr + r * kKeys + 16 * h, p);
          sum = _mm512_add_ps(sum, p);
        }
        row.l = row.l * alpha[r] + _mm512_reduce_add_ps(sum);
        row.m = m_new;
      }
      if (j_lo > j_hi) continue;
      // Outputs: O_r = alpha_r O_r + sum_j p_rj v_j, 16 dimensions at a time
      // for four rows (missing rows write to a spare buffer with weights 0).
      float* o_rows[kRows];
      for (int r = 0; r < kRows; ++r) {
        o_rows[r] = r < nr ? acc + (r0 + r) * hd : spare;
        if (r >= nr) {
          alpha[r] = 0.0f;
          std::memset(pr + r * kKeys, 0, kKeys * sizeof(float));
        }
      }
      for (int64_t d0 = 0; d0 < hd; d0 += 16) {
        __m512 o[kRows];
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          o[r] = _mm512_mul_ps(_mm512_load_ps(o_rows[r] + d0), _mm512_set1_ps(alpha[r]));
        }
        for (int64_t j = j_lo; j <= j_hi; ++j) {
          const __m512 v = _mm512_load_ps(vf + j * hd + d0);
#pragma GCC unroll 4
          for (int r = 0; r < kRows; ++r) {
            o[r] = _mm512_fmadd_ps(_mm512_set1_ps(pr[r * kKeys + j]), v, o[r]);
          }
        }
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) _mm512_store_ps(o_rows[r] + d0, o[r]);
      }
    }
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    const __m512 inv = _mm512_set1_ps(1.0f / rows[r].l);
    for (int64_t d = 0; d < hd; d += 16) {
      _mm512_storeu_ps(rows[r].out + d, _mm512_mul_ps(_mm512_load_ps(acc + r * hd + d), inv));
    }
  }
}

}  // namespace kiln::kernels::cpu::avx512
