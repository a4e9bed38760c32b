// Round trips through GgufWriter and GgufFile: every value type, arrays,
// tensors with padding, the typed getters, and opening real files on disk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_sample.h"

namespace kiln::engine {
namespace {

using kernels::GgmlType;
using testing::PatternBytes;
using testing::SampleWriter;

std::unique_ptr<GgufFile> Parse(const GgufWriter& w) {
  auto file = GgufFile::FromBytes(w.Serialize());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

TEST(GgufReaderTest, ReadsEveryScalarType) {
  auto f = Parse(SampleWriter());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(*f->GetString("general.architecture"), "sample");
  EXPECT_EQ(*f->GetString("general.name"), "小模型 · test");
  EXPECT_EQ(*f->GetInt("test.u8"), 200);
  EXPECT_EQ(*f->GetInt("test.i8"), -100);
  EXPECT_EQ(*f->GetInt("test.u16"), 60000);
  EXPECT_EQ(*f->GetInt("test.i16"), -30000);
  EXPECT_EQ(*f->GetInt("test.u32"), 4000000000);
  EXPECT_EQ(*f->GetInt("test.i32"), -2000000000);
  EXPECT_EQ(*f->GetInt("test.i64"), -9000000000000000000ll);
  EXPECT_EQ(*f->GetFloat("test.f32"), 0.25);
  EXPECT_EQ(*f->GetFloat("test.f64"), -1.5e300);
  EXPECT_EQ(*f->GetFloat("test.i32"), -2000000000.0);  // integers read as floats
  EXPECT_TRUE(*f->GetBool("test.bool"));
  // uint64 keeps its exact value; above INT64_MAX it does not fit AsInt.
  EXPECT_EQ(f->Find("test.u64")->type(), GgufType::kUint64);
  EXPECT_EQ(f->GetInt("test.u64").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*f->GetFloat("test.u64"), 18000000000000000000.0);
  EXPECT_EQ(*f->Find("test.u64")->AsUint64(), 18000000000000000000ull);
  EXPECT_EQ(*f->Find("test.u8")->AsUint64(), 200u);
  EXPECT_FALSE(f->Find("test.i8")->AsUint64().ok());
  EXPECT_EQ(f->keys().front(), "general.architecture");
  EXPECT_EQ(f->keys().size(), 16u);
}

TEST(GgufReaderTest, ReadsArrays) {
  auto f = Parse(SampleWriter());
  ASSERT_NE(f, nullptr);
  const GgufValue* strings = f->Find("test.strings");
  ASSERT_NE(strings, nullptr);
  EXPECT_EQ(strings->type(), GgufType::kArray);
  EXPECT_EQ(strings->element_type(), GgufType::kString);
  EXPECT_EQ(strings->size(), 4u);
  EXPECT_EQ(*strings->AsStringArray(),
            (std::vector<std::string>{"你好", "世界", "", "tab\tand \"quote\""}));
  EXPECT_EQ(*f->Find("test.floats")->AsFloatArray(), (std::vector<float>{1.5f, -2.0f, 3.25f}));
  EXPECT_EQ(*f->Find("test.ints")->AsIntArray(), (std::vector<int64_t>{-1, 0, 2147483647}));
  EXPECT_EQ(*f->Find("test.ints")->AsFloatArray(), (std::vector<float>{-1, 0, 2147483647.0f}));
  EXPECT_FALSE(f->Find("test.strings")->AsIntArray().ok());
  EXPECT_FALSE(f->Find("test.u8")->AsIntArray().ok());
}

// Arrays of the types the writer has no setter for, and arrays of arrays.
TEST(GgufReaderTest, ReadsRawArraysAndNesting) {
  GgufWriter w;
  std::string u8s("\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x02\xff", 15);
  w.SetRaw("a.u8", 9, u8s);
  std::string u64s("\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 12);
  u64s += std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  w.SetRaw("a.u64", 9, u64s);
  // [[1, 2], []] as arrays of int16.
  std::string nested("\x09\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00", 12);
  nested += std::string("\x03\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x02\x00", 16);
  nested += std::string("\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
  w.SetRaw("a.nested", 9, nested);
  auto f = Parse(w);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->Find("a.u8")->AsIntArray(), (std::vector<int64_t>{1, 2, 255}));
  EXPECT_EQ(f->Find("a.u64")->size(), 1u);
  EXPECT_FALSE(f->Find("a.u64")->AsIntArray().ok());  // 2^64-1 does not fit int64
  EXPECT_EQ(f->Find("a.nested")->element_type(), GgufType::kArray);
  EXPECT_EQ(f->Find("a.nested")->size(), 2u);
  EXPECT_FALSE(f->Find("a.nested")->AsIntArray().ok());
}

TEST(GgufReaderTest, TypedGettersReportMissingAndWrongTypes) {
  auto f = Parse(SampleWriter());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->GetInt("no.such").status().code(), StatusCode::kNotFound);
  EXPECT_NE(f->GetInt("no.such").status().message().find("no.such"), std::string::npos);
  Status wrong = f->GetInt("general.name").status();
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("general.name"), std::string::npos) << wrong.message();
  EXPECT_NE(wrong.message().find("string"), std::string::npos) << wrong.message();
  EXPECT_FALSE(f->GetBool("test.u8").ok());
  EXPECT_FALSE(f->GetString("test.strings").ok());
  EXPECT_FALSE(f->GetFloat("test.bool").ok());
  EXPECT_EQ(*f->GetIntOr("no.such", 7), 7);
  EXPECT_EQ(*f->GetFloatOr("no.such", 0.5), 0.5);
  EXPECT_TRUE(*f->GetBoolOr("no.such", true));
  EXPECT_EQ(*f->GetStringOr("no.such", "x"), "x");
  EXPECT_EQ(*f->GetIntOr("test.u8", 7), 200);
  EXPECT_FALSE(f->GetIntOr("general.name", 7).ok());  // present but wrong: still an error
  EXPECT_FALSE(f->GetStringOr("test.u8", "x").ok());
}

TEST(GgufReaderTest, ReadsTensorsWithPadding) {
  auto f = Parse(SampleWriter());
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tensors().size(), 4u);
  const GgufTensor* q80 = f->FindTensor("w.q80");
  ASSERT_NE(q80, nullptr);
  EXPECT_EQ(q80->type, GgmlType::Q8_0);
  EXPECT_EQ(q80->dims, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(q80->elements(), 64);
  EXPECT_EQ(q80->rows(), 2);
  EXPECT_EQ(q80->nbytes, 68u);
  EXPECT_EQ(q80->offset, 96u);  // w.f32: 48 bytes padded to 64; w.f16: 16 padded to 32
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(q80->data), 68), PatternBytes(68, 3));
  for (const GgufTensor& t : f->tensors()) {
    EXPECT_EQ(t.offset % 32, 0u) << t.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 32, 0u) << t.name;
  }
  EXPECT_EQ(f->FindTensor("w.q4k")->nbytes, 144u);
  EXPECT_EQ(f->FindTensor("nope"), nullptr);
}

