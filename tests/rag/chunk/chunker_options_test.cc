// ValidateChunkOptions and the errors ChunkDocument returns for bad input.
#include <gtest/gtest.h>

#include "rag/chunk/chunker.h"
#include "tests/rag/chunk/chunk_test_util.h"

namespace kiln::rag {
namespace {

using chunk_test::Doc;
using chunk_test::Options;
using chunk_test::Para;
using chunk_test::TestCounter;

void ExpectInvalid(const ChunkOptions& options, const std::string& param) {
  const Status status = ValidateChunkOptions(options);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_EQ(status.param(), param) << status.ToString();
  // ChunkDocument refuses the same options the same way.
  const Result<std::vector<Chunk>> chunks =
      ChunkDocument(Doc({Para("text")}), options, TestCounter());
  ASSERT_FALSE(chunks.ok());
  EXPECT_EQ(chunks.status().param(), param);
}

TEST(ValidateChunkOptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateChunkOptions(ChunkOptions{}).ok());
}

TEST(ValidateChunkOptionsTest, ChunkSizeRange) {
  ExpectInvalid(Options(15, 0), "chunk_size");
  ExpectInvalid(Options(8193, 0), "chunk_size");
  ExpectInvalid(Options(-1, 0), "chunk_size");
  EXPECT_TRUE(ValidateChunkOptions(Options(16, 0)).ok());
  EXPECT_TRUE(ValidateChunkOptions(Options(8192, 0)).ok());
}

TEST(ValidateChunkOptionsTest, OverlapRange) {
  ExpectInvalid(Options(100, -1), "chunk_overlap");
  ExpectInvalid(Options(100, 51), "chunk_overlap");
  ExpectInvalid(Options(17, 9), "chunk_overlap");
  EXPECT_TRUE(ValidateChunkOptions(Options(100, 50)).ok());
  EXPECT_TRUE(ValidateChunkOptions(Options(17, 8)).ok());
}

TEST(ValidateChunkOptionsTest, ChildSizeRangeInParentChildMode) {
  ChunkOptions options = Options(100, 0);
  options.parent_child = true;
  options.child_max_tokens = 7;
  ExpectInvalid(options, "child_chunk_size");
  options.child_max_tokens = 101;
  ExpectInvalid(options, "child_chunk_size");
  options.child_max_tokens = 100;
  EXPECT_TRUE(ValidateChunkOptions(options).ok());
  options.child_max_tokens = 8;
  EXPECT_TRUE(ValidateChunkOptions(options).ok());
  // Without parent-child mode the child size is not used, so not checked:
  // a small chunk_size must not fail on the default child size.
  options.parent_child = false;
  options.child_max_tokens = 128;
  EXPECT_TRUE(ValidateChunkOptions(options).ok());
}

TEST(ValidateChunkOptionsTest, Separators) {
  ChunkOptions options = Options(100, 0);
  options.separators.assign(33, Separator{"x", false});
  ExpectInvalid(options, "separators");
  options.separators.assign(32, Separator{"x", false});
  EXPECT_TRUE(ValidateChunkOptions(options).ok());

  options.separators = {Separator{"", false}};
  ExpectInvalid(options, "separators");
  options.separators = {Separator{std::string(201, 'x'), false}};
  ExpectInvalid(options, "separators");
  options.separators = {Separator{std::string(200, 'x'), false}};
  EXPECT_TRUE(ValidateChunkOptions(options).ok());

  options.separators = {Separator{"第[一二三]+条", true}, Separator{"([a-z]", true}};
  ExpectInvalid(options, "separators");
  const Status status = ValidateChunkOptions(options);
  // The message says which separator and why, from std::regex_error.
  EXPECT_NE(status.message().find("separators[1]"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("not a valid regex"), std::string::npos) << status.message();

  options.separators = {Separator{"(a|b)*c", true}};
  ExpectInvalid(options, "separators");
}

TEST(ChunkDocumentTest, RequiresACounter) {
  const Result<std::vector<Chunk>> chunks =
      ChunkDocument(Doc({Para("text")}), ChunkOptions{}, TokenCounter());
  ASSERT_FALSE(chunks.ok());
  EXPECT_EQ(chunks.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::rag
