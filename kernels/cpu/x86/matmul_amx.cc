// Matrix-matrix products on AMX tiles (quant_x86.h, namespace amx): the
// prefill and batched-decode path where the CPU has AMX-INT8.
//
// One tile product C[16 rows][16 tokens] += A[16 rows][K] . B[K][16 tokens]
// in int32 covers one quantization block of K values (32, or 16 for Q6_K's
// sub-blocks) for 16 weight rows and 16 activation rows, exactly: the same
// integer block sums the vector kernels compute. Each block's sums are then
// scaled in float, for every row r and token t:
//   y[t][r] += C[r][t] * f[r] * dx[t]  +  g[r] * sx[t]
// where f is the weight block's scale, dx the activation block's scale, and
// g * sx the weight block's offset or minimum times d * sum(x) of the
// activation block (zero for the signed formats).
//
// A: each task decodes its 16 weight rows once into bytes laid out as tiles
// (block-major, [block][16 rows][K]), signed (tdpbssd) or unsigned
// (tdpbusd) as the format's codes are.
// B: the activation rows, quantized to Q8_0/Q8_1/Q8_K as for the vector
// kernels, are packed once per batch into a panel (PackQ8_*): for each group
// of 16 tokens and each 32-value block, the 512 bytes of a K=32 B tile (row t
// holds values 4t..4t+3 of every token; its first four rows are the K=16 tile
// of the block's first half, the last four of its second half), then dx, sx
// and sx of the first half as 16 floats each.
//
// Only <immintrin.h>, C headers and headers of plain structs and declarations
// are included, and no standard template is instantiated (see quant_avx2.cc:
// an inline function compiled here could be the copy baseline code links).
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/cpu/x86/quant_x86.h"

namespace kiln::kernels::cpu::amx {
namespace {

constexpr int kTile = 16;  // rows of A, tokens of B
constexpr size_t kPanelInts = 512;
constexpr size_t kPanelBlockBytes = kPanelInts + 3 * kTile * sizeof(float);

float H2F(uint16_t h) { return _cvtsh_ss(h); }

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// ---- weight decoders -------------------------------------------------------
// Decode(block, a, a_stride, f, g, fg_stride) writes the block's K-value
// pieces (kPieces of them) to a, a + a_stride, ..., and their scales and
// offsets to f[p * fg_stride], g[p * fg_stride].

__m128i LowNibbles(__m128i v) { return _mm_and_si128(v, _mm_set1_epi8(0x0F)); }
__m128i HighNibbles(__m128i v) { return _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F)); }

// 32 nibble codes of a legacy block, values 0..15 in order.
__m256i Nibbles32(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_set_m128i(HighNibbles(v), LowNibbles(v));
}

__m256i AddFifthBit(__m256i q, const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return _mm256_mask_add_epi8(q, bits, q, _mm256_set1_epi8(16));
}

void Store32(uint8_t* a, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(a), v); }

// Q4_0, Q4_1, Q5_0, Q5_1: nibbles (plus a fifth bit), then either an offset
// (8 or 16: signed codes) or a minimum (unsigned codes, g = m).
template <typename B, bool kFifth, bool kMin>
struct Legacy {
  using Block = B;
  static constexpr int kValues = 32, kK = 32, kPieces = 1;
  static constexpr bool kSigned = !kMin, kOffset = kMin;
  // f = d and g = m are gathered for 16 rows at once (GatherScales).
  static constexpr bool kGatherScales = true;
  static void Decode(const Block& b, uint8_t* a, int64_t, float*, float*, int64_t) {
    __m256i q = Nibbles32(b.qs);
    if constexpr (kFifth) q = AddFifthBit(q, b.qh);
    if constexpr (!kMin) q = _mm256_sub_epi8(q, _mm256_set1_epi8(kFifth ? 16 : 8));
    Store32(a, q);
  }
};
using Q4_0 = Legacy<BlockQ4_0, false, false>;
using Q4_1 = Legacy<BlockQ4_1, false, true>;
using Q5_0 = Legacy<BlockQ5_0, true, false>;
using Q5_1 = Legacy<BlockQ5_1, true, true>;

struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr int kValues = 32, kK = 32, kPieces = 1;
  static constexpr bool kSigned = true, kOffset = false;
  static constexpr bool kGatherScales = true;
  static void Decode(const Block& b, uint8_t* a, int64_t, float*, float*, int64_t) {
    std::memcpy(a, b.qs, 32);
  }
};

// The f16 d (and m, for the types with a minimum: the next two bytes) that
// start block p of 16 rows row_bytes apart, for rows < nr, into f[0..16)
// (g[0..16)); 0 for the rows past nr.
template <bool kMin>
void GatherScales(const uint8_t* first, size_t row_bytes, int nr, float* f, float* g) {
  const __m512i rows =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int>(row_bytes)));
  const __mmask16 live = static_cast<__mmask16>((1u << nr) - 1);
  const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, rows, first, 1);
  _mm512_storeu_ps(f, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words)));
  if constexpr (kMin) {
    _mm512_storeu_ps(g, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(words, 16))));
  }
}

// Q4_K and Q5_K: sub-block j's codes are the low (even j) or high (odd j)
// nibbles of qs[32 * (j / 2) ...], plus bit j of qh[0..32) for Q5_K.
template <typename B, bool kFifth>
struct KQuant45 {
  using Block = B;
  static constexpr int kValues = kQK_K, kK = 32, kPieces = 8;
  static constexpr bool kSigned = false, kOffset = true, kGatherScales = false;
  static void Decode(const Block& b, uint8_t* a, int64_t a_stride, float* f, float* g,
                     int64_t fg_stride) {
    uint8_t sc[8], m[8];
    UnpackScalesMinsK4(b.scales, sc, m);
    const float d = H2F(b.d), dmin = H2F(b.dmin);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFifth) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
    for (int p = 0; p < 4; ++p) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * p));
      __m256i lo = _mm256_and_si256(q, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      if constexpr (kFifth) {
        const __m256i sixteen = _mm256_set1_epi8(16);
        lo = _mm256_mask_add_epi8(
            lo, _mm256_test_epi8_mask(qh, _mm256_set1_epi8(char(1 << (2 * p)))), lo, sixteen);
        hi = _mm256_mask_add_epi8(
            hi, _mm256_test_epi8_mask(qh, _mm256_set1_epi8(char(1 << (2 * p + 1)))), hi, sixteen);
      }
      Store32(a + (2 * p) * a_stride, lo);
      Store32(a + (2 * p + 1) * a_stride, hi);
    }
    for (int j = 0; j < 8; ++j) {
      f[j * fg_stride] = d * sc[j];
      g[j * fg_stride] = -dmin * m[j];
    }
  }
};
using Q4_K = KQuant45<BlockQ4_K, false>;
using Q5_K = KQuant45<BlockQ5_K, true>;

// Q6_K: 16 sub-blocks of 16 with int8 scales; codes - 32 are signed.
struct Q6_K {
  using Block = BlockQ6_K;
  static constexpr int kValues = kQK_K, kK = 16, kPieces = 16;
  static constexpr bool kSigned = true, kOffset = false, kGatherScales = false;
  static void Decode(const Block& b, uint8_t* a, int64_t a_stride, float* f, float*,
                     int64_t fg_stride) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
    const __m256i k32 = _mm256_set1_epi8(32);
    for (int h = 0; h < 2; ++h) {
      const auto* ql = reinterpret_cast<const __m256i*>(b.ql + 64 * h);
      const __m256i l0 = _mm256_loadu_si256(ql), l1 = _mm256_loadu_si256(ql + 1);
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2)),
          _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                          _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2))};
      for (int p = 0; p < 4; ++p) {
        const __m256i v = _mm256_sub_epi8(q[p], k32);
        const int piece = 8 * h + 2 * p;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(a + piece * a_stride),
                         _mm256_castsi256_si128(v));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(a + (piece + 1) * a_stride),
                         _mm256_extracti128_si256(v, 1));
      }
    }
    const float d = H2F(b.d);
    for (int j = 0; j < 16; ++j) f[j * fg_stride] = d * b.scales[j];
  }
};

