// The dispatched non-matmul ops (ops.h) at every available ISA: the scalar
// dispatch must be bit-identical to the reference (ops_ref.h), the SIMD
// kernels within the tolerance derived beside each test.
#include "kernels/cpu/ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/ops_ref.h"
#include "kernels/cpu/parallel.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu {
namespace {

constexpr int64_t kSizes[] = {1,  3,   7,   8,   9,   15,   16,   17,   31,   32,  33,
                              64, 100, 255, 576, 640, 1023, 1024, 1537, 2048, 2304};

// Sets the active ISA for one test and restores the previous one after it.
class IsaScope {
 public:
  explicit IsaScope(Isa isa) : saved_(ActiveIsa()) { SetActiveIsa(isa); }
  ~IsaScope() { SetActiveIsa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  Isa saved_;
};

#define SKIP_WITHOUT_AVX2() \
  if (DetectedIsa() < Isa::kAvx2) GTEST_SKIP() << "CPU has no AVX2"

std::vector<float> Uniform(int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ---- ArgMax ----

// Every ISA gives ArgMaxRef's index: the first largest value, NaNs never
// chosen, over sizes around the vector widths, ties, -inf and NaN anywhere.
TEST(Ops, ArgMaxIsTheReferenceUnderEveryIsa) {
  std::vector<int64_t> sizes(std::begin(kSizes), std::end(kSizes));
  sizes.push_back(0);
  sizes.push_back(49152);
  std::mt19937 rng(7);
  std::vector<Isa> isas = {Isa::kScalar};
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (DetectedIsa() >= isa) isas.push_back(isa);
  }
  for (Isa isa : isas) {
    IsaScope scope(isa);
    for (int64_t n : sizes) {
      for (int trial = 0; trial < 12; ++trial) {
        std::vector<float> x = Uniform(n, -20, 20, static_cast<uint32_t>(n * 31 + trial));
        std::uniform_int_distribution<int64_t> pos(0, n > 0 ? n - 1 : 0);
        if (n > 0 && trial % 3 == 1) {  // a tie: the first copy wins
          const int64_t a = pos(rng), b = pos(rng);
          x[static_cast<size_t>(a)] = x[static_cast<size_t>(b)] = 25.0f;
        }
        if (n > 0 && trial % 4 == 2) x[static_cast<size_t>(pos(rng))] = NAN;
        if (n > 0 && trial % 4 == 3) x[static_cast<size_t>(pos(rng))] = -INFINITY;
        if (trial == 11) std::fill(x.begin(), x.end(), -INFINITY);
        if (trial == 10) std::fill(x.begin(), x.end(), NAN);
        EXPECT_EQ(ArgMax(x.data(), n), ArgMaxRef(x.data(), n))
            << IsaName(isa) << " n=" << n << " trial=" << trial;
      }
    }
  }
  const float some[] = {1.0f, NAN, 3.0f, 3.0f, -INFINITY};
  EXPECT_EQ(ArgMaxRef(some, 5), 2);
  const float nans[] = {NAN, NAN};
  EXPECT_EQ(ArgMaxRef(nans, 2), 0);
}

// ---- RmsNorm ----

TEST(Ops, RmsNormScalarDispatchIsTheReference) {
  IsaScope isa(Isa::kScalar);
  for (int64_t n : kSizes) {
    const std::vector<float> x = Uniform(n, -3, 3, 1), w = Uniform(n, -2, 2, 2);
    std::vector<float> ref(x.size()), got(x.size());
    RmsNormRef(x.data(), w.data(), 1e-6f, n, ref.data());
    RmsNorm(x.data(), w.data(), 1e-6f, n, got.data());
    EXPECT_TRUE(SameBits(ref, got)) << "n=" << n;
  }
}

TEST(Ops, RmsNormSimdWithinRelative1e5) {
  SKIP_WITHOUT_AVX2();
  IsaScope isa(Isa::kAvx2);
  // The sum of squares runs in float over 32 lanes (n / 32 terms each, then
  // a tree of 32) instead of double: relative error <= (n / 32 + 5) * 2^-24,
  // 3.3e-6 at n = 2304; the scale takes half of it plus ~2 ulp (sqrt,
  // divide), y = x * scale * w two more roundings, the same in both. Bound:
  // 1e-5 relative on every output.
  for (int64_t n : kSizes) {
    const std::vector<float> x = Uniform(n, -3, 3, 3), w = Uniform(n, -2, 2, 4);
    for (const float* weight : {w.data(), static_cast<const float*>(nullptr)}) {
      std::vector<float> ref(x.size()), got(x.size());
      RmsNormRef(x.data(), weight, 1e-5f, n, ref.data());
      RmsNorm(x.data(), weight, 1e-5f, n, got.data());
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_LE(std::fabs(got[i] - ref[i]), 1e-5f * std::fabs(ref[i]))
            << "n=" << n << " i=" << i << " weight=" << (weight != nullptr);
      }
      std::vector<float> in_place = x;
      RmsNorm(in_place.data(), weight, 1e-5f, n, in_place.data());
      EXPECT_TRUE(SameBits(in_place, got)) << "n=" << n;
    }
  }
}

// ---- SwiGlu ----

// Inputs over the whole useful range: mostly [-10, 10], some [-100, 100]
// (where exp(-x) overflows), and the extremes.
std::vector<float> SwiGluInputs(int64_t n, uint32_t seed) {
  std::vector<float> x = Uniform(n, -10, 10, seed);
  const std::vector<float> wide = Uniform(n, -100, 100, seed + 1);
  for (int64_t i = 0; i < n; i += 5) x[i] = wide[i];
  const float extremes[] = {-1000.0f, 1000.0f, -88.7f, 88.7f, -87.0f, 0.0f, -0.0f, 1e-30f};
  for (int64_t i = 0; i < n && i < 8; ++i) x[(i * 7) % n] = extremes[i];
  return x;
}

TEST(Ops, SwiGluScalarDispatchIsTheReference) {
  IsaScope isa(Isa::kScalar);
  for (int64_t n : kSizes) {
    const std::vector<float> x = SwiGluInputs(n, 5), g = Uniform(n, -2, 2, 6);
    std::vector<float> ref(x.size()), got(x.size());
    SwiGluRef(x.data(), g.data(), ref.data(), n);
    SwiGlu(x.data(), g.data(), got.data(), n);
    EXPECT_TRUE(SameBits(ref, got)) << "n=" << n;
  }
}

TEST(Ops, SwiGluSimdWithinRelative1e6) {
  SKIP_WITHOUT_AVX2();
  IsaScope isa(Isa::kAvx2);
  // Both exps are ~1.5 ulp from exp (the reference's libm tail ~0.5 ulp), so
  // they differ by <= 3 ulp; 1 + e, the divide and the multiply by g add 1 ulp
  // each, in both: |diff| <= 6 ulp = 3.6e-7 relative. Bound: 1e-6 relative,
  // plus 1e-7 * |g| absolute for results that underflow to (or near) zero.
  for (int64_t n : kSizes) {
    const std::vector<float> x = SwiGluInputs(n, 7), g = Uniform(n, -2, 2, 8);
    std::vector<float> ref(x.size()), got(x.size());
    SwiGluRef(x.data(), g.data(), ref.data(), n);
    SwiGlu(x.data(), g.data(), got.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_FALSE(std::isnan(got[i])) << "x=" << x[i];
      ASSERT_LE(std::fabs(got[i] - ref[i]), 1e-6f * std::fabs(ref[i]) + 1e-7f * std::fabs(g[i]))
          << "n=" << n << " x=" << x[i] << " g=" << g[i];
    }
    std::vector<float> in_x = x, in_g = g;
    SwiGlu(in_x.data(), g.data(), in_x.data(), n);
    SwiGlu(x.data(), in_g.data(), in_g.data(), n);
    EXPECT_TRUE(SameBits(in_x, got) && SameBits(in_g, got)) << "in place, n=" << n;
  }
}

TEST(Ops, SwiGluSimdSaturatesWithoutNan) {
  SKIP_WITHOUT_AVX2();
  IsaScope isa(Isa::kAvx2);
  std::vector<float> x = {-1000.0f, 1000.0f, -3e38f, 3e38f, -1e30f, 1e30f, -100.0f, 100.0f};
  const std::vector<float> g(x.size(), 1.0f);
  std::vector<float> y(x.size());
  SwiGlu(x.data(), g.data(), y.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_TRUE(std::signbit(y[0]));
  EXPECT_EQ(y[1], 1000.0f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[3], 3e38f);
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_EQ(y[5], 1e30f);
  EXPECT_EQ(y[6], 0.0f);
  EXPECT_EQ(y[7], 100.0f);
  // A dense sweep: never NaN, monotone-ish limits respected.
  for (float v = -1e4f; v <= 1e4f; v += 0.37f) {
    float in[8], out[8];
    const float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) in[i] = v + 0.05f * static_cast<float>(i);
    SwiGlu(in, ones, out, 8);
    for (int i = 0; i < 8; ++i) {
      ASSERT_FALSE(std::isnan(out[i])) << in[i];
      ASSERT_GE(out[i], -0.2785f) << in[i];  // silu's minimum is -0.27846
    }
  }
}

// ---- GeGluTanh ----

TEST(Ops, GeGluTanhScalarDispatchUsesTheF16Table) {
  IsaScope isa(Isa::kScalar);
  for (int64_t n : kSizes) {
    const std::vector<float> x = Uniform(n, -12, 12, 9), g = Uniform(n, -2, 2, 10);
    std::vector<float> ref(x.size()), got(x.size());
    for (int64_t i = 0; i < n; ++i) ref[i] = GeluTanhF16Ref(x[i]) * g[i];
    GeGluTanh(x.data(), g.data(), got.data(), n);
    EXPECT_TRUE(SameBits(ref, got)) << "n=" << n;
  }
}

TEST(Ops, GeGluTanhSimdWithin1e5OfFloatGelu) {
  SKIP_WITHOUT_AVX2();
  IsaScope isa(Isa::kAvx2);
  // The kernel computes x / (1 + exp(-2y)), y = sqrt(2/pi) (x + 0.044715 x^3),
  // the reference 0.5 x (1 + tanh(y)). An error of a few ulp in y moves
  // exp(-2y) by 2|y| times as much, but it only matters where exp(-2y) is
  // not tiny, |y| <~ 10: ~20 ulp, 1.2e-6 relative; the reference's
  // 1 + tanh(y) cancels for negative x, an absolute error of ~0.5 |x g|
  // 2^-24 <= 3e-7 |g| for |x| <= 10. Bound: 1e-5 |ref| + 1e-6 |g|.
  for (int64_t n : kSizes) {
    std::vector<float> x = Uniform(n, -12, 12, 11);
    const std::vector<float> g = Uniform(n, -2, 2, 12);
    const float extremes[] = {-1e4f, 1e4f, 1e20f, -1e20f, 0.0f, 3e-3f, -3e-3f};
    for (int64_t i = 0; i < n && i < 7; ++i) x[(i * 5) % n] = extremes[i];
    std::vector<float> got(x.size());
    GeGluTanh(x.data(), g.data(), got.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const float ref = GeluTanhRef(x[i]) * g[i];
      ASSERT_FALSE(std::isnan(got[i])) << "x=" << x[i];
      ASSERT_LE(std::fabs(got[i] - ref), 1e-5f * std::fabs(ref) + 1e-6f * std::fabs(g[i]))
          << "n=" << n << " x=" << x[i] << " g=" << g[i];
    }
    std::vector<float> in_x = x;
    GeGluTanh(in_x.data(), g.data(), in_x.data(), n);
    EXPECT_TRUE(SameBits(in_x, got)) << "in place, n=" << n;
  }
}

// ---- Attention ----

struct AttentionCase {
  int64_t n_head, n_head_kv, head_dim, n_q, pos0, window;
};

std::ostream& operator<<(std::ostream& os, const AttentionCase& c) {
  return os << "heads " << c.n_head << "/" << c.n_head_kv << " dim " << c.head_dim << " n_q "
            << c.n_q << " pos0 " << c.pos0 << " window " << c.window;
}

// Random q in [-amp, amp], f16 k and v in [-1, 1], in padded strides so that
// a stride mix-up shows.
struct AttentionData {
  AttentionData(const AttentionCase& c, float amp, uint32_t seed) : c(c) {
    const int64_t n_keys = c.pos0 + c.n_q;
    q_stride = c.n_head * c.head_dim + 3;
    kv_stride = c.n_head_kv * c.head_dim + 5;
    out_stride = c.n_head * c.head_dim + 1;
    q = Uniform(c.n_q * q_stride, -amp, amp, seed);
    const std::vector<float> kf = Uniform(n_keys * kv_stride, -1, 1, seed + 1);
    const std::vector<float> vf = Uniform(n_keys * kv_stride, -1, 1, seed + 2);
    for (float f : kf) k.push_back(F32ToF16(f));
    for (float f : vf) v.push_back(F32ToF16(f));
  }

