// KvCache: the keys and values one sequence has computed so far, per layer,
// as f16 [n_ctx, kv_dim] blocks (f16, as llama.cpp keeps them by default:
// half the memory of f32, and the same rounding as the reference engine). Owned by whoever runs the
// sequence (one per conversation); not thread-safe. The serving issue replaces this contiguous
// layout with paged blocks shared through a prefix cache.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/half.h"

namespace kiln::engine {

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim)
      : n_layer_(n_layer),
        n_ctx_(n_ctx),
        kv_dim_(kv_dim),
        k_(static_cast<size_t>(n_layer * n_ctx * kv_dim)),
        v_(static_cast<size_t>(n_layer * n_ctx * kv_dim)) {}

  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  // Positions filled so far; the next token goes at position size().
  int64_t size() const { return size_; }
  void set_size(int64_t n) { size_ = n; }  // n <= size(): forget the tail
  void clear() { size_ = 0; }

  // [kv_dim] f16 row of layer `layer` at position `pos`.
  uint16_t* K(int64_t layer, int64_t pos) { return &k_[Index(layer, pos)]; }
  uint16_t* V(int64_t layer, int64_t pos) { return &v_[Index(layer, pos)]; }
  const uint16_t* K(int64_t layer, int64_t pos) const { return &k_[Index(layer, pos)]; }
  const uint16_t* V(int64_t layer, int64_t pos) const { return &v_[Index(layer, pos)]; }
  // Stores f32 rows (rounded to nearest f16) at `pos`.
  void Store(int64_t layer, int64_t pos, const float* k, const float* v) {
    uint16_t* kd = K(layer, pos);
    uint16_t* vd = V(layer, pos);
    for (int64_t i = 0; i < kv_dim_; ++i) {
      kd[i] = kernels::F32ToF16(k[i]);
      vd[i] = kernels::F32ToF16(v[i]);
    }
  }
  size_t bytes() const { return (k_.size() + v_.size()) * sizeof(uint16_t); }

 private:
  size_t Index(int64_t layer, int64_t pos) const {
    return static_cast<size_t>((layer * n_ctx_ + pos) * kv_dim_);
  }
  int64_t n_layer_, n_ctx_, kv_dim_;
  int64_t size_ = 0;
  std::vector<uint16_t> k_;  // [n_layer, n_ctx, kv_dim] f16
  std::vector<uint16_t> v_;  // [n_layer, n_ctx, kv_dim] f16
};

}  // namespace kiln::engine