// ---- the tile loop ---------------------------------------------------------

int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

void Prefetch(const uint8_t* p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64)
    _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T1);
}

// A growing malloc'ed array (no std::vector here: see the top).
template <typename V>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(p_); }
  V* Get(int64_t n) {
    if (n > n_) {
      void* p = std::realloc(p_, static_cast<size_t>(n) * sizeof(V));
      if (p == nullptr) std::abort();
      p_ = static_cast<V*>(p);
      n_ = n;
    }
    return p_;
  }

 private:
  V* p_ = nullptr;
  int64_t n_ = 0;
};

struct Scratch {
  Buffer<uint8_t> a;
  Buffer<float> f, g;
  alignas(64) int32_t c[2][kTile * kTile];  // the two C tiles' sums
  alignas(64) float out[kTile * kTile];
};

template <typename T>
void MatMulT(const uint8_t* w, size_t row_bytes, int64_t r0, int64_t r1, const uint8_t* panel,
             int64_t n, int64_t cols, float* y, int64_t ldy) {
  constexpr int K = T::kK;
  const int64_t pieces = cols / K, blocks = cols / T::kValues, blocks32 = cols / 32;
  const int64_t a_stride = kTile * K;  // bytes between pieces of one row
  thread_local Scratch s;
  uint8_t* const a = s.a.Get(pieces * a_stride);
  float* const fs = s.f.Get(pieces * kTile);
  float* const gs = s.g.Get(pieces * kTile);

  TileConfig cfg;
  cfg.rows[0] = kTile;  // C: 16 x 16 int32
  cfg.colsb[0] = kTile * 4;
  cfg.rows[1] = kTile;  // A: 16 rows x K codes
  cfg.colsb[1] = K;
  cfg.rows[2] = K / 4;  // B: K/4 rows x 16 tokens x 4 codes
  cfg.colsb[2] = kTile * 4;
  for (int t = 3; t < 6; ++t) {  // the second set
    cfg.rows[t] = cfg.rows[t - 3];
    cfg.colsb[t] = cfg.colsb[t - 3];
  }
  _tile_loadconfig(&cfg);

  const int64_t groups = (n + kTile - 1) / kTile;
  // The task's first two row groups, all lines asked for at once.
  Prefetch(w + r0 * row_bytes, 2 * kTile * row_bytes);
  for (int64_t rg = r0; rg < r1; rg += kTile) {
    const int nr = static_cast<int>(Min(kTile, r1 - rg));
    for (int r = 0; r < nr; ++r) {
      // The weights stream from memory once per batch: ask for the row two
      // groups ahead now (past the task's end too: a prefetch never faults),
      // as the decode kernels do (matmul.cc).
      Prefetch(w + (rg + 2 * kTile + r) * row_bytes, row_bytes);
      const auto* blk = reinterpret_cast<const typename T::Block*>(w + (rg + r) * row_bytes);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t p = b * T::kPieces;
        T::Decode(blk[b], a + p * a_stride + r * K, a_stride, fs + p * kTile + r,
                  gs + p * kTile + r, kTile);
      }
    }
    for (int r = nr; r < kTile; ++r) {  // rows past the end: zero codes, zero scales
      for (int64_t p = 0; p < pieces; ++p) {
        std::memset(a + p * a_stride + r * K, 0, K);
        if constexpr (!T::kGatherScales) {  // (GatherScales zeroes them itself)
          fs[p * kTile + r] = 0.0f;
          gs[p * kTile + r] = 0.0f;
        }
      }
    }
    if constexpr (T::kGatherScales) {
      for (int64_t p = 0; p < pieces; ++p) {
        GatherScales<T::kOffset>(w + rg * row_bytes + p * sizeof(typename T::Block), row_bytes, nr,
                                 fs + p * kTile, gs + p * kTile);
      }
    }

    for (int64_t grp = 0; grp < groups; ++grp) {
      const uint8_t* pg = panel + grp * blocks32 * kPanelBlockBytes;
      __m512 acc[kTile];
      for (__m512& v : acc) v = _mm512_setzero_ps();
      // Tile products in two sets of tiles (C, A, B = 0, 1, 2 and 3, 4, 5),
      // one piece ahead: piece p + 1 is multiplied while piece p's sums are
      // scaled, so the tile unit and the vector unit overlap.
      auto issue = [&](int64_t p) {
        const uint8_t* pb = pg + (p * K / 32) * kPanelBlockBytes;
        const uint8_t* b = pb + (K == 16 ? (p & 1) : 0) * (kPanelInts / 2);
        if ((p & 1) == 0) {
          _tile_zero(0);
          _tile_loadd(1, a + p * a_stride, K);
          _tile_loadd(2, b, kTile * 4);
          if constexpr (T::kSigned) {
            _tile_dpbssd(0, 1, 2);
          } else {
            _tile_dpbusd(0, 1, 2);
          }
          _tile_stored(0, s.c[0], kTile * 4);
        } else {
          _tile_zero(3);
          _tile_loadd(4, a + p * a_stride, K);
          _tile_loadd(5, b, kTile * 4);
          if constexpr (T::kSigned) {
            _tile_dpbssd(3, 4, 5);
          } else {
            _tile_dpbusd(3, 4, 5);
          }
          _tile_stored(3, s.c[1], kTile * 4);
        }
      };
      issue(0);
      for (int64_t p = 0; p < pieces; ++p) {
        if (p + 1 < pieces) issue(p + 1);
        const int32_t* c_tile = s.c[p & 1];
        const uint8_t* pb = pg + (p * K / 32) * kPanelBlockBytes;
        const int half = K == 16 ? static_cast<int>(p & 1) : 0;
        const auto* pf = reinterpret_cast<const float*>(pb + kPanelInts);
        const __m512 dx = _mm512_loadu_ps(pf);
        const float* f = fs + p * kTile;
#pragma GCC unroll 16
        for (int r = 0; r < kTile; ++r) {
          const __m512 c = _mm512_cvtepi32_ps(_mm512_load_si512(c_tile + r * kTile));
          acc[r] = _mm512_fmadd_ps(c, _mm512_mul_ps(dx, _mm512_set1_ps(f[r])), acc[r]);
        }
        if constexpr (T::kOffset) {
          __m512 sx = _mm512_loadu_ps(pf + kTile);
          if constexpr (K == 16) {
            const __m512 lo = _mm512_loadu_ps(pf + 2 * kTile);
            sx = half ? _mm512_sub_ps(sx, lo) : lo;
          }
          const float* g = gs + p * kTile;
#pragma GCC unroll 16
          for (int r = 0; r < kTile; ++r)
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(g[r]), sx, acc[r]);
        }
      }
      for (int r = 0; r < kTile; ++r) _mm512_store_ps(s.out + r * kTile, acc[r]);
      const int nt = static_cast<int>(Min(kTile, n - grp * kTile));
      for (int t = 0; t < nt; ++t) {
        float* yt = y + (grp * kTile + t) * ldy + rg;
        for (int r = 0; r < nr; ++r) yt[r] = s.out[r * kTile + t];
      }
    }
  }
  _tile_release();
}

