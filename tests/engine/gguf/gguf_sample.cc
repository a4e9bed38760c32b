#include "gguf_sample.h"

#include "base/check.h"

namespace kiln::engine::testing {

std::string PatternBytes(size_t n, uint8_t seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 37 + seed) % 251);
  return out;
}

GgufWriter SampleWriter() {
  using kernels::GgmlType;
  GgufWriter w;
  w.SetString("general.architecture", "sample");
  w.SetString("general.name", "小模型 · test");
  w.SetUint8("test.u8", 200);
  w.SetInt8("test.i8", -100);
  w.SetUint16("test.u16", 60000);
  w.SetInt16("test.i16", -30000);
  w.SetUint32("test.u32", 4000000000u);
  w.SetInt32("test.i32", -2000000000);
  w.SetUint64("test.u64", 18000000000000000000ull);
  w.SetInt64("test.i64", -9000000000000000000ll);
  w.SetFloat32("test.f32", 0.25f);
  w.SetFloat64("test.f64", -1.5e300);
  w.SetBool("test.bool", true);
  w.SetStringArray("test.strings", {"你好", "世界", "", "tab\tand \"quote\""});
  w.SetFloat32Array("test.floats", {1.5f, -2.0f, 3.25f});
  w.SetInt32Array("test.ints", {-1, 0, 2147483647});
  KILN_CHECK(w.AddTensor("w.f32", GgmlType::F32, {4, 3}, PatternBytes(48, 1)).ok());
  KILN_CHECK(w.AddTensor("w.f16", GgmlType::F16, {8}, PatternBytes(16, 2)).ok());
  KILN_CHECK(w.AddTensor("w.q80", GgmlType::Q8_0, {32, 2}, PatternBytes(68, 3)).ok());
  KILN_CHECK(w.AddTensor("w.q4k", GgmlType::Q4_K, {256}, PatternBytes(144, 4)).ok());
  return w;
}

}  // namespace kiln::engine::testing
