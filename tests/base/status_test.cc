#include "base/status.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace kiln {
namespace {

TEST(Status, OkByDefaultAndCheap) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, CarriesCodeMessageAndParam) {
  Status s = InvalidArgument("name is required", "name");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.param(), "name");
  EXPECT_EQ(s.ToString(), "invalid_argument: name is required (param name)");
  EXPECT_EQ(s.Annotate("creating bot").message(), "creating bot: name is required");
}

Status FailsWhenNegative(int x) {
  if (x < 0) return InvalidArgument("negative");
  return Status::OK();
}

Status Chain(int x) {
  KILN_RETURN_IF_ERROR(FailsWhenNegative(x));
  return NotFound("reached the end");
}

TEST(Status, ReturnIfErrorStopsEarly) {
  EXPECT_EQ(Chain(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(1).code(), StatusCode::kNotFound);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KILN_ASSIGN_OR_RETURN(int h, Half(x));
  KILN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Result, ValueOrStatus) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = NotFound("x");
  EXPECT_DEATH((void)r.value(), "check failed");
}

}  // namespace
}  // namespace kiln
