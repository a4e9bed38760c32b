// Row dots behind kernels/cpu/quant_dot_ref.h, one per (weight, activation)
// pair: `w` is nb weight blocks, `xq` nb activation blocks covering the same
// values. Internal to kernels/cpu (quant_dot_ref.cc: plain and 32-value
// formats; quant_dot_ref_kquants.cc: the K-quants with Q8_K).
#pragma once

#include <cstdint>

namespace kiln::kernels::cpu::internal {

float DotQ4_0Q8_0(const void* w, const void* xq, int64_t nb);
float DotQ4_1Q8_1(const void* w, const void* xq, int64_t nb);
float DotQ5_0Q8_0(const void* w, const void* xq, int64_t nb);
float DotQ5_1Q8_1(const void* w, const void* xq, int64_t nb);
float DotQ8_0Q8_0(const void* w, const void* xq, int64_t nb);

float DotQ2_KQ8_K(const void* w, const void* xq, int64_t nb);
float DotQ3_KQ8_K(const void* w, const void* xq, int64_t nb);
float DotQ4_KQ8_K(const void* w, const void* xq, int64_t nb);
float DotQ5_KQ8_K(const void* w, const void* xq, int64_t nb);
float DotQ6_KQ8_K(const void* w, const void* xq, int64_t nb);

}  // namespace kiln::kernels::cpu::internal
