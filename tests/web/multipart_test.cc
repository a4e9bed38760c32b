// (Replaced by the multipart parser's tests.)
#include <gtest/gtest.h>
TEST(Multipart, Placeholder) {}
