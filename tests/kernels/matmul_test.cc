// The dispatched matmul kernels (kernels/cpu/matmul.h) against the scalar
// reference (quant_dot_ref.h), on random rows of every weight type (random
// bytes, sane scales: tests/kernels/test_blocks.h), for every SIMD ISA this
// CPU has; odd block counts, odd float tails, odd row and batch counts.
//
// Tolerances, and why:
// - activation quantizers: the f16/f32 scale is bit-identical (same float
//   operations); codes may differ by one where x * (1/d) lands on a .5 tie
//   (the reference rounds half away from zero, the SIMD code to even); Q8_K's
//   SIMD quantizer is the reference's own arithmetic, so it is bit-identical.
// - dots: the integer block sums are exact in both, only the float sums are
//   ordered differently, so |simd - ref| <= 1e-5 * sum |w_i x_i| (+1e-6).
// - scalar mode: bit-identical to the reference.
#include "kernels/cpu/matmul.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/reference.h"
#include "kernels/types.h"
#include "tests/kernels/test_blocks.h"

namespace kiln::kernels::cpu {
namespace {

const GgmlType kWeightTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                                 GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                 GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                 GgmlType::Q6_K};

// Restores the ISA a test changed.
class IsaGuard {
 public:
  IsaGuard() : saved_(ActiveIsa()) {}
  ~IsaGuard() { SetActiveIsa(saved_); }

 private:
  Isa saved_;
};

std::vector<Isa> SimdIsas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (i <= DetectedIsa()) out.push_back(i);
  }
  return out;
}

// Column counts: whole blocks, an odd number of them; plain floats get tails.
std::vector<int64_t> ColsFor(GgmlType t) {
  const int64_t b = Traits(t).block_size;
  if (b == 1) return {1, 7, 37, 64, 385, 576};
  if (b == 256) return {256, 768, 2560};
  return {32, 96, 608, 1536};
}

std::vector<float> RandomFloats(int64_t n, std::mt19937& rng, float scale = 2.0f) {
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

// sum |w_i x_i| over the dequantized weights and activations: the scale of the
// rounding error of any summation order.
double AbsDot(GgmlType t, const void* w, const void* xq, int64_t n) {
  std::vector<float> wf(static_cast<size_t>(n)), xf(static_cast<size_t>(n));
  DequantizeRowRef(t, w, wf.data(), n);
  DequantizeRowRef(ActivationType(t), xq, xf.data(), n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(wf[i]) * xf[i]);
  return s;
}

TEST(MatMulTest, DetectsTheIsaAndForcesScalar) {
  IsaGuard guard;
  EXPECT_GE(DetectedIsa(), Isa::kScalar);
  EXPECT_EQ(SetActiveIsa(Isa::kScalar), Isa::kScalar);
  EXPECT_EQ(ActiveIsa(), Isa::kScalar);
  // Never above what the CPU has.
  EXPECT_EQ(SetActiveIsa(Isa::kAmx), DetectedIsa());
  Isa parsed;
  EXPECT_TRUE(ParseIsa("avx2", &parsed));
  EXPECT_EQ(parsed, Isa::kAvx2);
  EXPECT_FALSE(ParseIsa("sse9", &parsed));
}

TEST(MatMulTest, ActivationQuantizersMatchTheReference) {
  IsaGuard guard;
  std::mt19937 rng(7);
  for (Isa isa : SimdIsas()) {
    for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_1, GgmlType::Q4_K}) {
      for (int64_t n : {256, 512, 2560}) {
        std::vector<float> x = RandomFloats(n, rng, 3.0f);
        x[5] = 0.0f;
        if (n == 512) std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero block
        const size_t bytes = ActivationRowBytes(t, n);
        std::vector<uint8_t> ref(bytes), simd(bytes);
        QuantizeActivationsRef(t, x.data(), ref.data(), n);
        SetActiveIsa(isa);
        QuantizeActivations(t, x.data(), simd.data(), n);
        SetActiveIsa(Isa::kScalar);
        const GgmlType a = ActivationType(t);
        SCOPED_TRACE(std::string(IsaName(isa)) + " " + std::string(TypeName(a)) +
                     " n=" + std::to_string(n));
        if (a == GgmlType::Q8_K) {
          EXPECT_EQ(ref, simd);
          continue;
        }
        const bool q8_1 = a == GgmlType::Q8_1;
        const size_t block = q8_1 ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
        const size_t qs = q8_1 ? 4 : 2;
        for (size_t b = 0; b < bytes / block; ++b) {
          const uint8_t* r = ref.data() + b * block;
          const uint8_t* s = simd.data() + b * block;
          EXPECT_EQ(0, std::memcmp(r, s, 2)) << "scale of block " << b;
          for (size_t j = 0; j < 32; ++j) {
            EXPECT_LE(std::abs(int8_t(r[qs + j]) - int8_t(s[qs + j])), 1) << b << "/" << j;
          }
        }
      }
    }
  }
}

