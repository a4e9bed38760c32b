#include "kernels/cpu/dispatch.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace kiln::kernels::cpu {
namespace {

uint64_t Xgetbv() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa Detect() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::kScalar;
  const bool fma = c & bit_FMA, f16c = c & bit_F16C, osxsave = c & bit_OSXSAVE, avx = c & bit_AVX;
  if (!(fma && f16c && osxsave && avx)) return Isa::kScalar;
  const uint64_t xcr0 = Xgetbv();
  if ((xcr0 & 0x6) != 0x6) return Isa::kScalar;  // XMM and YMM state saved by the OS
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Isa::kScalar;
  if (!(b & bit_AVX2)) return Isa::kScalar;
  const bool avx512 = (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512VL) &&
                      (b & bit_AVX512DQ) && (c & bit_AVX512VNNI) && (xcr0 & 0xe0) == 0xe0;
  if (!avx512) return Isa::kAvx2;
  // AMX: CPUID 7.0 EDX bits 24 (tile) and 25 (int8), tile state in XCR0
  // (bits 17, 18), and Linux's permission to use it (arch_prctl
  // ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA), granted to the process.
  const bool amx = (d & (1u << 24)) && (d & (1u << 25)) && (xcr0 & 0x60000) == 0x60000;
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtileData = 18;
  if (amx && syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0) return Isa::kAmx;
  return Isa::kAvx512;
}

Isa Initial() {
  Isa isa = DetectedIsa();
  if (const char* env = std::getenv("KILN_ISA")) {
    Isa wanted;
    if (ParseIsa(env, &wanted) && wanted < isa) isa = wanted;
  }
  return isa;
}

std::atomic<int>& Active() {
  static std::atomic<int> active{static_cast<int>(Initial())};
  return active;
}

}  // namespace

Isa DetectedIsa() {
  static const Isa detected = Detect();
  return detected;
}

Isa ActiveIsa() { return static_cast<Isa>(Active().load(std::memory_order_relaxed)); }

Isa SetActiveIsa(Isa isa) {
  if (isa > DetectedIsa()) isa = DetectedIsa();
  Active().store(static_cast<int>(isa), std::memory_order_relaxed);
  return isa;
}

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAmx:
      return "amx";
  }
  return "?";
}

bool ParseIsa(std::string_view name, Isa* isa) {
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (name == IsaName(i)) {
      *isa = i;
      return true;
    }
  }
  return false;
}

}  // namespace kiln::kernels::cpu