TEST(GgufReaderTest, HonoursLargerAlignment) {
  GgufWriter w = SampleWriter();
  w.set_alignment(256);
  auto f = Parse(w);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alignment(), 256u);
  EXPECT_EQ(*f->GetInt("general.alignment"), 256);
  for (const GgufTensor& t : f->tensors()) EXPECT_EQ(t.offset % 256, 0u) << t.name;
  w.set_alignment(32);
  EXPECT_EQ(Parse(w)->Find("general.alignment"), nullptr);
}

TEST(GgufReaderTest, ReadsVersion2) {
  std::string bytes = SampleWriter().Serialize();
  bytes[4] = 2;
  auto f = GgufFile::FromBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 2u);
}

TEST(GgufReaderTest, EmptyFileWithNoTensorsIsValid) {
  auto f = Parse(GgufWriter());
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->keys().empty());
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufReaderTest, OpensAMappedFile) {
  char path[] = "/tmp/kiln_gguf_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_TRUE(SampleWriter().WriteFile(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->file_size(), SampleWriter().Serialize().size());
  const GgufTensor* t = (*f)->FindTensor("w.f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t->data), 48), PatternBytes(48, 1));
  unlink(path);
}

TEST(GgufReaderTest, OpenReportsMissingFiles) {
  auto f = GgufFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("/nonexistent/model.gguf"), std::string::npos);
  EXPECT_FALSE(GgufFile::Open("/tmp").ok());
}

}  // namespace
}  // namespace kiln::engine
