#include "kernels/cpu/ops_ref.h"

#include <bit>
#include <cmath>
#include <vector>

#include "kernels/half.h"

namespace kiln::kernels::cpu {

int64_t ArgMaxRef(const float* x, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] == x[i] && (best < 0 || x[i] > x[best])) best = i;  // (x[i] == x[i]: not NaN)
  }
  return best < 0 ? 0 : best;
}

void RmsNormRef(const float* x, const float* w, float eps, int64_t n, float* y) {
  // ggml's order: squares in float, summed in double; the scale in float.
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * (w ? w[i] : 1.0f);
}

void LayerNormRef(const float* x, const float* w, const float* b, float eps, int64_t n, float* y) {
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  double var = 0;
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(n);
  const double inv = 1.0 / std::sqrt(var + eps);
  for (int64_t i = 0; i < n; ++i) {
    float v = static_cast<float>((x[i] - mean) * inv);
    y[i] = v * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
  }
}

void RopeAdjacentRef(float* x, int64_t head_dim, int64_t rot_dim, int64_t pos, float base) {
  (void)head_dim;  // dims past rot_dim are left as they are
  std::vector<float> cos(static_cast<size_t>(rot_dim / 2)), sin(cos.size());
  RopeAnglesRef(rot_dim, pos, base, cos.data(), sin.data());
  RopeAdjacentApply(x, rot_dim, cos.data(), sin.data());
}

void RopeHalvesRef(float* x, int64_t head_dim, int64_t rot_dim, int64_t pos, float base) {
  (void)head_dim;
  std::vector<float> cos(static_cast<size_t>(rot_dim / 2)), sin(cos.size());
  RopeAnglesRef(rot_dim, pos, base, cos.data(), sin.data());
  RopeHalvesApply(x, rot_dim, cos.data(), sin.data());
}

void RopeAnglesRef(int64_t rot_dim, int64_t pos, float base, float* cos, float* sin) {
  const float step = std::pow(base, -2.0f / static_cast<float>(rot_dim));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < rot_dim / 2; ++i, theta *= step) {
    cos[i] = std::cos(theta);
    sin[i] = std::sin(theta);
  }
}

void RopeAdjacentApply(float* x, int64_t rot_dim, const float* cos, const float* sin) {
  for (int64_t i = 0; i < rot_dim / 2; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = a * cos[i] - b * sin[i];
    x[2 * i + 1] = a * sin[i] + b * cos[i];
  }
}

void RopeHalvesApply(float* x, int64_t rot_dim, const float* cos, const float* sin) {
  const int64_t half = rot_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float a = x[i], b = x[i + half];
    x[i] = a * cos[i] - b * sin[i];
    x[i + half] = a * sin[i] + b * cos[i];
  }
}

void SoftmaxRef(float* x, int64_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float SiluRef(float x) { return x / (1.0f + std::exp(-x)); }

namespace {

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }
float FromBits(uint32_t u) { return std::bit_cast<float>(u); }

}  // namespace

float ExpPolyRef(float x) {
  // exp(x) = 2^n * exp(b), n = round(x / ln 2) found with the 1.5 * 2^23
  // shifter, b = x - n ln 2 in two parts, exp(b) by a degree-5 polynomial.
  const float shifter = 0x1.8p23f;
  const float z = x * 0x1.715476p+0f + shifter;
  const float n = z - shifter;
  const float b = (x - n * 0x1.62e4p-1f) - n * 0x1.7f7d1cp-20f;
  const uint32_t e = Bits(z) << 23;
  const float k = FromBits(e + Bits(1.0f));  // 2^n
  const float u = b * b;
  const float p = (0x1.0e4020p-7f * b + 0x1.573e2ep-5f) * u + (0x1.555e66p-3f * b + 0x1.fffdb6p-2f);
  const float j = p * u + 0x1.ffffecp-1f * b;  // exp(b) - 1
  if (!(std::fabs(n) > 126.0f)) return j * k + k;
  // 2^n itself would overflow or underflow: scale in two steps.
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = FromBits(g + 0x7f000000u);
  const float s2 = FromBits(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return (s2 * j + s2) * s1;
}

void SwiGluRef(const float* x, const float* g, float* y, int64_t n) {
  const int64_t vectorized = n / 4 * 4;
  for (int64_t i = 0; i < vectorized; ++i) {
    y[i] = x[i] / (1.0f + ExpPolyRef(0.0f - x[i])) * g[i];
  }
  for (int64_t i = vectorized; i < n; ++i) y[i] = SiluRef(x[i]) * g[i];
}

float GeluTanhRef(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

float GeluErfRef(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f)); }

