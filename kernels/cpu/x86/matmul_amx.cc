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
// A: each task decodes its 16 weight rows once into bytes laid out as tiles:
// [64-value chunk][16 rows][64 codes], so that a piece of K values of the 16
// rows is a tile of 16 rows 64 bytes apart, signed (tdpbssd) or unsigned
// (tdpbusd) as the format's codes are.
// B: the activation rows, quantized to Q8_0/Q8_1/Q8_K as for the vector
// kernels, are packed once per batch into a panel (PackQ8_*): for each group
// of 16 tokens and each 32-value block, the 512 bytes of a K=32 B tile (row t
// holds values 4t..4t+3 of every token; its first four rows are the K=16 tile
// of the block's first half, the last four of its second half), then dx, sx
// and sx of the first half as 16 floats each.
//
// Slots: a batch of at most 8 tokens (the decode step of a few chats) would
// leave half of every tile product's columns empty, and a tile product costs
// the same whatever its K. So for the K=32 formats such a batch is packed
// into slots instead: for each 64-value chunk, one K=64 B tile whose rows
// 0-7 (the chunk's first block) feed columns 0-7 and rows 8-15 (its second
// block) columns 8-15, zero elsewhere. One product of a 16 x 64 A tile (two
// blocks of each row) then yields both blocks' sums, C[r][8s + t] for block
// s, for half the tile products, C tile stores and epilogue work.
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

constexpr int kTile = 16;   // rows of A, tokens of B
constexpr int kChunk = 64;  // the codes of one A tile row, at most
// C buffers the tile products' sums go to in turn: a buffer is stored to
// again only four steps after its sums were read (two was 5-10% slower).
constexpr int kRing = 4;
constexpr size_t kPanelInts = 512;
constexpr size_t kPanelBlockBytes = kPanelInts + 3 * kTile * sizeof(float);
// Slots: tokens per slot, and one chunk's B tile plus its dx and sx lanes.
constexpr int kSlotTokens = kTile / 2;
constexpr size_t kSlotChunkBytes = kTile * kChunk + 2 * kTile * sizeof(float);
static_assert(kSlotChunkBytes <= 2 * kPanelBlockBytes, "a slotted panel fits PanelBytes");

// Whether a batch of n tokens of `cols` values is packed into slots (for the
// K=32 formats; the packer of a K=16 format never slots).
bool Slotted(int64_t n, int64_t cols) { return n <= kSlotTokens && cols % kChunk == 0; }

float H2F(uint16_t h) { return _cvtsh_ss(h); }

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// ---- weight decoders -------------------------------------------------------
// Decode(block, a, a_stride, f, g, fg_stride) writes the block's kValues
// codes in order, in 64-byte chunks a_stride apart (value k at
// a + k / 64 * a_stride + k % 64), and its pieces' scales and offsets to
// f[p * fg_stride], g[p * fg_stride].

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
  // Two consecutive blocks' 64 codes at once (a: 64 bytes): each block's 16
  // nibble bytes broadcast to two 128-bit lanes, the second lane of each
  // shifted down a nibble.
  static void Decode2(const Block* b, uint8_t* a) {
    __m512i v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0].qs)));
    v = _mm512_mask_broadcast_i32x4(v, 0xFF00,
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1].qs)));
    // (words 8-15 and 24-31: the second and fourth lanes)
    __m512i q =
        _mm512_and_si512(_mm512_mask_srli_epi16(v, 0xFF00FF00u, v, 4), _mm512_set1_epi8(0x0F));
    if constexpr (kFifth) {
      uint32_t h0, h1;
      std::memcpy(&h0, b[0].qh, 4);
      std::memcpy(&h1, b[1].qh, 4);
      const __mmask64 bits = static_cast<__mmask64>(h0) | (static_cast<__mmask64>(h1) << 32);
      q = _mm512_mask_add_epi8(q, bits, q, _mm512_set1_epi8(16));
    }
    if constexpr (!kMin) q = _mm512_sub_epi8(q, _mm512_set1_epi8(kFifth ? 16 : 8));
    _mm512_storeu_si512(a, q);
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
  static void Decode2(const Block* b, uint8_t* a) {
    std::memcpy(a, b[0].qs, 32);
    std::memcpy(a + 32, b[1].qs, 32);
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
      Store32(a + p * a_stride, lo);
      Store32(a + p * a_stride + 32, hi);
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
        const int piece = 8 * h + 2 * p;  // and piece + 1: 32 values in one chunk
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + piece / 4 * a_stride + piece % 4 * 16),
                            v);
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
  alignas(64) int32_t c[kRing][kTile * kTile];  // the C tiles' sums
  alignas(64) float out[kTile * kTile];
};

