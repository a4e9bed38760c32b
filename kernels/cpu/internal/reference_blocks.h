// One-block kernels behind kernels/cpu/reference.h, one file per format
// family (reference_legacy.cc: the 32-value formats; reference_kquants.cc:
// the 256-value K-quants). Internal to kernels/cpu.
#pragma once

namespace kiln::kernels::cpu::internal {

// Each handles one block: `block` points to one block of its type and `y` to
// block_size floats.

void DequantizeBlockQ4_0(const void* block, float* y);
void DequantizeBlockQ4_1(const void* block, float* y);
void DequantizeBlockQ5_0(const void* block, float* y);
void DequantizeBlockQ5_1(const void* block, float* y);
void DequantizeBlockQ8_0(const void* block, float* y);
void DequantizeBlockQ8_1(const void* block, float* y);
void QuantizeBlockQ4_0(const float* x, void* block);
void QuantizeBlockQ4_1(const float* x, void* block);
void QuantizeBlockQ5_0(const float* x, void* block);
void QuantizeBlockQ5_1(const float* x, void* block);
void QuantizeBlockQ8_0(const float* x, void* block);
void QuantizeBlockQ8_1(const float* x, void* block);

void DequantizeBlockQ2_K(const void* block, float* y);
void DequantizeBlockQ3_K(const void* block, float* y);
void DequantizeBlockQ4_K(const void* block, float* y);
void DequantizeBlockQ5_K(const void* block, float* y);
void DequantizeBlockQ6_K(const void* block, float* y);
void DequantizeBlockQ8_K(const void* block, float* y);
void QuantizeBlockQ8_K(const float* x, void* block);

}  // namespace kiln::kernels::cpu::internal