float GeluTanhF16Ref(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  // ggml's table entry for f16 h is f16(gelu(f32(h))), with gelu written as
  // 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))).
  const float h = F16ToF32(F32ToF16(x));
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  const float g = 0.5f * h * (1.0f + std::tanh(kSqrt2OverPi * h * (1.0f + 0.044715f * h * h)));
  return F16ToF32(F32ToF16(g));
}

namespace {

// Softmax as ggml's x86 vector code computes it over a row that masking pads
// to a multiple of four: exp through ExpPolyRef, each group of four summed as
// (v0 + v1) + (v2 + v3) in float, the groups summed in double.
void SoftmaxGroupsOf4(float* x, int64_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; i += 4) {
    float v[4] = {0, 0, 0, 0};  // masked padding contributes exp(-inf) = 0
    for (int64_t j = 0; j < 4 && i + j < n; ++j) v[j] = x[i + j] = ExpPolyRef(x[i + j] - max);
    sum += static_cast<double>((v[0] + v[1]) + (v[2] + v[3]));
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace

void AttentionF16Ref(const float* q, const uint16_t* k, const uint16_t* v, int64_t n_keys,
                     int64_t head_dim, int64_t stride, float scale, float* out) {
  // ggml computes q.k and p.v as f16 x f16 dot products (ggml_vec_dot_f16),
  // each product in float, summed in double, rounded to float once.
  std::vector<float> qh(static_cast<size_t>(head_dim));
  for (int64_t d = 0; d < head_dim; ++d) qh[d] = F16ToF32(F32ToF16(q[d]));
  std::vector<float> scores(static_cast<size_t>(n_keys));
  for (int64_t t = 0; t < n_keys; ++t) {
    const uint16_t* kt = k + t * stride;
    double dot = 0;
    for (int64_t d = 0; d < head_dim; ++d) dot += static_cast<double>(qh[d] * F16ToF32(kt[d]));
    scores[static_cast<size_t>(t)] = static_cast<float>(dot) * scale;
  }
  SoftmaxGroupsOf4(scores.data(), n_keys);
  for (float& p : scores) p = F16ToF32(F32ToF16(p));
  for (int64_t d = 0; d < head_dim; ++d) {
    double sum = 0;
    for (int64_t t = 0; t < n_keys; ++t) {
      sum += static_cast<double>(scores[static_cast<size_t>(t)] * F16ToF32(v[t * stride + d]));
    }
    out[d] = static_cast<float>(sum);
  }
}

void AttentionRef(const float* q, const float* k, const float* v, int64_t n_keys, int64_t head_dim,
                  int64_t stride, float scale, float* out) {
  std::vector<float> scores(static_cast<size_t>(n_keys));
  for (int64_t t = 0; t < n_keys; ++t) {
    const float* kt = k + t * stride;
    float dot = 0;
    for (int64_t d = 0; d < head_dim; ++d) dot += q[d] * kt[d];
    scores[static_cast<size_t>(t)] = dot * scale;
  }
  SoftmaxRef(scores.data(), n_keys);
  for (int64_t d = 0; d < head_dim; ++d) out[d] = 0;
  for (int64_t t = 0; t < n_keys; ++t) {
    const float* vt = v + t * stride;
    const float p = scores[static_cast<size_t>(t)];
    for (int64_t d = 0; d < head_dim; ++d) out[d] += p * vt[d];
  }
}

}  // namespace kiln::kernels::cpu