  AttentionArgs Args(float* out) const {
    AttentionArgs a;
    a.q = q.data();
    a.q_stride = q_stride;
    a.k = k.data();
    a.v = v.data();
    a.kv_stride = kv_stride;
    a.n_head = c.n_head;
    a.n_head_kv = c.n_head_kv;
    a.head_dim = c.head_dim;
    a.n_q = c.n_q;
    a.pos0 = c.pos0;
    a.window = c.window;
    a.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    a.out = out;
    a.out_stride = out_stride;
    return a;
  }

  // Attention at the active ISA; padding between output rows keeps a NaN
  // sentinel, checked by the caller through OutputPaddingIntact.
  std::vector<float> Run(WorkerPool* pool) const {
    std::vector<float> out(static_cast<size_t>(c.n_q * out_stride), NAN);
    Attention(Args(out.data()), pool);
    return out;
  }

  bool OutputPaddingIntact(const std::vector<float>& out) const {
    for (int64_t i = 0; i < c.n_q; ++i) {
      if (!std::isnan(out[i * out_stride + out_stride - 1])) return false;
    }
    return true;
  }

  int64_t First(int64_t pos) const {
    return c.window > 0 && pos - c.window + 1 > 0 ? pos - c.window + 1 : 0;
  }

  // The oracle loop: AttentionF16Ref per (query, head).
  std::vector<float> Reference() const {
    std::vector<float> out(static_cast<size_t>(c.n_q * out_stride), NAN);
    const int64_t group = c.n_head / c.n_head_kv;
    const float scale = Args(nullptr).scale;
    for (int64_t i = 0; i < c.n_q; ++i) {
      const int64_t pos = c.pos0 + i, first = First(pos);
      for (int64_t h = 0; h < c.n_head; ++h) {
        const int64_t kv = first * kv_stride + h / group * c.head_dim;
        AttentionF16Ref(q.data() + i * q_stride + h * c.head_dim, k.data() + kv, v.data() + kv,
                        pos + 1 - first, c.head_dim, kv_stride, scale,
                        out.data() + i * out_stride + h * c.head_dim);
      }
    }
    return out;
  }