// ---- activation panels -----------------------------------------------------

// Packs 32-value blocks of int8 codes: codes(row, kb) -> 32 int8, scale(row,
// kb) -> d; sum(row, kb, d * sum of the codes) -> the sx the format's dots use.
template <typename Codes, typename Scale, typename Sum>
void Pack(int64_t n, int64_t cols, uint8_t* panel, Codes codes, Scale scale, Sum sum) {
  const int64_t blocks = cols / 32, groups = (n + kTile - 1) / kTile;
  for (int64_t grp = 0; grp < groups; ++grp) {
    for (int64_t kb = 0; kb < blocks; ++kb) {
      uint8_t* pb = panel + (grp * blocks + kb) * kPanelBlockBytes;
      auto* pf = reinterpret_cast<float*>(pb + kPanelInts);
      for (int t = 0; t < kTile; ++t) {
        const int64_t row = grp * kTile + t;
        if (row >= n) {
          for (int i = 0; i < 8; ++i) std::memset(pb + i * kTile * 4 + t * 4, 0, 4);
          pf[t] = pf[kTile + t] = pf[2 * kTile + t] = 0.0f;
          continue;
        }
        const int8_t* q = codes(row, kb);
        for (int i = 0; i < 8; ++i) std::memcpy(pb + i * kTile * 4 + t * 4, q + 4 * i, 4);
        int lo = 0, hi = 0;
        for (int i = 0; i < 16; ++i) {
          lo += q[i];
          hi += q[16 + i];
        }
        const float d = scale(row, kb);
        pf[t] = d;
        pf[kTile + t] = sum(row, kb, d * static_cast<float>(lo + hi));
        pf[2 * kTile + t] = d * static_cast<float>(lo);
      }
    }
  }
}

}  // namespace

