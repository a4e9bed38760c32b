// HttpFetch against servers this test starts on 127.0.0.1 (allow_private on,
// since loopback is exactly what the guard refuses otherwise). No test
// touches the outside network.
#include "plugins/net/http_fetch.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "plugins/net/internal/fetch.h"
#include "tests/plugins/net/test_http_server.h"

namespace kiln::plugins {
namespace {

using nettest::TestHttpServer;

FetchOptions Private() {
  FetchOptions options;
  options.allow_private = true;
  options.timeout_ms = 5000;
  return options;
}

std::string Redirect(int status, std::string_view location) {
  return "HTTP/1.1 " + std::to_string(status) + " Moved\r\nLocation: " + std::string(location) +
         "\r\nContent-Length: 0\r\n\r\n";
}

int PortOf(const sockaddr* addr) {
  return ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
}

TEST(HttpFetch, ContentLengthResponse) {
  TestHttpServer server;
  server.RouteFixed("/hello",
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Custom: a b\r\n"
                    "Content-Length: 5\r\n\r\nhello");
  auto r = HttpFetch(server.Url("/hello?x=1"), Private());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_EQ(r->Header("x-custom"), "a b");
  EXPECT_EQ(r->final_url, server.Url("/hello?x=1"));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/hello?x=1");
  EXPECT_EQ(requests[0].Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].Header("user-agent"), "Kiln/0.1");
  EXPECT_EQ(requests[0].Header("connection"), "close");
  EXPECT_EQ(requests[0].Header("content-length"), "");
}

TEST(HttpFetch, ChunkedAndCloseDelimitedBodies) {
  TestHttpServer server;
  std::string big(100000, 'z');
  server.Route("/chunked", [&](int fd, const auto&, const auto&) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    TestHttpServer::Send(fd, "5;ext=1\r\nhello\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // arrives in pieces
    char size[16];
    snprintf(size, sizeof(size), "%zx\r\n", big.size());
    TestHttpServer::Send(fd, size + big + "\r\n0\r\nX-Trailer: t\r\n\r\n");
  });
  server.RouteFixed("/close", "HTTP/1.1 200 OK\r\n\r\nuntil the end");
  auto chunked = HttpFetch(server.Url("/chunked"), Private());
  ASSERT_TRUE(chunked.ok()) << chunked.status().ToString();
  EXPECT_EQ(chunked->body, "hello" + big);
  auto closed = HttpFetch(server.Url("/close"), Private());
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->body, "until the end");
}

TEST(HttpFetch, PostSendsBodyAndHeaders) {
  TestHttpServer server;
  server.RouteFixed("/post", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  FetchOptions options = Private();
  options.method = "POST";
  options.body = "{\"a\":1}";
  options.headers = {{"Content-Type", "application/json"}, {"User-Agent", "custom/1"}};
  auto r = HttpFetch(server.Url("/post"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "{\"a\":1}");
  EXPECT_EQ(requests[0].Header("content-length"), "7");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("user-agent"), "custom/1");
}

TEST(HttpFetch, HeadResponseHasNoBody) {
  TestHttpServer server;
  server.Route("/head", [](int fd, const auto&, const auto& stopping) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    TestHttpServer::WaitForClose(fd, stopping);  // a body read would wait here until timeout
  });
  FetchOptions options = Private();
  options.method = "HEAD";
  options.timeout_ms = 2000;
  auto r = HttpFetch(server.Url("/head"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Header("content-length"), "1000");
  EXPECT_EQ(r->body, "");
}

TEST(HttpFetch, FollowsRelativeRedirects) {
  TestHttpServer server;
  server.RouteFixed("/a/old", Redirect(301, "../b/new?q=1#frag"));
  server.RouteFixed("/b/new", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew");
  auto r = HttpFetch(server.Url("/a/old"), Private());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "new");
  EXPECT_EQ(r->final_url, server.Url("/b/new?q=1"));
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpFetch, SeeOtherBecomesGetAnd307KeepsPost) {
  TestHttpServer server;
  server.RouteFixed("/submit", Redirect(303, "/result"));
  server.RouteFixed("/keep", Redirect(307, "/result"));
  server.RouteFixed("/result", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  FetchOptions options = Private();
  options.method = "POST";
  options.body = "payload";
  options.headers = {{"Content-Type", "text/plain"}};
  ASSERT_TRUE(HttpFetch(server.Url("/submit"), options).ok());
  ASSERT_TRUE(HttpFetch(server.Url("/keep"), options).ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].body, "");
  EXPECT_EQ(requests[1].Header("content-type"), "");
  EXPECT_EQ(requests[3].method, "POST");
  EXPECT_EQ(requests[3].body, "payload");
}

TEST(HttpFetch, RedirectLoopStops) {
  TestHttpServer server;
  server.RouteFixed("/loop", Redirect(302, "/loop"));
  FetchOptions options = Private();
  options.max_redirects = 3;
  auto r = HttpFetch(server.Url("/loop"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("too many redirects"), std::string::npos);
  EXPECT_EQ(server.connections(), 4);  // the first request and three redirects

  options.max_redirects = 0;  // not followed: the 3xx itself comes back
  auto raw = HttpFetch(server.Url("/loop"), options);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->status, 302);
  EXPECT_EQ(raw->Header("location"), "/loop");
}

TEST(HttpFetch, RedirectToAnotherSchemeIsRefused) {
  TestHttpServer server;
  server.RouteFixed("/file", Redirect(302, "file:///etc/passwd"));
  auto r = HttpFetch(server.Url("/file"), Private());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("redirect"), std::string::npos) << r.status().ToString();
}