  // The same in double, q rounded to f16 as the SIMD kernel (and llama.cpp)
  // rounds it, the softmax weights not rounded.
  std::vector<float> Exact() const {
    std::vector<float> out(static_cast<size_t>(c.n_q * out_stride), NAN);
    const int64_t group = c.n_head / c.n_head_kv, hd = c.head_dim;
    const double scale = Args(nullptr).scale;
    for (int64_t i = 0; i < c.n_q; ++i) {
      const int64_t pos = c.pos0 + i, first = First(pos);
      for (int64_t h = 0; h < c.n_head; ++h) {
        const float* qh = q.data() + i * q_stride + h * hd;
        const int64_t kv = h / group * hd;
        std::vector<double> s;
        double max = -INFINITY, sum = 0;
        for (int64_t t = first; t <= pos; ++t) {
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d) {
            dot += F16ToF32(F32ToF16(qh[d])) * F16ToF32(k[t * kv_stride + kv + d]);
          }
          s.push_back(dot * scale);
          max = std::max(max, s.back());
        }
        for (double& x : s) sum += (x = std::exp(x - max));
        for (int64_t d = 0; d < hd; ++d) {
          double o = 0;
          for (int64_t t = first; t <= pos; ++t) {
            o += s[t - first] * F16ToF32(v[t * kv_stride + kv + d]);
          }
          out[i * out_stride + h * hd + d] = static_cast<float>(o / sum);
        }
      }
    }
    return out;
  }

