// Tiny random-weight GGUF models for engine tests (two layers, a vocabulary
// of 32), written with GgufWriter. `mutate` can break them on purpose.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/gguf/gguf_writer.h"
#include "kernels/cpu/reference.h"

namespace kiln::engine::testing {

struct TinyLlama {
  int64_t n_embd = 32, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 64, n_vocab = 32;
  kernels::GgmlType matrix_type = kernels::GgmlType::Q8_0;
  uint32_t seed = 1;
};

inline std::string RandomTensorBytes(kernels::GgmlType type, int64_t cols, int64_t rows,
                                     std::mt19937& rng, float scale = 0.2f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> values(static_cast<size_t>(cols * rows));
  for (float& v : values) v = dist(rng);
  std::string bytes(kernels::RowBytes(type, cols) * static_cast<size_t>(rows), '\0');
  for (int64_t r = 0; r < rows; ++r) {
    kernels::cpu::QuantizeRowRef(type, &values[static_cast<size_t>(r * cols)],
                                 &bytes[kernels::RowBytes(type, cols) * static_cast<size_t>(r)],
                                 cols);
  }
  return bytes;
}

inline std::string OnesF32(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n), 1.0f);
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// A llama-architecture file. `skip` names a tensor to leave out.
inline std::string WriteTinyLlama(const TinyLlama& t, const std::string& skip = "",
                                  const std::string& arch = "llama") {
  std::mt19937 rng(t.seed);
  GgufWriter w;
  w.SetString("general.architecture", arch);
  w.SetString("general.name", "tiny");
  w.SetUint32(arch + ".block_count", static_cast<uint32_t>(t.n_layer));
  w.SetUint32(arch + ".embedding_length", static_cast<uint32_t>(t.n_embd));
  w.SetUint32(arch + ".feed_forward_length", static_cast<uint32_t>(t.n_ff));
  w.SetUint32(arch + ".attention.head_count", static_cast<uint32_t>(t.n_head));
  w.SetUint32(arch + ".attention.head_count_kv", static_cast<uint32_t>(t.n_head_kv));
  w.SetUint32(arch + ".context_length", 64);
  w.SetFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  const int64_t hd = t.n_embd / t.n_head, kv = t.n_head_kv * hd;
  auto add = [&](const std::string& name, kernels::GgmlType type, int64_t cols, int64_t rows) {
    if (name == skip) return;
    std::vector<int64_t> dims =
        rows > 0 ? std::vector<int64_t>{cols, rows} : std::vector<int64_t>{cols};
    std::string data = rows > 0 ? RandomTensorBytes(type, cols, rows, rng) : OnesF32(cols);
    (void)w.AddTensor(name, type, dims, std::move(data));
  };
  add("token_embd.weight", t.matrix_type, t.n_embd, t.n_vocab);
  add("output_norm.weight", kernels::GgmlType::F32, t.n_embd, 0);
  for (int64_t i = 0; i < t.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    add(b + "attn_norm.weight", kernels::GgmlType::F32, t.n_embd, 0);
    add(b + "attn_q.weight", t.matrix_type, t.n_embd, t.n_embd);
    add(b + "attn_k.weight", t.matrix_type, t.n_embd, kv);
    add(b + "attn_v.weight", t.matrix_type, t.n_embd, kv);
    add(b + "attn_output.weight", t.matrix_type, t.n_embd, t.n_embd);
    add(b + "ffn_norm.weight", kernels::GgmlType::F32, t.n_embd, 0);
    add(b + "ffn_gate.weight", t.matrix_type, t.n_embd, t.n_ff);
    add(b + "ffn_up.weight", t.matrix_type, t.n_embd, t.n_ff);
    add(b + "ffn_down.weight", t.matrix_type, t.n_ff, t.n_embd);
  }
  return w.Serialize();
}

}  // namespace kiln::engine::testing