TEST(MatMulTest, DotsMatchTheReferenceForEveryType) {
  IsaGuard guard;
  std::mt19937 rng(11);
  for (Isa isa : SimdIsas()) {
    for (GgmlType t : kWeightTypes) {
      for (int64_t n : ColsFor(t)) {
        for (int trial = 0; trial < 4; ++trial) {
          std::vector<uint8_t> w = testing::RandomRow(t, n, rng);
          std::vector<float> x = RandomFloats(n, rng);
          std::vector<uint8_t> xq(ActivationRowBytes(t, n));
          QuantizeActivationsRef(t, x.data(), xq.data(), n);
          const float ref = DotQuantizedRef(t, w.data(), xq.data(), n);
          SetActiveIsa(isa);
          const float simd = DotQuantized(t, w.data(), xq.data(), n);
          SetActiveIsa(Isa::kScalar);
          const double tol = 1e-5 * AbsDot(t, w.data(), xq.data(), n) + 1e-6;
          EXPECT_NEAR(simd, ref, tol) << IsaName(isa) << " " << TypeName(t) << " n=" << n;
          EXPECT_EQ(DotQuantized(t, w.data(), xq.data(), n), ref) << "scalar mode";
        }
      }
    }
  }
}

// MatMul over a matrix and a batch: every output is the single-row dot of the
// active ISA up to float summation order (the one-row kernels keep two
// accumulator chains, the batched ones one per row) and exactly it in scalar
// mode; a worker pool changes no bit. Two widths per type: for the 32-value
// block formats one that is not a multiple of 64 values and one that is
// (batches of up to 8 rows then take the AMX tiles in slots).
TEST(MatMulTest, BatchesAndThreadsGiveTheSameProducts) {
  IsaGuard guard;
  std::mt19937 rng(13);
  WorkerPool pool(2);
  std::vector<Isa> isas = SimdIsas();
  isas.push_back(Isa::kScalar);
  for (Isa isa : isas) {
    for (GgmlType t : kWeightTypes) {
      for (int64_t cols : {ColsFor(t)[1], ColsFor(t).back()}) {
        for (int64_t rows : {1, 7, 37, 130}) {
          std::vector<uint8_t> w;
          for (int64_t r = 0; r < rows; ++r) {
            std::vector<uint8_t> row = testing::RandomRow(t, cols, rng);
            w.insert(w.end(), row.begin(), row.end());
          }
          for (int64_t n : {1, 3, 5, 8, 16, 37}) {
            SCOPED_TRACE(std::string(IsaName(isa)) + " " + std::string(TypeName(t)) +
                         " cols=" + std::to_string(cols) + " rows=" + std::to_string(rows) +
                         " n=" + std::to_string(n));
            std::vector<float> x = RandomFloats(n * cols, rng);
            SetActiveIsa(isa);
            QuantizedRows xq;
            xq.Quantize(t, x.data(), n, cols, cols);
            std::vector<float> y1(static_cast<size_t>(n * rows), -1.0f), y2 = y1;
            const MatMulJob job{t, w.data(), rows, &xq, y1.data(), rows};
            MatMul({&job, 1}, nullptr);
            MatMul(t, w.data(), rows, cols, x.data(), n, y2.data(), &pool);
            const size_t row_bytes = RowBytes(t, cols);
            for (int64_t b = 0; b < n; ++b) {
              for (int64_t r = 0; r < rows; ++r) {
                const uint8_t* wr = w.data() + r * row_bytes;
                const float want = DotQuantized(t, wr, xq.row(b), cols);
                const double tol = 1e-5 * AbsDot(t, wr, xq.row(b), cols) + 1e-6;
                ASSERT_NEAR(y1[b * rows + r], want, isa == Isa::kScalar ? 0.0 : tol)
                    << "b=" << b << " r=" << r;
                ASSERT_EQ(y2[b * rows + r], y1[b * rows + r]) << "pool b=" << b << " r=" << r;
              }
            }
            if (isa == Isa::kScalar) {  // and that is the reference, bit for bit
              std::vector<uint8_t> xr(ActivationRowBytes(t, cols));
              QuantizeActivationsRef(t, x.data(), xr.data(), cols);
              ASSERT_EQ(std::memcmp(xr.data(), xq.row(0), xr.size()), 0);
              ASSERT_EQ(y1[0], DotQuantizedRef(t, w.data(), xr.data(), cols));
            }
            SetActiveIsa(Isa::kScalar);
          }
        }
      }
    }
  }
}