  AttentionCase c;
  int64_t q_stride, kv_stride, out_stride;
  std::vector<float> q;     // [n_q, q_stride] f32
  std::vector<uint16_t> k;  // [n_keys, kv_stride] f16
  std::vector<uint16_t> v;  // [n_keys, kv_stride] f16
};

// The SmolLM2 (9 heads over 3 KV heads of 64) and Gemma 3 1B (4 over 1 of
// 256) shapes in decode and prefill, without and with a sliding window.
std::vector<AttentionCase> ModelCases() {
  std::vector<AttentionCase> cases;
  for (auto [nh, nkv, hd] : {std::tuple{9, 3, 64}, std::tuple{4, 1, 256}}) {
    for (auto [n_q, pos0] : {std::pair{1, 0}, {1, 5}, {1, 700}, {37, 0}, {64, 100}}) {
      for (int64_t window : {0, 16}) cases.push_back({nh, nkv, hd, n_q, pos0, window});
    }
  }
  return cases;
}

// Values are in [-1, 1], so max |v| = 1 sets the scale of both bounds.
//  - vs AttentionF16Ref, which rounds q and the softmax weights to f16: the
//    weights' rounding moves the output by <= 2^-11 sum p |v| = 4.9e-4, q's
//    rounding the scores by ~2^-11 scale |q||k| / sqrt(3) ~ 1.5e-4 (random
//    signs; amplitude 1). Bound: 1e-3 absolute.
//  - vs the double oracle: only float rounding, growing as sqrt(n_keys) ulp
//    in the running sums (~2e-6 at 700 keys). Bound: 2e-5 absolute, which a
//    key dropped or taken twice at a block or window edge (~1 / n_keys) fails.
void ExpectAttentionClose(const AttentionData& data, const std::vector<float>& got) {
  const std::vector<float> ref = data.Reference(), exact = data.Exact();
  const AttentionCase& c = data.c;
  ASSERT_TRUE(data.OutputPaddingIntact(got)) << c;
  for (int64_t i = 0; i < c.n_q; ++i) {
    for (int64_t j = 0; j < c.n_head * c.head_dim; ++j) {
      const int64_t at = i * data.out_stride + j;
      ASSERT_LE(std::fabs(got[at] - ref[at]), 1e-3f) << c << " query " << i << " at " << j;
      ASSERT_LE(std::fabs(got[at] - exact[at]), 2e-5f) << c << " query " << i << " at " << j;
    }
  }
}

