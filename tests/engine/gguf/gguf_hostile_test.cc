// Hostile and broken GGUF input: every failure must be a clean Corruption
// status naming the problem, never a crash, an out-of-bounds read or a huge
// allocation (ASan and the fuzzer check the same from the other side).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_sample.h"

namespace kiln::engine {
namespace {

using testing::SampleWriter;

void PutU32(std::string* b, size_t at, uint32_t v) { std::memcpy(b->data() + at, &v, 4); }
void PutU64(std::string* b, size_t at, uint64_t v) { std::memcpy(b->data() + at, &v, 8); }

// Offset of a length-prefixed string's first length byte in the header.
size_t StringAt(const std::string& bytes, std::string_view s) {
  std::string needle(8, '\0');
  PutU64(&needle, 0, s.size());
  needle += s;
  const size_t at = bytes.find(needle);
  EXPECT_NE(at, std::string::npos) << s;
  return at;
}

// Fields of a tensor info (the sample's tensors have 5-character names).
struct TensorInfo {
  size_t n_dims, dims, type, offset;
};
TensorInfo InfoOf(const std::string& bytes, std::string_view name, int n_dims) {
  const size_t n_dims_at = StringAt(bytes, name) + 8 + name.size();
  const size_t dims_at = n_dims_at + 4;
  const size_t type_at = dims_at + 8 * n_dims;
  return {n_dims_at, dims_at, type_at, type_at + 4};
}

// Expects Corruption whose message contains `needle`.
void ExpectCorrupt(const std::string& bytes, std::string_view needle) {
  auto f = GgufFile::FromBytes(bytes);
  ASSERT_FALSE(f.ok()) << "accepted; expected an error with '" << needle << "'";
  EXPECT_EQ(f.status().code(), StatusCode::kCorruption) << f.status().ToString();
  EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().ToString();
}

TEST(GgufHostileTest, EveryTruncationFailsCleanly) {
  const std::string bytes = SampleWriter().Serialize();
  auto whole = GgufFile::FromBytes(bytes);
  ASSERT_TRUE(whole.ok());
  // The data section is the padded tensors at the end of the file; the file
  // ends in padding after the last tensor, and cutting only padding is fine.
  size_t padded = 0;
  size_t data_end = 0;
  for (const GgufTensor& t : (*whole)->tensors()) {
    padded += (t.nbytes + 31) / 32 * 32;
    data_end = std::max<size_t>(data_end, t.offset + t.nbytes);
  }
  const size_t needed = bytes.size() - padded + data_end;
  ASSERT_LT(needed, bytes.size());
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto f = GgufFile::FromBytes(bytes.substr(0, len));
    EXPECT_EQ(f.ok(), len >= needed) << "length " << len;
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), StatusCode::kCorruption) << len;
    }
  }
}

TEST(GgufHostileTest, RejectsBadMagicAndVersions) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  b[0] = 'X';
  ExpectCorrupt(b, "bad magic");
  for (uint32_t v : {0u, 1u, 4u, 0xffffffffu}) {
    b = good;
    PutU32(&b, 4, v);
    ExpectCorrupt(b, "unsupported GGUF version " + std::to_string(v));
  }
  ExpectCorrupt("", "magic needs 4 bytes but only 0 are left");
  ExpectCorrupt("GGUF", "at offset 4: version");
}

TEST(GgufHostileTest, RejectsHugeCounts) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  PutU64(&b, 8, uint64_t{1} << 60);
  ExpectCorrupt(b, "tensor count 1152921504606846976 cannot fit");
  b = good;
  PutU64(&b, 16, ~uint64_t{0});
  ExpectCorrupt(b, "metadata count 18446744073709551615 cannot fit");
  // One more key than the file has: runs into the tensor infos and fails there.
  b = good;
  PutU64(&b, 16, 17);
  EXPECT_FALSE(GgufFile::FromBytes(b).ok());
}

TEST(GgufHostileTest, RejectsHugeStringLengths) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  const size_t key_at = StringAt(b, "general.name");
  PutU64(&b, key_at, uint64_t{1} << 60);
  ExpectCorrupt(
      b, "at offset " + std::to_string(key_at) + ": key length 1152921504606846976 exceeds the");
  // The value string of general.name: after the key and its type id.
  b = good;
  const size_t value_at = key_at + 8 + 12 + 4;
  PutU64(&b, value_at, 99999999);
  ExpectCorrupt(b, "string length 99999999 exceeds the");
  ExpectCorrupt(b, "general.name");  // the key whose value is broken is named
  // A tensor name longer than any real one.
  b = good;
  PutU64(&b, StringAt(b, "w.f32"), 300);
  ExpectCorrupt(b, "tensor name length 300 exceeds the limit");
}

TEST(GgufHostileTest, RejectsHugeArrayCountsWithoutAllocating) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  // test.strings: key, type 9, element type 8, then the count.
  const size_t count_at = StringAt(b, "test.strings") + 8 + 12 + 4 + 4;
  PutU64(&b, count_at, uint64_t{1} << 60);
  ExpectCorrupt(b, "array of 1152921504606846976 string values cannot fit");
  b = good;
  PutU64(&b, count_at, 5);  // one more than present: eats into the next key
  EXPECT_FALSE(GgufFile::FromBytes(b).ok());
}

TEST(GgufHostileTest, RejectsUnknownValueTypesAndBadBools) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  PutU32(&b, StringAt(b, "test.u8") + 8 + 7, 13);
  ExpectCorrupt(b, "unknown value type 13 of key 'test.u8'");
  b = good;
  PutU32(&b, StringAt(b, "test.ints") + 8 + 9 + 4, 77);
  ExpectCorrupt(b, "unknown array element type 77");
  b = good;
  b[StringAt(b, "test.bool") + 8 + 9 + 4] = 2;
  ExpectCorrupt(b, "bool value 2 is neither 0 nor 1");
}