TEST(HttpFetch, CredentialsStayWithTheirOrigin) {
  TestHttpServer a, b;
  a.RouteFixed("/same", Redirect(302, "/end"));
  a.RouteFixed("/cross", Redirect(302, b.Url("/end")));
  a.RouteFixed("/end", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  b.RouteFixed("/end", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  FetchOptions options = Private();
  options.headers = {{"Authorization", "Bearer secret"}, {"Cookie", "s=1"}, {"X-Keep", "1"}};
  ASSERT_TRUE(HttpFetch(a.Url("/same"), options).ok());
  ASSERT_TRUE(HttpFetch(a.Url("/cross"), options).ok());
  auto at_a = a.requests();
  ASSERT_EQ(at_a.size(), 3u);
  EXPECT_EQ(at_a[1].Header("authorization"), "Bearer secret");
  auto at_b = b.requests();
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].Header("authorization"), "");
  EXPECT_EQ(at_b[0].Header("cookie"), "");
  EXPECT_EQ(at_b[0].Header("x-keep"), "1");
}

TEST(HttpFetch, PrivateAddressRefusedBeforeConnecting) {
  TestHttpServer server;
  server.RouteFixed("/", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  FetchOptions options;  // allow_private = false
  auto r = HttpFetch(server.Url("/"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "the address 127.0.0.1 of 127.0.0.1 is loopback: outbound requests to private "
            "networks are not allowed (an operator can allow host:port with KILN_OUTBOUND_ALLOW)");
  auto by_name = HttpFetch("http://localhost:" + std::to_string(server.port()) + "/", options);
  EXPECT_EQ(by_name.status().code(), StatusCode::kPermissionDenied);
  auto mapped =
      HttpFetch("http://[::ffff:127.0.0.1]:" + std::to_string(server.port()) + "/", options);
  EXPECT_EQ(mapped.status().code(), StatusCode::kPermissionDenied);
  // Had any refused fetch connected, this one would be the server's second.
  ASSERT_TRUE(HttpFetch(server.Url("/"), Private()).ok());
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpFetch, AllowlistAdmitsExactlyTheHostAndPortNamed) {
  TestHttpServer server, other;
  server.RouteFixed("/", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  other.RouteFixed("/", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
  const std::string port = std::to_string(server.port());
  FetchOptions options;  // no allow_private
  options.allow = {"127.0.0.1:" + port};
  auto r = HttpFetch(server.Url("/"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "ok");
  // By name: the entry names the address, which is what "localhost" resolves to.
  EXPECT_TRUE(HttpFetch("http://localhost:" + port + "/", options).ok());
  options.allow = {"localhost:" + port};
  EXPECT_TRUE(HttpFetch("http://localhost:" + port + "/", options).ok());
  // Another port of the same host is not listed.
  EXPECT_EQ(HttpFetch(other.Url("/"), options).status().code(), StatusCode::kPermissionDenied);
  options.allow = {"127.0.0.1:" + std::to_string(other.port())};
  EXPECT_EQ(HttpFetch(server.Url("/"), options).status().code(), StatusCode::kPermissionDenied);
  // A listed host that redirects to an unlisted one is refused at the hop.
  server.RouteFixed("/hop", Redirect(302, other.Url("/")));
  options.allow = {"127.0.0.1:" + port};
  EXPECT_EQ(HttpFetch(server.Url("/hop"), options).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(other.connections(), 0);
}

TEST(HttpFetch, ParseOutboundAllow) {
  auto ok = ParseOutboundAllow(" 127.0.0.1:8080, Example.COM:443 ,[::1]:9000,,");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, (std::vector<std::string>{"127.0.0.1:8080", "example.com:443", "[::1]:9000"}));
  EXPECT_TRUE(ParseOutboundAllow("")->empty());
  for (const char* bad : {"localhost", "host:0", "host:65536", ":80", "host:8x", "::1:80"}) {
    EXPECT_EQ(ParseOutboundAllow(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HttpFetch, RedirectTargetsAreCheckedAgain) {
  TestHttpServer first, second;
  first.RouteFixed("/hop", Redirect(302, second.Url("/secret")));
  second.RouteFixed("/secret", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret");
  // Stands in for "the first host is public, the redirect target is not".
  const int allowed_port = first.port();
  internal::AddressFilter only_first = [&](const sockaddr* addr) {
    return PortOf(addr) == allowed_port;
  };
  auto r = internal::HttpFetchFiltered(first.Url("/hop"), Private(), only_first);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_EQ(first.connections(), 1);
  EXPECT_EQ(second.connections(), 0);
  // The same chain with a filter that admits both goes through.
  auto both = internal::HttpFetchFiltered(first.Url("/hop"), Private(),
                                          [](const sockaddr*) { return true; });
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->body, "secret");
}

TEST(HttpFetch, EndlessBodyStopsAtTheLimit) {
  TestHttpServer server;
  server.Route("/endless", [](int fd, const auto&, const auto& stopping) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\n\r\n");
    std::string block(64 << 10, 'x');
    while (!stopping && TestHttpServer::Send(fd, block)) {
    }
  });
  server.Route("/declared", [](int fd, const auto&, const auto& stopping) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
    TestHttpServer::WaitForClose(fd, stopping);
  });
  FetchOptions options = Private();
  options.max_response_bytes = 1 << 20;
  auto endless = HttpFetch(server.Url("/endless"), options);
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.status().code(), StatusCode::kTooLarge);
  auto declared = HttpFetch(server.Url("/declared"), options);
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.status().code(), StatusCode::kTooLarge);
}

TEST(HttpFetch, SilentServerTimesOut) {
  TestHttpServer server;
  server.Route("/silent", [](int fd, const auto&, const auto& stopping) {
    TestHttpServer::WaitForClose(fd, stopping);
  });
  FetchOptions options = Private();
  options.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto r = HttpFetch(server.Url("/silent"), options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  // TLS against the same silent server times out in the handshake.
  auto tls = HttpFetch("https://127.0.0.1:" + std::to_string(server.port()) + "/silent", options);
  EXPECT_EQ(tls.status().code(), StatusCode::kDeadlineExceeded) << tls.status().ToString();
}

TEST(HttpFetch, TlsToAPlainServerFails) {
  TestHttpServer server;
  server.SetRaw([](int fd) { TestHttpServer::Send(fd, "HTTP/1.1 400 Bad Request\r\n\r\n"); });
  auto r = HttpFetch("https://127.0.0.1:" + std::to_string(server.port()) + "/", Private());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("TLS"), std::string::npos) << r.status().ToString();
}

TEST(HttpFetch, ConnectionRefused) {
  int port;
  {
    TestHttpServer closed;  // a port that was just free and is closed again
    port = closed.port();
  }
  auto r = HttpFetch("http://127.0.0.1:" + std::to_string(port) + "/", Private());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("could not connect"), std::string::npos)
      << r.status().ToString();
}

TEST(HttpFetch, UnresolvableHost) {
  FetchOptions options = Private();
  options.timeout_ms = 1500;
  auto r = HttpFetch("http://kiln-test-host.invalid/", options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == StatusCode::kUnavailable ||
              r.status().code() == StatusCode::kDeadlineExceeded)
      << r.status().ToString();
}

TEST(HttpFetch, BadRequestsNeverConnect) {
  TestHttpServer server;
  auto bad = [&](FetchOptions options, std::string url = {}) {
    auto r = HttpFetch(url.empty() ? server.Url("/") : url, options);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
  };
  FetchOptions o = Private();
  bad(o, "ftp://127.0.0.1/");
  bad(o, "http://user:pw@127.0.0.1:" + std::to_string(server.port()) + "/");
  o.headers = {{"X-Evil", "a\r\nHost: evil"}};
  bad(o);
  o.headers = {{"Bad Name", "v"}};
  bad(o);
  o.headers = {{"host", "other"}};
  bad(o);
  o.headers = {{"Content-Length", "1"}};
  bad(o);
  o.headers = {};
  o.method = "GET /x HTTP/1.1\r\n";
  bad(o);
  o.method = "GET";
  o.timeout_ms = 0;
  bad(o);
  EXPECT_EQ(server.connections(), 0);
}

TEST(HttpFetch, ConcurrentFetches) {
  TestHttpServer server;
  server.RouteFixed("/n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto r = HttpFetch(server.Url("/n"), Private());
        if (r.ok() && r->body == "ok") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
}

// ---- Connection reuse (FetchOptions::pool).

FetchOptions Pooled(ConnectionPool* pool) {
  FetchOptions options = Private();
  options.pool = pool;
  return options;
}

TEST(HttpFetchPool, ReusesOneConnectionForSequentialRequests) {
  TestHttpServer server;
  server.SetKeepAlive(true);
  server.RouteFixed("/n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  server.Route("/chunked", [](int fd, const TestHttpServer::Request&, const std::atomic<bool>&) {
    TestHttpServer::Send(fd,
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n0\r\n\r\n");
  });
  ConnectionPool pool;
  for (int i = 0; i < 5; ++i) {
    auto r = HttpFetch(server.Url(i % 2 == 0 ? "/n" : "/chunked"), Pooled(&pool));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, i % 2 == 0 ? "ok" : "abc");
  }
  FetchOptions post = Pooled(&pool);
  post.method = "POST";
  post.body = "{}";
  ASSERT_TRUE(HttpFetch(server.Url("/n"), post).ok());
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(pool.opened(), 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].Header("connection"), "keep-alive");
  EXPECT_EQ(requests[5].body, "{}");
}

TEST(HttpFetchPool, ConnectionsThatCannotBeReusedAreNot) {
  TestHttpServer server;
  server.SetKeepAlive(true);
  // Connection: close, and a body that runs to the end of the stream: the
  // client must not keep either.
  server.Route("/close", [](int fd, const TestHttpServer::Request&, const std::atomic<bool>&) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx");
    shutdown(fd, SHUT_RDWR);
  });
  server.Route("/eof", [](int fd, const TestHttpServer::Request&, const std::atomic<bool>&) {
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\n\r\nto the end");
    shutdown(fd, SHUT_RDWR);
  });
  ConnectionPool pool;
  for (const char* path : {"/close", "/eof", "/close", "/eof"}) {
    auto r = HttpFetch(server.Url(path), Pooled(&pool));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(server.connections(), 4);
  EXPECT_EQ(pool.opened(), 4);
}

TEST(HttpFetchPool, AServerThatDroppedTheIdleConnectionGetsTheRequestAgain) {
  TestHttpServer server;
  server.SetKeepAlive(true);
  std::atomic<int> seen{0};
  // The second request reaches the kept connection, which the server then
  // closes without a word (its idle timeout, as it were).
  server.Route("/n", [&](int fd, const TestHttpServer::Request&, const std::atomic<bool>&) {
    if (++seen == 2) {
      shutdown(fd, SHUT_RDWR);
      return;
    }
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  ConnectionPool pool;
  for (int i = 0; i < 2; ++i) {
    auto r = HttpFetch(server.Url("/n"), Pooled(&pool));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpFetchPool, AReusedConnectionThatAnsweredInPartIsNotRetried) {
  TestHttpServer server;
  server.SetKeepAlive(true);
  std::atomic<int> seen{0};
  server.Route("/n", [&](int fd, const TestHttpServer::Request&, const std::atomic<bool>&) {
    if (++seen == 2) {  // the server may have acted on it: sending it again could act twice
      TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
      shutdown(fd, SHUT_RDWR);
      return;
    }
    TestHttpServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  ConnectionPool pool;
  ASSERT_TRUE(HttpFetch(server.Url("/n"), Pooled(&pool)).ok());
  auto r = HttpFetch(server.Url("/n"), Pooled(&pool));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(seen, 2);
}

TEST(HttpFetchPool, ConnectionsStayWithTheirOrigin) {
  TestHttpServer a, b;
  for (TestHttpServer* s : {&a, &b}) {
    s->SetKeepAlive(true);
    s->RouteFixed("/n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  }
  ConnectionPool pool;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(HttpFetch(a.Url("/n"), Pooled(&pool)).ok());
    ASSERT_TRUE(HttpFetch(b.Url("/n"), Pooled(&pool)).ok());
  }
  EXPECT_EQ(a.connections(), 1);
  EXPECT_EQ(b.connections(), 1);
  EXPECT_EQ(a.requests().size(), 3u);
  EXPECT_EQ(b.requests().size(), 3u);
}

TEST(HttpFetchPool, ConcurrentFetchesShareAFewConnections) {
  TestHttpServer server;
  server.SetKeepAlive(true);
  server.RouteFixed("/n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ConnectionPool pool;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = HttpFetch(server.Url("/n"), Pooled(&pool));
        if (r.ok() && r->body == "ok") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
  // A new one opens only while every other is busy in another thread.
  EXPECT_LE(server.connections(), 4);
  EXPECT_EQ(pool.opened(), server.connections());
}

}  // namespace
}  // namespace kiln::plugins
