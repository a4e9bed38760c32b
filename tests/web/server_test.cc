// The real `kiln serve` binary over real sockets: HTTP behaviour, limits,
// malformed input, and graceful shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/web/server_process.h"
#include "tests/web/test_client.h"

namespace kiln::testing {
namespace {

constexpr const char* kKey = ServerProcess::kAdminKey;

TEST(Server, HealthMetricsAndOpenApiArePublic) {
  ServerProcess server;
  ASSERT_GT(server.port(), 0);
  auto health = Http(server.port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json()["status"], "ok");
  EXPECT_EQ(Http(server.port(), "GET", "/openapi.json").Json()["openapi"], "3.1.0");
  auto metrics = Http(server.port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  size_t at = metrics.body.find("\nkiln_http_connections_open ");
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GE(std::atoi(metrics.body.c_str() + at + 28), 1) << "this very connection is open";
}

TEST(Server, KeepAliveServesManyRequestsOnOneConnection) {
  ServerProcess server;
  HttpConnection conn(server.port());
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto r = conn.Request("GET", "/healthz");
    ASSERT_EQ(r.status, 200) << i;
    ids.insert(r.Header("x-request-id"));
  }
  EXPECT_EQ(ids.size(), 50u) << "every response carries its own request id";
}

TEST(Server, CallerRequestIdIsEchoed) {
  ServerProcess server;
  HttpConnection conn(server.port());
  auto r = conn.Request("GET", "/v1/bots/none", "", kKey, {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("x-request-id"), "trace-42");
  EXPECT_EQ(r.Json()["error"]["request_id"], "trace-42");
}

TEST(Server, OversizedBodyIs413AndServerKeepsServing) {
  ServerProcess server;
  std::string big = "{\"name\": \"" + std::string(2 << 20, 'x') + "\"}";
  auto r = Http(server.port(), "POST", "/v1/bots", big, kKey);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Json()["error"]["code"], "too_large");
  // Declared small, sent big (chunked): caught while reading.
  HttpConnection conn(server.port());
  std::string chunk(300000, 'y');
  std::string req = std::string("POST /v1/bots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                    kKey +
                    "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  conn.SendRaw(req);
  for (int i = 0; i < 5; ++i) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
    conn.SendRaw(size + chunk + "\r\n");
  }
  EXPECT_EQ(conn.ReadResponse().status, 413);
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
}

TEST(Server, HugeHeaderIs431) {
  ServerProcess server;
  HttpConnection conn(server.port());
  auto r = conn.Request("GET", "/healthz", "", "", {{"X-Junk", std::string(64 * 1024, 'a')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
}

TEST(Server, MalformedRequestsGet400AndServerKeepsServing) {
  ServerProcess server;
  const char* garbage[] = {
      "BLAH\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
      "POST /v1/bots HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS hello
  };
  for (const char* g : garbage) {
    HttpConnection conn(server.port());
    conn.SendRaw(g);
    auto r = conn.ReadResponse(3000);
    EXPECT_TRUE(r.status == 400 || r.status == 0) << g << " -> " << r.status;
    if (r.status == 400) {
      EXPECT_EQ(r.Json()["error"]["code"], "invalid_request") << g;
    }
  }
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
}

TEST(Server, ClientThatVanishesMidRequestDoesNotHurt) {
  ServerProcess server;
  for (int i = 0; i < 20; ++i) {
    HttpConnection conn(server.port());
    conn.SendRaw("POST /v1/bots HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"na");
  }  // closed with the body half sent
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200);
}

TEST(Server, IdleKeepAliveConnectionsAreClosed) {
  ServerProcess server({"--idle-timeout", "1"});
  HttpConnection conn(server.port());
  ASSERT_EQ(conn.Request("GET", "/healthz").status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(conn.WaitForClose(5000));
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(waited, 0.5);
  EXPECT_LT(waited, 4.0);
  // A slow-loris request that never finishes its header is cut off too.
  HttpConnection slow(server.port());
  slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(slow.WaitForClose(5000));
}

TEST(Server, GracefulShutdownFinishesInFlightRequest) {
  ServerProcess server;
  HttpConnection idle(server.port());
  ASSERT_EQ(idle.Request("GET", "/healthz").status, 200);
  // A request whose body is still arriving when SIGTERM lands.
  HttpConnection busy(server.port());
  std::string body = R"({"name": "made during shutdown"})";
  std::string head =
      std::string("POST /v1/bots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kKey +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  ASSERT_TRUE(busy.SendRaw(head + body.substr(0, 10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.Signal(SIGTERM);
  EXPECT_TRUE(idle.WaitForClose(5000)) << "idle keep-alive connections are closed";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(busy.SendRaw(body.substr(10)));
  auto r = busy.ReadResponse();
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(server.WaitExit(10'000), 0);
  // The bot made during shutdown is there after a restart.
  ASSERT_TRUE(server.Start());
  auto list = Http(server.port(), "GET", "/v1/bots", "", kKey).Json();
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["name"], "made during shutdown");
}

TEST(Server, RefusesADatabaseFromANewerKiln) {
  ServerProcess server;
  ASSERT_EQ(server.Stop(), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((server.data_dir() + "/kiln.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(server.Start()) << "a newer schema must not be opened";
  std::ifstream log(server.log_path());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("newer than this kiln supports"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace kiln::testing
