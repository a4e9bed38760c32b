// Command-line access to the reference kernels, for cross-checks from
// outside C++ (tests/kernels/test_formats_vs_gguf.py compares it with gguf-py,
// tests/kernels/test_quant_dot.py with a numpy form of ggml's dots):
//   kernels_tool dequant TYPE IN.bin OUT.f32   raw blocks -> little-endian f32
//   kernels_tool quant   TYPE IN.f32 OUT.bin   f32 -> raw blocks
//   kernels_tool qdot    TYPE W.bin X.f32 OUT.f32
//       W.bin: rows of TYPE, each len(X) values; OUT = MatVecQuantizedRef
//       (x quantized to ActivationType(TYPE), then ggml's generic dots)
// TYPE is a GGUF type name (Q4_0, Q6_K, F16, ...). Exit status 0 on success,
// 1 on a bad argument or I/O error (message on stderr).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/reference.h"
#include "kernels/types.h"

namespace {

using kiln::kernels::GgmlType;
using kiln::kernels::TypeTraits;

std::optional<GgmlType> ParseType(const std::string& name) {
  for (uint32_t id = 0; id < 64; ++id) {
    const TypeTraits* t = kiln::kernels::FindTypeTraits(id);
    if (t != nullptr && t->name == name) return t->type;
  }
  return std::nullopt;
}

bool ReadFile(const std::string& path, std::vector<char>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

int Fail(const std::string& message) {
  std::cerr << "kernels_tool: " << message << "\n";
  return 1;
}

}  // namespace

std::vector<float> ToFloats(const std::vector<char>& bytes) {
  std::vector<float> values(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(values.size() * 4),
            reinterpret_cast<char*>(values.data()));
  return values;
}

int QuantizedDot(GgmlType type, const std::vector<char>& w, const char* x_path,
                 const char* out_path) {
  if (!kiln::kernels::cpu::HasQuantizedDotRef(type))
    return Fail("no quantized dot for " + std::string(kiln::kernels::TypeName(type)));
  std::vector<char> x_bytes;
  if (!ReadFile(x_path, &x_bytes)) return Fail(std::string("cannot read ") + x_path);
  if (x_bytes.size() % sizeof(float) != 0) return Fail("X is not a whole number of floats");
  const std::vector<float> x = ToFloats(x_bytes);
  const auto cols = static_cast<int64_t>(x.size());
  const GgmlType act = kiln::kernels::cpu::ActivationType(type);
  if (cols == 0 || !kiln::kernels::IsWholeBlocks(type, cols) ||
      !kiln::kernels::IsWholeBlocks(act, cols))
    return Fail("len(X) is not a whole number of blocks");
  const size_t row_bytes = kiln::kernels::RowBytes(type, cols);
  if (w.size() % row_bytes != 0) return Fail("W is not a whole number of rows");
  const auto rows = static_cast<int64_t>(w.size() / row_bytes);
  std::vector<float> y(static_cast<size_t>(rows));
  kiln::kernels::cpu::MatVecQuantizedRef(type, w.data(), rows, cols, x.data(), y.data());
  if (!WriteFile(out_path, y.data(), y.size() * sizeof(float))) return Fail("cannot write output");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 5) return Fail("usage: kernels_tool dequant|quant TYPE IN OUT | qdot TYPE W X OUT");
  const std::string command = argv[1];
  const std::optional<GgmlType> type = ParseType(argv[2]);
  if (!type) return Fail(std::string("unknown type ") + argv[2]);
  const TypeTraits& t = kiln::kernels::Traits(*type);
  std::vector<char> in;
  if (!ReadFile(argv[3], &in)) return Fail(std::string("cannot read ") + argv[3]);
  if (command == "qdot") {
    if (argc != 6) return Fail("usage: kernels_tool qdot TYPE W.bin X.f32 OUT.f32");
    return QuantizedDot(*type, in, argv[4], argv[5]);
  }
  if (argc != 5) return Fail("usage: kernels_tool dequant|quant TYPE IN OUT");

  if (command == "dequant") {
    if (!kiln::kernels::cpu::IsReferenceDequantizable(*type))
      return Fail("no dequantizer for " + std::string(t.name));
    if (in.size() % t.type_size != 0) return Fail("input is not a whole number of blocks");
    const int64_t n = static_cast<int64_t>(in.size() / t.type_size) * t.block_size;
    std::vector<float> out(static_cast<size_t>(n));
    kiln::kernels::cpu::DequantizeRowRef(*type, in.data(), out.data(), n);
    if (!WriteFile(argv[4], out.data(), out.size() * sizeof(float)))
      return Fail("cannot write output");
    return 0;
  }
  if (command == "quant") {
    if (!kiln::kernels::cpu::IsReferenceQuantizable(*type))
      return Fail("no quantizer for " + std::string(t.name));
    if (in.size() % sizeof(float) != 0) return Fail("input is not a whole number of floats");
    const int64_t n = static_cast<int64_t>(in.size() / sizeof(float));
    if (n % t.block_size != 0) return Fail("value count is not a whole number of blocks");
    std::vector<float> values(static_cast<size_t>(n));
    std::copy(in.begin(), in.end(), reinterpret_cast<char*>(values.data()));
    std::vector<uint8_t> out(kiln::kernels::RowBytes(*type, n));
    kiln::kernels::cpu::QuantizeRowRef(*type, values.data(), out.data(), n);
    if (!WriteFile(argv[4], out.data(), out.size())) return Fail("cannot write output");
    return 0;
  }
  return Fail("unknown command " + command);
}
