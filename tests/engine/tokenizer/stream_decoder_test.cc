#include "engine/tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/tokenizer/internal/unicode.h"
#include "tests/engine/tokenizer/tiny_vocabs.h"

namespace kiln::engine {
namespace {

using testing::IdOf;

constexpr char kFffd[] = "\xEF\xBF\xBD";

class StreamDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = testing::Make(testing::TinySpmVocab());
    ASSERT_NE(tok_, nullptr);
  }
  int32_t Byte(int b) const {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    return IdOf(*tok_, name);
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(StreamDecoderTest, HoldsBackAnIncompleteCharacter) {
  StreamDecoder d(*tok_);
  EXPECT_EQ(d.Push(Byte(0xE4)), "");
  EXPECT_EQ(d.Push(Byte(0xB8)), "");
  EXPECT_EQ(d.held_bytes(), 2u);
  EXPECT_EQ(d.Push(Byte(0xAD)), "\xE4\xB8\xAD");  // 中
  EXPECT_EQ(d.Push(IdOf(*tok_, "hello")), "hello");
  EXPECT_EQ(d.Flush(), "");
}

TEST_F(StreamDecoderTest, ImpossibleBytesBecomeReplacementAtOnce) {
  StreamDecoder d(*tok_);
  EXPECT_EQ(d.Push(Byte(0xFF)), kFffd);
  EXPECT_EQ(d.Push(Byte(0x80)), kFffd);  // a stray continuation byte
  EXPECT_EQ(d.Push(Byte(0xE4)), "");
  // 'h' cannot continue E4: one U+FFFD for the cut-short sequence, then 'h'.
  EXPECT_EQ(d.Push(IdOf(*tok_, "h")), std::string(kFffd) + "h");
  EXPECT_EQ(d.Push(Byte(0xED)), "");
  EXPECT_EQ(d.Push(Byte(0xA0)), std::string(kFffd) + kFffd);  // a surrogate: never valid
}

TEST_F(StreamDecoderTest, FlushReplacesAnUnfinishedTail) {
  StreamDecoder d(*tok_);
  EXPECT_EQ(d.Push(Byte(0xF0)), "");
  EXPECT_EQ(d.Push(Byte(0x9F)), "");
  EXPECT_EQ(d.Flush(), kFffd);
  EXPECT_EQ(d.Flush(), "");
}

TEST_F(StreamDecoderTest, RandomByteStreamsNeverSplitACharacter) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    StreamDecoder d(*tok_);
    std::string all_bytes, streamed;
    const int n = rng() % 40;
    for (int i = 0; i < n; ++i) {
      // Mostly valid text: pick bytes of random characters, sometimes junk.
      std::string bytes;
      if (rng() % 8 == 0) {
        bytes.push_back(static_cast<char>(rng() % 256));
      } else {
        const uint32_t pools[] = {0x41, 0xE9, 0x4E2D, 0x1F600, 0xAC00};
        tokenizer_internal::AppendUtf8(pools[rng() % 5] + rng() % 50, &bytes);
      }
      for (unsigned char b : bytes) {
        all_bytes.push_back(static_cast<char>(b));
        const std::string out = d.Push(Byte(b));
        std::string check;
        // Each piece is complete, valid UTF-8 by itself.
        EXPECT_EQ(tokenizer_internal::AppendValidUtf8(out, true, &check), out.size());
        EXPECT_EQ(check, out);
        streamed += out;
      }
    }
    streamed += d.Flush();
    std::string whole;
    tokenizer_internal::AppendValidUtf8(all_bytes, true, &whole);
    EXPECT_EQ(streamed, whole);
  }
}

TEST_F(StreamDecoderTest, RendersOrDropsControlTokens) {
  StreamDecoder shown(*tok_);
  StreamDecoder hidden(*tok_, /*render_special=*/false);
  EXPECT_EQ(shown.Push(4), "<end_of_turn>");
  EXPECT_EQ(hidden.Push(4), "");
}

}  // namespace
}  // namespace kiln::engine
