// Which instruction set the CPU kernels run with. Detected once from CPUID
// (and the OS's XSAVE state) at first use; KILN_ISA=scalar|avx2|avx512|amx in the
// environment, or SetActiveIsa, lowers it (never above what the CPU has).
// kScalar runs the reference kernels (reference*.cc, quant_dot_ref*.cc,
// ops_ref.cc): bit-identical to llama.cpp's generic build, the mode the
// exactness tests use.
#pragma once

#include <string_view>

namespace kiln::kernels::cpu {

enum class Isa {
  kScalar = 0,
  kAvx2 = 1,    // AVX2 + FMA + F16C
  kAvx512 = 2,  // kAvx2 + AVX-512 F/BW/VL + VNNI
  kAmx = 3,     // kAvx512 + AMX-TILE/INT8 tiles for batches (the OS must grant them)
};

// The best instruction set this CPU and OS support.
Isa DetectedIsa();
// What the kernels use now: DetectedIsa(), lowered by KILN_ISA or SetActiveIsa.
Isa ActiveIsa();
// Sets the active ISA (clamped to DetectedIsa()); returns what was set. Not
// for use while kernels run on other threads (tests and start-up only).
Isa SetActiveIsa(Isa isa);
std::string_view IsaName(Isa isa);
// Parses "scalar", "avx2", "avx512", "amx"; false for anything else.
bool ParseIsa(std::string_view name, Isa* isa);

}  // namespace kiln::kernels::cpu
