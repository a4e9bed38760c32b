// The C++ plugin SDK (plugins/sdk): routing and validation through
// Server::Handle, the HTTP framing through real sockets (a raw client, so
// that malformed and oversized requests can be sent), and the OpenAPI
// document it builds. Links nothing of Kiln, as a plugin would.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "kiln_plugin.h"

namespace kiln::plugins::sdk {
namespace {

using nlohmann::json;

Request Make(std::string method, std::string path,
             std::vector<std::pair<std::string, std::string>> query = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.query = std::move(query);
  return r;
}

// Sends `raw` to 127.0.0.1:port and returns everything the server answers.
std::string Exchange(int port, std::string_view raw) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "(connect failed)";
  }
  while (!raw.empty()) {
    ssize_t n = send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    raw.remove_prefix(static_cast<size_t>(n));
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

int StatusOf(const std::string& response) {
  return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}

json BodyOf(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(response.substr(at + 4), nullptr, false);
}

class SdkTest : public ::testing::Test {
 protected:
  SdkTest() : server_(ServerOptions{.title = "Test plugin", .version = "2.0"}) {
    server_.Get(
        "/echo",
        {.operation_id = "echo",
         .summary = "Echo the query",
         .params = {QueryParam("text", {{"type", "string"}, {"maxLength", 10}}, "Text", true),
                    QueryParam("n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5}}, "N"),
                    QueryParam("flag", {{"type", "boolean"}}, "Flag"),
                    QueryParam("mode", {{"type", "string"}, {"enum", {"a", "b"}}}, "Mode"),
                    QueryParam("ids", {{"type", "array"}, {"items", {{"type", "integer"}}}},
                               "Ids")}},
        [](const Request& r) {
          return Response::Json({{"params", r.params}});
        });
    server_.Post("/items",
                 {.operation_id = "create_item",
                  .request_body = {{"type", "object"},
                                   {"required", {"name"}},
                                   {"properties", {{"name", {{"type", "string"}}}}}}},
                 [](const Request& r) {
                   return Response::Json({{"got", r.json}}, 201);
                 });
    server_.Get("/items/{id}", {.summary = "One item"}, [](const Request& r) {
      return Response::Json({{"id", r.PathParam("id")}});
    });
    server_.Delete("/items/{id}", {}, [](const Request&) { return Response::Json({}, 200); });
    server_.Get("/throws", {},
                [](const Request&) -> Response { throw std::runtime_error("oops"); });
    server_.Get("/text", {}, [](const Request&) { return Response::Text("hi"); });
  }

  Server server_;
};

TEST_F(SdkTest, RoutesAndTypedParameters) {
  Response r = server_.Handle(Make(
      "GET", "/echo",
      {{"text", "hi"}, {"n", "3"}, {"flag", "true"}, {"mode", "b"}, {"ids", "1"}, {"ids", "2"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["params"],
            json::parse(R"({"text": "hi", "n": 3, "flag": true, "mode": "b", "ids": [1, 2]})"));
  r = server_.Handle(Make("GET", "/items/abc"));
  EXPECT_EQ(r.body, json({{"id", "abc"}}));
}

TEST_F(SdkTest, ValidationErrorsAre400) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> query;
    const char* param;
  };
  for (const Case& c : std::vector<Case>{{{}, "text"},
                                         {{{"text", "12345678901"}}, "text"},
                                         {{{"text", "x"}, {"n", "x"}}, "n"},
                                         {{{"text", "x"}, {"n", "9"}}, "n"},
                                         {{{"text", "x"}, {"n", "0"}}, "n"},
                                         {{{"text", "x"}, {"flag", "yes"}}, "flag"},
                                         {{{"text", "x"}, {"mode", "c"}}, "mode"},
                                         {{{"text", "x"}, {"ids", "1"}, {"ids", "z"}}, "ids"}}) {
    Response r = server_.Handle(Make("GET", "/echo", c.query));
    EXPECT_EQ(r.status, 400) << c.param;
    EXPECT_EQ(r.body["error"]["code"], "invalid_argument");
    EXPECT_EQ(r.body["error"]["param"], c.param) << r.body.dump();
  }
}

TEST_F(SdkTest, JsonBodies) {
  Request post = Make("POST", "/items");
  post.headers = {{"content-type", "application/json"}};
  post.body = R"({"name": "x"})";
  Response r = server_.Handle(post);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body["got"], json({{"name", "x"}}));
  for (const char* body : {"", "{not json", "[1]", R"({"other": 1})"}) {
    post.body = body;
    r = server_.Handle(post);
    EXPECT_EQ(r.status, 400) << body;
  }
}

TEST_F(SdkTest, NotFoundMethodNotAllowedAndHandlerFailures) {
  EXPECT_EQ(server_.Handle(Make("GET", "/nope")).status, 404);
  EXPECT_EQ(server_.Handle(Make("GET", "/items/a/b")).status, 404);
  Response r = server_.Handle(Make("PUT", "/items/7"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Allow"), std::string("GET, DELETE")));
  r = server_.Handle(Make("GET", "/throws"));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("oops"), std::string::npos);
}

TEST_F(SdkTest, OpenApiDocument) {
  ASSERT_EQ(server_.Listen(), "");
  const json doc = server_.OpenApiDocument();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["info"], json::parse(R"({"title": "Test plugin", "version": "2.0"})"));
  EXPECT_EQ(doc["servers"], json::array({{{"url", server_.url()}}}));
  const json& echo = doc["paths"]["/echo"]["get"];
  EXPECT_EQ(echo["operationId"], "echo");
  EXPECT_EQ(echo["summary"], "Echo the query");
  EXPECT_EQ(echo["parameters"][0], json::parse(R"({"name": "text", "in": "query", "required": true,
      "description": "Text", "schema": {"type": "string", "maxLength": 10}})"));
  EXPECT_EQ(doc["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"]["schema"]
               ["required"],
            json::array({"name"}));
  // Path parameters come from the template; operation ids default to method_path.
  const json& item = doc["paths"]["/items/{id}"];
  EXPECT_EQ(item["get"]["operationId"], "get_items_id");
  EXPECT_EQ(item["delete"]["operationId"], "delete_items_id");
  EXPECT_EQ(item["get"]["parameters"][0]["in"], "path");
  EXPECT_EQ(item["get"]["parameters"][0]["required"], true);
  EXPECT_EQ(server_.Handle(Make("GET", "/openapi.json")).body, doc);
}

TEST_F(SdkTest, OverSockets) {
  ASSERT_EQ(server_.Listen(), "");
  server_.Start();
  const int port = server_.port();
  std::string r = Exchange(port, "GET /echo?text=a%20b+c&n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(r), 200) << r;
  EXPECT_NE(r.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(r)["params"], json::parse(R"({"text": "a b c", "n": 2})"));

  const std::string body = R"({"name": "n"})";
  r = Exchange(port, "POST /items HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n" + body);
  EXPECT_NE(r.find("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created"), std::string::npos) << r;
  EXPECT_EQ(Exchange(port, "GET /text HTTP/1.0\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(Exchange(port, "GET /text HTTP/1.1\r\n\r\n").find("\r\n\r\nhi"), std::string::npos);
  EXPECT_EQ(StatusOf(Exchange(port, "GET /openapi.json HTTP/1.1\r\n\r\n")), 200);
  EXPECT_EQ(StatusOf(Exchange(port, "DELETE /echo HTTP/1.1\r\n\r\n")), 405);
  EXPECT_EQ(StatusOf(Exchange(port, "GET /none HTTP/1.1\r\n\r\n")), 404);
}

TEST_F(SdkTest, MalformedAndOversizedRequests) {
  ASSERT_EQ(server_.Listen(), "");
  server_.Start();
  const int port = server_.port();
  EXPECT_EQ(StatusOf(Exchange(port, "GARBAGE\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Exchange(port, "GET nopath HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Exchange(port, "GET / HTTP/2.0\r\n\r\n")), 505);
  EXPECT_EQ(StatusOf(Exchange(port, "GET /echo HTTP/1.1\r\nBad Header\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Exchange(port, "POST /items HTTP/1.1\r\nContent-Length: x\r\n\r\n")), 400);
  EXPECT_EQ(StatusOf(Exchange(port,
                              "POST /items HTTP/1.1\r\nContent-Length: 1\r\n"
                              "Content-Length: 2\r\n\r\nab")),
            400);
  EXPECT_EQ(StatusOf(Exchange(port,
                              "POST /items HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "0\r\n\r\n")),
            400);
  // Over the limits: 413 for the body (announced, and sent), 431 for headers.
  EXPECT_EQ(StatusOf(Exchange(port, "POST /items HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n")),
            413);
  const std::string big(2u << 20, 'x');
  EXPECT_EQ(StatusOf(Exchange(port, "POST /items HTTP/1.1\r\nContent-Length: " +
                                        std::to_string(big.size()) + "\r\n\r\n" + big)),
            413);
  EXPECT_EQ(StatusOf(Exchange(
                port, "GET /echo HTTP/1.1\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n")),
            431);
  // Still serving.
  EXPECT_EQ(StatusOf(Exchange(port, "GET /text HTTP/1.1\r\n\r\n")), 200);
}

TEST_F(SdkTest, ConcurrentClients) {
  ASSERT_EQ(server_.Listen(), "");
  server_.Start();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      for (int j = 0; j < 20; ++j) {
        std::string r = Exchange(server_.port(),
                                 "GET /items/" + std::to_string(i * 100 + j) + " HTTP/1.1\r\n\r\n");
        if (BodyOf(r) == json({{"id", std::to_string(i * 100 + j)}})) ++ok;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok, 160);
}

TEST(SdkServer, RunReturnsAfterStop) {
  Server server;
  ASSERT_EQ(server.Listen(), "");
  std::thread runner([&] { server.Run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.Stop();
  runner.join();
  EXPECT_EQ(Exchange(server.port(), "GET / HTTP/1.1\r\n\r\n"), "(connect failed)");
}

TEST(SdkServer, ListenFailsWithAReason) {
  Server first;
  ASSERT_EQ(first.Listen(), "");
  Server second(ServerOptions{.port = first.port()});
  std::string error = second.Listen();
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
  Server bad(ServerOptions{.host = "not a host name"});
  EXPECT_NE(bad.Listen(), "");
}

}  // namespace
}  // namespace kiln::plugins::sdk
