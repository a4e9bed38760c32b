#include "kernels/blocks.h"

namespace kiln::kernels {

void UnpackScalesMinsK4(const uint8_t* packed, uint8_t scales[8], uint8_t mins[8]) {
  for (int k = 0; k < 4; ++k) {
    scales[k] = packed[k] & 63;
    mins[k] = packed[k + 4] & 63;
  }
  for (int k = 4; k < 8; ++k) {
    scales[k] = static_cast<uint8_t>((packed[k + 4] & 0xF) | (packed[k - 4] >> 6) << 4);
    mins[k] = static_cast<uint8_t>((packed[k + 4] >> 4) | (packed[k] >> 6) << 4);
  }
}

}  // namespace kiln::kernels