// The SIMD kernels: AVX2, and the AVX-512 one that calls of several queries
// take (ops.cc) where the CPU has it.
std::vector<Isa> AttentionIsas() {
  std::vector<Isa> out = {Isa::kAvx2};
  if (DetectedIsa() >= Isa::kAvx512) out.push_back(Isa::kAvx512);
  return out;
}

// The same keys and values in 16-position pages stored out of order: every
// kernel reads them through the page table and gives the same bits as from
// the contiguous rows.
TEST(Ops, AttentionThroughAPageTableGivesTheSameBits) {
  std::vector<Isa> isas = {Isa::kScalar};
  if (DetectedIsa() >= Isa::kAvx2) {
    for (Isa i : AttentionIsas()) isas.push_back(i);
  }
  for (Isa which : isas) {
    IsaScope isa(which);
    for (const AttentionCase& c :
         {AttentionCase{9, 3, 64, 37, 100, 0}, AttentionCase{4, 1, 256, 5, 60, 16},
          AttentionCase{9, 3, 64, 1, 70, 0}}) {
      const AttentionData data(c, 1.0f, 21);
      const std::vector<float> want = data.Run(nullptr);
      const int64_t n_keys = c.pos0 + c.n_q, page = 16;
      const int64_t n_pages = (n_keys + page - 1) / page;
      std::vector<int32_t> table(static_cast<size_t>(n_pages));
      for (int64_t i = 0; i < n_pages; ++i)
        table[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + 3) % n_pages);
      // Page p holds positions [16 p, 16 p + 16) at slot table[p].
      const int64_t page_stride = 2 * page * data.kv_stride;  // K rows, then V rows
      std::vector<uint16_t> paged(static_cast<size_t>(n_pages * page_stride), 0);
      for (int64_t t = 0; t < n_keys; ++t) {
        uint16_t* base =
            &paged[static_cast<size_t>(table[static_cast<size_t>(t / page)] * page_stride)];
        std::copy_n(&data.k[static_cast<size_t>(t * data.kv_stride)], data.kv_stride,
                    base + (t % page) * data.kv_stride);
        std::copy_n(&data.v[static_cast<size_t>(t * data.kv_stride)], data.kv_stride,
                    base + page * data.kv_stride + (t % page) * data.kv_stride);
      }
      std::vector<float> got(want.size(), NAN);
      AttentionArgs a = data.Args(got.data());
      a.k = paged.data();
      a.v = paged.data() + page * data.kv_stride;
      a.pages = table.data();
      a.page_size = page;
      a.page_stride = page_stride;
      WorkerPool pool(2);
      Attention(a, &pool);
      EXPECT_TRUE(SameBits(got, want)) << IsaName(which) << " " << c;
    }
  }
}

