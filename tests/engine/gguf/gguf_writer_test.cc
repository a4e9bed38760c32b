// GgufWriter: layout of what it writes and the checks on AddTensor.
#include "engine/gguf/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "gguf_sample.h"

namespace kiln::engine {
namespace {

using kernels::GgmlType;
using testing::PatternBytes;

TEST(GgufWriterTest, WritesVersion3HeaderAndPaddedData) {
  const std::string bytes = testing::SampleWriter().Serialize();
  EXPECT_EQ(bytes.substr(0, 4), "GGUF");
  uint32_t version = 0;
  uint64_t tensors = 0, kvs = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&tensors, bytes.data() + 8, 8);
  std::memcpy(&kvs, bytes.data() + 16, 8);
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(tensors, 4u);
  EXPECT_EQ(kvs, 16u);
  EXPECT_EQ(bytes.size() % 32, 0u);  // every tensor, the last included, is padded
}

TEST(GgufWriterTest, SettingAKeyAgainReplacesItInPlace) {
  GgufWriter w;
  w.SetUint32("a", 1);
  w.SetString("b", "x");
  w.SetString("a", "now a string");
  auto f = GgufFile::FromBytes(w.Serialize());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*(*f)->GetString("a"), "now a string");
}

TEST(GgufWriterTest, AddTensorChecksShapeAndSize) {
  GgufWriter w;
  EXPECT_TRUE(w.AddTensor("ok", GgmlType::Q4_0, {64, 3}, PatternBytes(6 * 18, 0)).ok());
  EXPECT_FALSE(w.AddTensor("ok", GgmlType::F32, {1}, PatternBytes(4, 0)).ok());  // duplicate
  EXPECT_FALSE(w.AddTensor("", GgmlType::F32, {1}, PatternBytes(4, 0)).ok());
  EXPECT_FALSE(w.AddTensor("short", GgmlType::F32, {4}, PatternBytes(15, 0)).ok());
  EXPECT_FALSE(w.AddTensor("partial", GgmlType::Q4_0, {48}, PatternBytes(27, 0)).ok());
  EXPECT_FALSE(w.AddTensor("nodims", GgmlType::F32, {}, "").ok());
  EXPECT_FALSE(w.AddTensor("fivedims", GgmlType::F32, {1, 1, 1, 1, 1}, PatternBytes(4, 0)).ok());
  EXPECT_FALSE(w.AddTensor("zero", GgmlType::F32, {4, 0}, "").ok());
  EXPECT_FALSE(w.AddTensor("bad", static_cast<GgmlType>(99), {4}, PatternBytes(16, 0)).ok());
  Status s = w.AddTensor("short2", GgmlType::F16, {4, 2}, PatternBytes(3, 0));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("needs 16 bytes, got 3"), std::string::npos) << s.message();
  auto f = GgufFile::FromBytes(w.Serialize());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->tensors().size(), 1u);
}

TEST(GgufWriterTest, WriteFileReportsUnwritablePaths) {
  EXPECT_FALSE(GgufWriter().WriteFile("/nonexistent/dir/x.gguf").ok());
}

}  // namespace
}  // namespace kiln::engine
