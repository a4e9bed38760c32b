// Response framing on plain strings, delivered in pieces of every size so
// that each boundary (line ends, chunk sizes, bodies) falls across reads.
#include "plugins/net/internal/response_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace kiln::plugins::internal {
namespace {

class StringSource : public ByteSource {
 public:
  StringSource(std::string data, size_t piece) : data_(std::move(data)), piece_(piece) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == data_.size() && fail_at_end_) return DeadlineExceeded("timed out reading");
    size_t take = std::min({n, piece_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  void fail_at_end() { fail_at_end_ = true; }

 private:
  std::string data_;
  size_t piece_;
  size_t pos_ = 0;
  bool fail_at_end_ = false;
};

constexpr size_t kPieces[] = {1, 2, 3, 7, 64, 100000};

Result<FetchResponse> Read(const std::string& data, size_t piece, bool head = false,
                           size_t max = 1 << 20) {
  StringSource source(data, piece);
  return ReadResponse(&source, head, max);
}

TEST(ReadResponse, ContentLengthChunkedAndClose) {
  const std::string big(70000, 'b');
  struct Case {
    std::string wire, body;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", "hello"},
      {"HTTP/1.0 200 OK\nContent-Length: 3\n\nabc", "abc"},  // bare LF from old servers
      {"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab", "ab"},
      {"HTTP/1.1 200 OK\r\n\r\nto the end", "to the end"},
      {"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", ""},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\nA;name=val\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
       "hello0123456789"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", "ab"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcd", "abcd"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11170\r\n" + big + "\r\n0\r\n\r\n",
       big},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", "x"},
      {"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", ""},
      {"HTTP/1.1 304 Not Modified\r\n\r\n", ""},
  };
  for (const Case& c : cases) {
    for (size_t piece : kPieces) {
      auto r = Read(c.wire, piece);
      ASSERT_TRUE(r.ok()) << c.wire.substr(0, 80) << " / " << piece << ": "
                          << r.status().ToString();
      EXPECT_EQ(r->body, c.body) << c.wire.substr(0, 80) << " / " << piece;
    }
  }
}

TEST(ReadResponse, StatusAndHeaders) {
  auto r = Read(
      "HTTP/1.1 404 Not Found\r\nX-A:  spaced  \r\nX-Folded: one\r\n two\r\n"
      "SET-COOKIE: a\r\nSet-Cookie: b\r\nContent-Length: 0\r\n\r\n",
      3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->Header("x-a"), "spaced");
  EXPECT_EQ(r->Header("x-folded"), "one two");
  int cookies = 0;
  for (const auto& [name, value] : r->headers) cookies += name == "set-cookie";
  EXPECT_EQ(cookies, 2);
}

TEST(ReadResponse, HeadIgnoresTheDeclaredLength) {
  auto r = Read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 5, /*head=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "");
}

TEST(ReadResponse, MalformedAndTruncated) {
  const std::string cases[] = {
      "",
      "garbage\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 999 What\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded-first\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
      "HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'h') + "\r\n\r\n",
  };
  for (const std::string& wire : cases) {
    for (size_t piece : kPieces) {
      auto r = Read(wire, piece);
      ASSERT_FALSE(r.ok()) << wire.substr(0, 80) << " / " << piece;
      EXPECT_EQ(r.status().code(), StatusCode::kUnavailable)
          << wire.substr(0, 80) << " / " << piece << ": " << r.status().ToString();
    }
  }
}

TEST(ReadResponse, BodyLimit) {
  const std::string hundred(100, 'x');
  const std::string fits[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + hundred,
      "HTTP/1.1 200 OK\r\n\r\n" + hundred,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + hundred + "\r\n0\r\n\r\n",
  };
  const std::string over[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n",  // refused before any body byte
      "HTTP/1.1 200 OK\r\n\r\n" + hundred + "x",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + hundred +
          "\r\n1\r\nx\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
  };
  for (size_t piece : kPieces) {
    for (const std::string& wire : fits) {
      auto r = Read(wire, piece, false, 100);
      ASSERT_TRUE(r.ok()) << wire.substr(0, 60) << ": " << r.status().ToString();
      EXPECT_EQ(r->body, hundred);
    }
    for (const std::string& wire : over) {
      auto r = Read(wire, piece, false, 100);
      EXPECT_EQ(r.status().code(), StatusCode::kTooLarge) << wire.substr(0, 60);
    }
  }
}

TEST(ReadResponse, SaysWhetherTheConnectionCanCarryAnotherRequest) {
  struct Case {
    std::string wire;
    bool head, reusable;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", false, true},
      {"HTTP/1.1 204 No Content\r\n\r\n", false, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, true},  // HEAD: no body
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, true},
      // Delimited by the end of the stream: nothing is left to reuse.
      {"HTTP/1.1 200 OK\r\n\r\nto the end", false, false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", false, false},
      // The server says it closes.
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false, false},
      {"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 1\r\n\r\nx", false,
       false},
      // HTTP/1.0 keeps a connection only when it says so.
      {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", false, true},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", false, false},
      // Bytes past the body that nobody asked for: the stream is out of step.
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n", false, false},
  };
  for (const Case& c : cases) {
    StringSource source(c.wire, 100000);  // one read: trailing bytes arrive with the body
    bool reusable = !c.reusable;
    auto r = ReadResponse(&source, c.head, 1 << 20, &reusable);
    ASSERT_TRUE(r.ok()) << c.wire << ": " << r.status().ToString();
    EXPECT_EQ(reusable, c.reusable) << c.wire;
  }
  // A failed read is never reusable.
  StringSource truncated("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 4);
  bool reusable = true;
  EXPECT_FALSE(ReadResponse(&truncated, false, 1 << 20, &reusable).ok());
  EXPECT_FALSE(reusable);
}

TEST(ReadResponse, SourceErrorsPassThrough) {
  StringSource source("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 4);
  source.fail_at_end();
  auto r = ReadResponse(&source, false, 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace kiln::plugins::internal