// Several calls as one step give the bits of the calls one by one.
TEST(Ops, AttentionBatchEqualsTheCallsOneByOne) {
  std::vector<Isa> isas = {Isa::kScalar};
  if (DetectedIsa() >= Isa::kAvx2) {
    for (Isa i : AttentionIsas()) isas.push_back(i);
  }
  WorkerPool pool(2);
  for (Isa which : isas) {
    IsaScope isa(which);
    const AttentionData d1({9, 3, 64, 1, 40, 0}, 1.0f, 31), d2({9, 3, 64, 12, 7, 0}, 1.0f, 32),
        d3({9, 3, 64, 1, 90, 0}, 1.0f, 33);
    const std::vector<float> w1 = d1.Run(&pool), w2 = d2.Run(&pool), w3 = d3.Run(&pool);
    std::vector<float> g1(w1.size(), NAN), g2(w2.size(), NAN), g3(w3.size(), NAN);
    const AttentionArgs calls[] = {d1.Args(g1.data()), d2.Args(g2.data()), d3.Args(g3.data())};
    AttentionBatch(calls, &pool);
    EXPECT_TRUE(SameBits(g1, w1)) << IsaName(which);
    EXPECT_TRUE(SameBits(g2, w2)) << IsaName(which);
    EXPECT_TRUE(SameBits(g3, w3)) << IsaName(which);
  }
}

TEST(Ops, AttentionScalarDispatchIsTheReferenceLoop) {
  IsaScope isa(Isa::kScalar);
  WorkerPool pool(2);
  for (const AttentionCase& c : ModelCases()) {
    const AttentionData data(c, 1.0f, 13);
    const std::vector<float> ref = data.Reference();
    EXPECT_TRUE(SameBits(data.Run(nullptr), ref)) << c;
    EXPECT_TRUE(SameBits(data.Run(&pool), ref)) << c;
  }
}

TEST(Ops, AttentionSimdMatchesReferenceAndPoolSizeChangesNoBit) {
  SKIP_WITHOUT_AVX2();
  for (Isa simd : AttentionIsas()) {
    SCOPED_TRACE(std::string(IsaName(simd)));
    IsaScope isa(simd);
    WorkerPool pool2(2), pool3(3);
    for (const AttentionCase& c : ModelCases()) {
      const AttentionData data(c, 1.0f, 14);
      const std::vector<float> got = data.Run(nullptr);
      ExpectAttentionClose(data, got);
      // Tasks are split by thread count; keys are blocked at fixed positions,
      // so every split gives the same bits.
      EXPECT_TRUE(SameBits(data.Run(&pool2), got)) << c;
      EXPECT_TRUE(SameBits(data.Run(&pool3), got)) << c;
    }
  }
}

TEST(Ops, AttentionSimdOddHeadDimsAndLongWindows) {
  SKIP_WITHOUT_AVX2();
  for (Isa simd : AttentionIsas()) {
    SCOPED_TRACE(std::string(IsaName(simd)));
    IsaScope isa(simd);
    WorkerPool pool(2);
    const AttentionCase cases[] = {
        {2, 1, 36, 5, 70, 0},  {3, 3, 100, 9, 60, 33},  {2, 2, 8, 70, 3, 0},
        {8, 2, 3, 12, 40, 7},  {2, 1, 512, 4, 90, 0},   {6, 1, 128, 40, 200, 65},
        {1, 1, 64, 130, 0, 1}, {16, 2, 72, 3, 129, 64},
    };
    for (const AttentionCase& c : cases) {
      const AttentionData data(c, 1.0f, 15);
      const std::vector<float> got = data.Run(nullptr);
      ExpectAttentionClose(data, got);
      EXPECT_TRUE(SameBits(data.Run(&pool), got)) << c;
    }
  }
}

TEST(Ops, AttentionSimdPeakedScoresStayFinite) {
  SKIP_WITHOUT_AVX2();
  for (Isa simd : AttentionIsas()) {
    SCOPED_TRACE(std::string(IsaName(simd)));
    IsaScope isa(simd);
    // q of amplitude 40: scores spread over hundreds, so the running max jumps
    // and most weights underflow to 0. Only the double oracle applies (the f16
    // rounding of q moves such scores by whole units); float scores carry an
    // absolute error ~ sqrt(head_dim) ulp of |scale q||k| ~ 1e-5, relative in
    // the weights. Bound: 1e-4.
    for (const AttentionCase& c :
         {AttentionCase{9, 3, 64, 20, 300, 0}, AttentionCase{4, 1, 256, 3, 500, 16}}) {
      const AttentionData data(c, 40.0f, 16);
      const std::vector<float> got = data.Run(nullptr), exact = data.Exact();
      for (int64_t i = 0; i < c.n_q; ++i) {
        for (int64_t j = 0; j < c.n_head * c.head_dim; ++j) {
          const int64_t at = i * data.out_stride + j;
          ASSERT_LE(std::fabs(got[at] - exact[at]), 1e-4f) << c << " query " << i << " at " << j;
        }
      }
    }
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