TEST(GgufHostileTest, RejectsDeepNesting) {
  // [[[ ]]]: an array of arrays of arrays.
  std::string payload("\x09\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 12);
  payload += payload;
  payload += std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
  GgufWriter w;
  w.SetRaw("deep", 9, payload);
  ExpectCorrupt(w.Serialize(), "arrays nested deeper than 2");
}

TEST(GgufHostileTest, RejectsDuplicateKeysAndTensors) {
  const std::string good = SampleWriter().Serialize();
  std::string b = good;
  const size_t at = StringAt(b, "test.i16");
  std::memcpy(b.data() + at + 8, "test.u16", 8);
  ExpectCorrupt(b, "duplicate metadata key 'test.u16'");
  b = good;
  std::memcpy(b.data() + StringAt(b, "w.f16") + 8, "w.f32", 5);
  ExpectCorrupt(b, "duplicate tensor name 'w.f32'");
  b = good;
  PutU64(&b, StringAt(b, "general.name"), 0);
  EXPECT_FALSE(GgufFile::FromBytes(b).ok());  // an empty key, then garbage
}

TEST(GgufHostileTest, RejectsBadAlignment) {
  for (uint32_t a : {0u, 3u, 48u, 0x80000000u}) {
    GgufWriter w = SampleWriter();
    w.SetUint32("general.alignment", a);
    ExpectCorrupt(w.Serialize(),
                  "general.alignment " + std::to_string(a) + " is not a power of two");
  }
  GgufWriter w = SampleWriter();
  w.SetString("general.alignment", "32");
  ExpectCorrupt(w.Serialize(), "general.alignment must be an integer");
}

TEST(GgufHostileTest, RejectsBadDimensions) {
  const std::string good = SampleWriter().Serialize();
  const TensorInfo f32 = InfoOf(good, "w.f32", 2);
  std::string b = good;
  PutU32(&b, f32.n_dims, 0);
  ExpectCorrupt(b, "tensor 'w.f32' has 0 dimensions");
  b = good;
  PutU32(&b, f32.n_dims, 5);
  ExpectCorrupt(b, "tensor 'w.f32' has 5 dimensions");
  b = good;
  PutU64(&b, f32.dims + 8, 0);
  ExpectCorrupt(b, "tensor 'w.f32' dimension 1 is 0");
  b = good;
  PutU64(&b, f32.dims, uint64_t{1} << 63);
  ExpectCorrupt(b, "dimension 0 is 9223372036854775808");
  b = good;
  PutU64(&b, f32.dims, uint64_t{1} << 32);
  PutU64(&b, f32.dims + 8, uint64_t{1} << 32);
  ExpectCorrupt(b, "tensor 'w.f32' has more elements than fit in 64 bits");
  b = good;
  PutU64(&b, f32.dims, uint64_t{1} << 40);
  ExpectCorrupt(b, "tensor 'w.f32' is larger than the whole file");
  // Q8_0 rows are whole 32-value blocks.
  b = good;
  PutU64(&b, InfoOf(good, "w.q80", 2).dims, 48);
  ExpectCorrupt(b, "tensor 'w.q80' row length 48 is not a multiple of the Q8_0 block size 32");
}

TEST(GgufHostileTest, RejectsUnknownTensorTypes) {
  std::string b = SampleWriter().Serialize();
  PutU32(&b, InfoOf(b, "w.f16", 1).type, 99);
  ExpectCorrupt(b, "tensor 'w.f16' has unknown ggml type 99");
  PutU32(&b, InfoOf(b, "w.f16", 1).type, 4);  // a retired ggml id (Q4_2)
  ExpectCorrupt(b, "unknown ggml type 4");
}

TEST(GgufHostileTest, RejectsBadTensorOffsets) {
  const std::string good = SampleWriter().Serialize();
  const TensorInfo f16 = InfoOf(good, "w.f16", 1);
  std::string b = good;
  PutU64(&b, f16.offset, 65);
  ExpectCorrupt(b, "tensor 'w.f16' data offset 65 is not a multiple of the alignment 32");
  b = good;
  PutU64(&b, f16.offset, 0);  // on top of w.f32
  ExpectCorrupt(b, "tensor 'w.f32' data [");
  ExpectCorrupt(b, "overlaps tensor 'w.f16'");
  b = good;
  PutU64(&b, f16.offset, 32);  // inside w.f32's 48 bytes
  ExpectCorrupt(b, "overlaps");
  b = good;
  PutU64(&b, f16.offset, uint64_t{1} << 40);
  ExpectCorrupt(b, "tensor 'w.f16' data [");
  ExpectCorrupt(b, "runs past the end of the file (" + std::to_string(good.size()) + " bytes)");
  b = good;
  PutU64(&b, f16.offset, ~uint64_t{31});  // the sum would wrap around
  ExpectCorrupt(b, "runs past the end of the file");
  b = good;
  PutU64(&b, InfoOf(good, "w.q4k", 1).offset,
         224);  // 224 + 144 ends 16 bytes past the 352 data bytes
  EXPECT_FALSE(GgufFile::FromBytes(b).ok());
}

TEST(GgufHostileTest, ErrorsFromOpenNameTheFile) {
  std::string b = SampleWriter().Serialize();
  PutU32(&b, InfoOf(b, "w.f16", 1).type, 99);
  char path[] = "/tmp/kiln_gguf_hostile_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, b.data(), b.size()), static_cast<ssize_t>(b.size()));
  close(fd);
  auto f = GgufFile::Open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message().rfind(std::string(path) + ": at offset ", 0), 0u)
      << f.status().message();
  unlink(path);
}

}  // namespace
}  // namespace kiln::engine