// Several jobs sharing one quantized input, as Q/K/V do, in one parallel step.
TEST(MatMulTest, JobsSharingAnInputRunAsOneStep) {
  IsaGuard guard;
  std::mt19937 rng(17);
  WorkerPool pool(2);
  const int64_t cols = 576, n = 2;
  const int64_t rows[3] = {576, 192, 192};
  std::vector<std::vector<uint8_t>> w(3);
  for (int j = 0; j < 3; ++j) {
    for (int64_t r = 0; r < rows[j]; ++r) {
      std::vector<uint8_t> row = testing::RandomRow(GgmlType::Q4_1, cols, rng);
      w[j].insert(w[j].end(), row.begin(), row.end());
    }
  }
  std::vector<float> x = RandomFloats(n * cols, rng);
  QuantizedRows xq;
  xq.Quantize(GgmlType::Q4_1, x.data(), n, cols, cols, &pool);
  std::vector<std::vector<float>> y(3);
  MatMulJob jobs[3];
  for (int j = 0; j < 3; ++j) {
    y[j].assign(static_cast<size_t>(n * rows[j]), 0.0f);
    jobs[j] = MatMulJob{GgmlType::Q4_1, w[j].data(), rows[j], &xq, y[j].data(), rows[j]};
  }
  MatMul(jobs, &pool);
  for (int j = 0; j < 3; ++j) {
    std::vector<float> single(static_cast<size_t>(n * rows[j]));
    const MatMulJob one{GgmlType::Q4_1, w[j].data(), rows[j], &xq, single.data(), rows[j]};
    MatMul({&one, 1}, nullptr);
    EXPECT_EQ(y[j], single) << "job " << j;
  }
}

// Rows made on demand (the executor's fused RMSNorm and GLU) quantize to the
// same bytes, and the same AMX panel, as the rows made first.
TEST(MatMulTest, RowsMadeOnDemandQuantizeLikeStoredRows) {
  IsaGuard guard;
  std::mt19937 rng(19);
  WorkerPool pool(2);
  const int64_t cols = 640;
  std::vector<Isa> isas = SimdIsas();
  isas.push_back(Isa::kScalar);
  for (Isa isa : isas) {
    SetActiveIsa(isa);
    for (GgmlType t : {GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q4_K}) {
      for (int64_t n : {1, 20}) {
        SCOPED_TRACE(std::string(IsaName(isa)) + " " + std::string(TypeName(t)) +
                     " n=" + std::to_string(n));
        const int64_t c = t == GgmlType::Q4_K ? 768 : cols;
        std::vector<float> x = RandomFloats(n * c, rng);
        std::vector<float> made(x.size());
        for (size_t i = 0; i < x.size(); ++i) made[i] = x[i] * 0.5f - 0.25f;
        struct Ctx {
          const float* x;
          int64_t cols;
        } ctx{x.data(), c};
        const RowSource source{[](const void* p, int64_t b, float* out) {
                                 const auto& k = *static_cast<const Ctx*>(p);
                                 for (int64_t i = 0; i < k.cols; ++i)
                                   out[i] = k.x[b * k.cols + i] * 0.5f - 0.25f;
                               },
                               &ctx};
        QuantizedRows stored, on_demand;
        stored.Quantize(t, made.data(), n, c, c, &pool);
        on_demand.Quantize(t, source, n, c, &pool);
        ASSERT_EQ(stored.row_bytes(), on_demand.row_bytes());
        EXPECT_EQ(0, std::memcmp(stored.row(0), on_demand.row(0), stored.row_bytes() * n));
        ASSERT_EQ(stored.panel() == nullptr, on_demand.panel() == nullptr);
        if (stored.panel() != nullptr) {
          EXPECT_EQ(isa, Isa::kAmx);  // 704 bytes per 16 rows x 32 values (matmul_amx.cc)
          EXPECT_EQ(
              0, std::memcmp(stored.panel(), on_demand.panel(), ((n + 15) / 16) * (c / 32) * 704));
        }
      }
    }
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