// One tile product: C[kSet] = A . B, stored to c. kSet picks the tiles
// (C, A, B = 0, 1, 2 or 3, 4, 5).
// (The tile intrinsics take their tile numbers as literals, hence a macro.)
#define KILN_TILE_PRODUCT(C, A, B) \
  _tile_zero(C);                   \
  _tile_loadd(A, a, kChunk);       \
  _tile_loadd(B, b, kTile * 4);    \
  if constexpr (kSigned) {         \
    _tile_dpbssd(C, A, B);         \
  } else {                         \
    _tile_dpbusd(C, A, B);         \
  }                                \
  _tile_stored(C, c, kTile * 4)

template <int kSet, bool kSigned>
[[gnu::always_inline]] inline void Product(const uint8_t* a, const uint8_t* b, int32_t* c) {
  if constexpr (kSet == 0) {
    KILN_TILE_PRODUCT(0, 1, 2);
  } else {
    KILN_TILE_PRODUCT(3, 4, 5);
  }
}
#undef KILN_TILE_PRODUCT

// Folds one tile product's sums c (16 rows x 16 columns, row r at c + 16 r)
// into acc. Without slots, column t is token t of the piece's block: f and g
// are the piece's 16 rows' scales and offsets. With slots, columns 8s..8s+7
// are block s of the chunk: f and g point at the first block's, the
// second's are kTile further on. pf: the step's dx lanes.
// (Not forced inline: with acc in registers across the steps the loop
// measured 5-8% slower than with this call and acc in L1.)
template <bool kOffset, bool kSlots>
void ScaleSums(const int32_t* c, const float* pf, const float* f, const float* g, __m512 sx,
               __m512* acc) {
  const __m512 dx = _mm512_loadu_ps(pf);
  if constexpr (kSlots) {
    // Each half of a row's lanes takes its block's scale (the same float
    // operations per lane as without slots).
    constexpr __mmask16 kSecond = 0xFF00;
    auto pair = [](const float* v, int r) {
      return _mm512_mask_broadcastss_ps(_mm512_set1_ps(v[r]), kSecond, _mm_load_ss(v + kTile + r));
    };
#pragma GCC unroll 16
    for (int r = 0; r < kTile; ++r) {
      const __m512 cv = _mm512_cvtepi32_ps(_mm512_load_si512(c + r * kTile));
      acc[r] = _mm512_fmadd_ps(cv, _mm512_mul_ps(dx, pair(f, r)), acc[r]);
    }
    if constexpr (kOffset) {
#pragma GCC unroll 16
      for (int r = 0; r < kTile; ++r) acc[r] = _mm512_fmadd_ps(pair(g, r), sx, acc[r]);
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < kTile; ++r) {
      const __m512 cv = _mm512_cvtepi32_ps(_mm512_load_si512(c + r * kTile));
      acc[r] = _mm512_fmadd_ps(cv, _mm512_mul_ps(dx, _mm512_set1_ps(f[r])), acc[r]);
    }
    if constexpr (kOffset) {
#pragma GCC unroll 16
      for (int r = 0; r < kTile; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(g[r]), sx, acc[r]);
    }
  }
}

