// quant_avx2.cc built with AVX-512 VL + VNNI (see there): the same kernels on
// 256-bit vectors, with vpdpbusd for the u8 x s8 block sums.
#define KILN_X86_NS avx512
#define KILN_X86_VNNI 1
#include "kernels/cpu/x86/quant_avx2.cc"  // NOLINT(bugprone-suspicious-include)