size_t PanelBytes(int64_t n, int64_t cols) {
  return static_cast<size_t>((n + kTile - 1) / kTile * (cols / 32)) * kPanelBlockBytes;
}

void PackQ8_0(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  auto block = [&](int64_t row, int64_t kb) {
    return reinterpret_cast<const BlockQ8_0*>(x + row * row_bytes) + kb;
  };
  Pack(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs; },
      [&](int64_t row, int64_t kb) { return H2F(block(row, kb)->d); },
      [](int64_t, int64_t, float exact) { return exact; });
}

void PackQ8_1(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  auto block = [&](int64_t row, int64_t kb) {
    return reinterpret_cast<const BlockQ8_1*>(x + row * row_bytes) + kb;
  };
  Pack(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs; },
      [&](int64_t row, int64_t kb) { return H2F(block(row, kb)->d); },
      // Q4_1/Q5_1 dots use the block's stored f16 d * sum, as ggml's do.
      [&](int64_t row, int64_t kb, float) { return H2F(block(row, kb)->s); });
}

void PackQ8_K(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  auto block = [&](int64_t row, int64_t kb) {
    return reinterpret_cast<const BlockQ8_K*>(x + row * row_bytes) + kb / 8;
  };
  Pack(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs + 32 * (kb % 8); },
      [&](int64_t row, int64_t kb) { return block(row, kb)->d; },
      [](int64_t, int64_t, float exact) { return exact; });
}

#define KILN_AMX_MATMUL(name)                                                               \
  void MatMul##name(const uint8_t* w, size_t row_bytes, int64_t r0, int64_t r1,             \
                    const uint8_t* panel, int64_t n, int64_t cols, float* y, int64_t ldy) { \
    MatMulT<name>(w, row_bytes, r0, r1, panel, n, cols, y, ldy);                            \
  }
KILN_AMX_MATMUL(Q4_0)
KILN_AMX_MATMUL(Q4_1)
KILN_AMX_MATMUL(Q5_0)
KILN_AMX_MATMUL(Q5_1)
KILN_AMX_MATMUL(Q8_0)
KILN_AMX_MATMUL(Q4_K)
KILN_AMX_MATMUL(Q5_K)
KILN_AMX_MATMUL(Q6_K)
#undef KILN_AMX_MATMUL

}  // namespace kiln::kernels::cpu::amx