template <typename T>
void MatMulT(const uint8_t* w, size_t row_bytes, int64_t r0, int64_t r1, const uint8_t* panel,
             int64_t n, int64_t cols, float* y, int64_t ldy) {
  constexpr int K = T::kK;
  const bool slots = K == 32 && Slotted(n, cols);
  const int64_t pieces = cols / K, blocks = cols / T::kValues, blocks32 = cols / 32;
  const int64_t chunks = (cols + kChunk - 1) / kChunk;
  const int64_t a_stride = kTile * kChunk;  // bytes between chunks of one row
  thread_local Scratch s;
  uint8_t* const a = s.a.Get(chunks * a_stride);
  float* const fs = s.f.Get(pieces * kTile);
  float* const gs = s.g.Get(pieces * kTile);

  // A tile product covers one piece of K values, or with slots a chunk of two.
  const int kd = slots ? kChunk : K;
  const int64_t steps = cols / kd;
  TileConfig cfg;
  cfg.rows[0] = kTile;  // C: 16 x 16 int32
  cfg.colsb[0] = kTile * 4;
  cfg.rows[1] = kTile;  // A: 16 rows x kd codes
  cfg.colsb[1] = static_cast<uint16_t>(kd);
  cfg.rows[2] = static_cast<uint8_t>(kd / 4);  // B: kd/4 rows x 16 tokens x 4 codes
  cfg.colsb[2] = kTile * 4;
  for (int t = 3; t < 6; ++t) {  // the second set
    cfg.rows[t] = cfg.rows[t - 3];
    cfg.colsb[t] = cfg.colsb[t - 3];
  }
  _tile_loadconfig(&cfg);

  const int64_t group_tokens = slots ? kSlotTokens : kTile;
  const int64_t groups = (n + group_tokens - 1) / group_tokens;
  const size_t group_bytes =
      slots ? chunks * kSlotChunkBytes : static_cast<size_t>(blocks32) * kPanelBlockBytes;
  for (int64_t rg = r0; rg < r1; rg += kTile) {
    const int nr = static_cast<int>(Min(kTile, r1 - rg));
    for (int r = 0; r < nr; ++r) {
      // The weights stream from memory once per batch: ask for the row two
      // groups ahead now (past the task's end too: a prefetch never faults),
      // as the decode kernels do (matmul.cc).
      Prefetch(w + (rg + 2 * kTile + r) * row_bytes, row_bytes);
      const auto* blk = reinterpret_cast<const typename T::Block*>(w + (rg + r) * row_bytes);
      if constexpr (T::kValues == 32) {
        if (blocks % 2 == 0) {  // two blocks at a time: 9% faster at 8 tokens
          for (int64_t b = 0; b < blocks; b += 2) {
            T::Decode2(blk + b, a + b / 2 * a_stride + r * kChunk);
          }
          continue;
        }
      }
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t p = b * T::kPieces, k = b * T::kValues;
        T::Decode(blk[b], a + k / kChunk * a_stride + r * kChunk + k % kChunk, a_stride,
                  fs + p * kTile + r, gs + p * kTile + r, kTile);
      }
    }
    for (int r = nr; r < kTile; ++r) {  // rows past the end: zero codes, zero scales
      for (int64_t c = 0; c < chunks; ++c) std::memset(a + c * a_stride + r * kChunk, 0, kChunk);
      if constexpr (!T::kGatherScales) {  // (GatherScales zeroes them itself)
        for (int64_t p = 0; p < pieces; ++p) {
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
      const uint8_t* pg = panel + grp * group_bytes;
      __m512 acc[kTile];
      for (__m512& v : acc) v = _mm512_setzero_ps();
      // Where step i's A tile, B tile, and dx, sx (then first-half sx) lanes are.
      auto a_tile = [&](int64_t i) {
        const int64_t k = i * kd;
        return a + k / kChunk * a_stride + k % kChunk;
      };
      auto b_tile = [&](int64_t i) {
        if (slots) return pg + i * kSlotChunkBytes;
        return pg + (i * K / 32) * kPanelBlockBytes + (K == 16 ? (i & 1) * (kPanelInts / 2) : 0);
      };
      auto lanes = [&](int64_t i) {
        return reinterpret_cast<const float*>(slots ? pg + i * kSlotChunkBytes + kTile * kChunk
                                                    : pg + (i * K / 32) * kPanelBlockBytes +
                                                          kPanelInts);
      };
      // Tile products one step ahead of the scaling of their sums, in two
      // sets of tiles, so the tile unit and the vector unit overlap.
      // (Issuing 2 or 3 steps ahead measured the same.)
      auto issue = [&](int64_t i) {
        if ((i & 1) == 0) {
          Product<0, T::kSigned>(a_tile(i), b_tile(i), s.c[i % kRing]);
        } else {
          Product<1, T::kSigned>(a_tile(i), b_tile(i), s.c[i % kRing]);
        }
      };
      issue(0);
      for (int64_t i = 0; i < steps; ++i) {
        if (i + 1 < steps) issue(i + 1);
        const float* pf = lanes(i);
        __m512 sx = _mm512_setzero_ps();
        if constexpr (T::kOffset) {
          sx = _mm512_loadu_ps(pf + kTile);
          if constexpr (K == 16) {
            const __m512 lo = _mm512_loadu_ps(pf + 2 * kTile);
            sx = (i & 1) ? _mm512_sub_ps(sx, lo) : lo;
          }
        }
        if (slots) {
          ScaleSums<T::kOffset, true>(s.c[i % kRing], pf, fs + 2 * i * kTile, gs + 2 * i * kTile,
                                      sx, acc);
        } else {
          ScaleSums<T::kOffset, false>(s.c[i % kRing], pf, fs + i * kTile, gs + i * kTile, sx, acc);
        }
      }
      if (slots) {  // token t's sum is the two slots' lanes t and 8 + t
        for (int r = 0; r < kTile; ++r) {
          const __m256 lo = _mm512_castps512_ps256(acc[r]);
          const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[r]), 1));
          _mm256_store_ps(s.out + r * kTile, _mm256_add_ps(lo, hi));
        }
      } else {
        for (int r = 0; r < kTile; ++r) _mm512_store_ps(s.out + r * kTile, acc[r]);
      }
      const int nt = static_cast<int>(Min(group_tokens, n - grp * group_tokens));
      for (int t = 0; t < nt; ++t) {
        float* yt = y + (grp * group_tokens + t) * ldy + rg;
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
void PackSlots(int64_t n, int64_t cols, uint8_t* panel, Codes codes, Scale scale, Sum sum) {
  for (int64_t c = 0; c < cols / kChunk; ++c) {
    uint8_t* pb = panel + c * kSlotChunkBytes;
    auto* pf = reinterpret_cast<float*>(pb + kTile * kChunk);
    std::memset(pb, 0, kTile * kChunk);
    for (int slot = 0; slot < 2; ++slot) {
      const int64_t kb = 2 * c + slot;
      for (int t = 0; t < kSlotTokens; ++t) {
        const int lane = slot * kSlotTokens + t;
        if (t >= n) {
          pf[lane] = pf[kTile + lane] = 0.0f;
          continue;
        }
        const int8_t* q = codes(t, kb);
        // B row 8 * slot + i holds values 4i..4i+3 of the block, in column lane.
        for (int i = 0; i < 8; ++i)
          std::memcpy(pb + (8 * slot + i) * kTile * 4 + lane * 4, q + 4 * i, 4);
        int total = 0;
        for (int i = 0; i < 32; ++i) total += q[i];
        const float d = scale(t, kb);
        pf[lane] = d;
        pf[kTile + lane] = sum(t, kb, d * static_cast<float>(total));
      }
    }
  }
}

template <bool kAllowSlots, typename Codes, typename Scale, typename Sum>
void Pack(int64_t n, int64_t cols, uint8_t* panel, Codes codes, Scale scale, Sum sum) {
  if (kAllowSlots && Slotted(n, cols)) return PackSlots(n, cols, panel, codes, scale, sum);
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
  Pack<true>(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs; },
      [&](int64_t row, int64_t kb) { return H2F(block(row, kb)->d); },
      [](int64_t, int64_t, float exact) { return exact; });
}

void PackQ8_1(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  auto block = [&](int64_t row, int64_t kb) {
    return reinterpret_cast<const BlockQ8_1*>(x + row * row_bytes) + kb;
  };
  Pack<true>(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs; },
      [&](int64_t row, int64_t kb) { return H2F(block(row, kb)->d); },
      // Q4_1/Q5_1 dots use the block's stored f16 d * sum, as ggml's do.
      [&](int64_t row, int64_t kb, float) { return H2F(block(row, kb)->s); });
}

namespace {
template <bool kAllowSlots>
void PackQ8_KT(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  auto block = [&](int64_t row, int64_t kb) {
    return reinterpret_cast<const BlockQ8_K*>(x + row * row_bytes) + kb / 8;
  };
  Pack<kAllowSlots>(
      n, cols, panel, [&](int64_t row, int64_t kb) { return block(row, kb)->qs + 32 * (kb % 8); },
      [&](int64_t row, int64_t kb) { return block(row, kb)->d; },
      [](int64_t, int64_t, float exact) { return exact; });
}
}  // namespace

void PackQ8_K(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  PackQ8_KT<true>(x, row_bytes, n, cols, panel);
}

void PackQ8_K16(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel) {
  PackQ8_KT<false>(x, row_bytes, n, cols, panel);
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
