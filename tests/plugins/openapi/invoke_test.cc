// OpenAPI tools invoked against real HTTP servers on 127.0.0.1 (allow_private
// or an allowlist entry, since loopback is what the guard refuses
// otherwise): what is sent, how answers, errors, limits and time-outs come
// back, and the guard itself.
#include <gtest/gtest.h>

#include <chrono>

#include "plugins/openapi/openapi.h"
#include "tests/plugins/net/test_http_server.h"
#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nettest::TestHttpServer;
using nlohmann::json;
using openapitest::Find;

std::string Http(int status, std::string_view body, std::string_view type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

constexpr const char* kPaths = R"({
  "/items/{id}": {"get": {"operationId": "get_item", "parameters": [
      {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
      {"name": "q", "in": "query", "schema": {"type": "string"}},
      {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}]}},
  "/pets": {"post": {"operationId": "create_pet", "requestBody": {"required": true, "content": {
      "application/json": {"schema": {"type": "object", "properties": {
          "name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}}}}}},
  "/slow": {"get": {"operationId": "slow"}},
  "/big": {"get": {"operationId": "big"}},
  "/missing": {"get": {"operationId": "missing"}},
  "/broken": {"get": {"operationId": "broken"}},
  "/text": {"get": {"operationId": "text"}},
  "/deep": {"get": {"operationId": "deep"}}
})";

class OpenApiInvokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Route("/items/42", [](int fd, const auto&, const auto&) {
      TestHttpServer::Send(fd, Http(200, "{ \"id\" : 42,\n  \"tags\" : [ \"a\", \"b\" ] }"));
    });
    server_.RouteFixed("/pets", Http(201, "created", "text/plain"));
    server_.Route("/slow", [](int fd, const auto&, const auto& stopping) {
      TestHttpServer::WaitForClose(fd, stopping);  // never answers
    });
    server_.RouteFixed("/big", Http(200, std::string(100000, 'x'), "text/plain"));
    server_.RouteFixed("/broken", Http(500, "{\"error\": \"boom\"}"));
    server_.RouteFixed("/text", Http(200, "plain words", "text/plain"));
    server_.RouteFixed("/deep", Http(200, std::string(5000, '[') + std::string(5000, ']')));
    options_.fetch.allow_private = true;
    options_.timeout_ms = 5000;
  }

  ToolList Tools(const OpenApiAuth& auth = {}) {
    json doc = openapitest::Doc(kPaths);
    doc["servers"] = json::array({{{"url", server_.Url("")}}});
    return openapitest::ToolsOk(doc, auth, options_);
  }

  Result<ToolResult> Call(std::string_view name, const json& args, const OpenApiAuth& auth = {},
                          ToolCallOptions call = {}) {
    ToolList tools = Tools(auth);
    auto tool = Find(tools, name);
    if (tool == nullptr) return Internal("no tool");
    return tool->Invoke(args, call);
  }

  TestHttpServer server_;
  OpenApiOptions options_;
};

TEST_F(OpenApiInvokeTest, GetSendsEveryParameterAndCompactsJson) {
  const OpenApiAuth auth{"bearer", "", "", "tok-123"};
  Result<ToolResult> r =
      Call("get_item", {{"id", 42}, {"q", "hello world"}, {"X-Trace", "t-1"}}, auth);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_error);
  EXPECT_EQ(r->output, R"({"id":42,"tags":["a","b"]})");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/items/42?q=hello%20world");
  EXPECT_EQ(requests[0].Header("x-trace"), "t-1");
  EXPECT_EQ(requests[0].Header("accept"), "application/json");
  EXPECT_EQ(requests[0].Header("authorization"), "Bearer tok-123");
}

TEST_F(OpenApiInvokeTest, PostSendsTheJsonBody) {
  Result<ToolResult> r = Call("create_pet", {{"name", "Rex"}, {"tags", json::array({"dog"})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_error);
  EXPECT_EQ(r->output, "created");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(json::parse(requests[0].body), json::parse(R"({"name": "Rex", "tags": ["dog"]})"));
}

TEST_F(OpenApiInvokeTest, ErrorStatusesAreToolErrors) {
  Result<ToolResult> r = Call("missing", json::object());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_error);
  EXPECT_EQ(r->output, "HTTP 404\n");
  r = Call("broken", json::object());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_error);
  EXPECT_EQ(r->output, "HTTP 500\n{\"error\":\"boom\"}");
}

TEST_F(OpenApiInvokeTest, TextAndDeepBodiesComeBackAsTheyAre) {
  Result<ToolResult> r = Call("text", json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "plain words");
  r = Call("deep", json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, std::string(5000, '[') + std::string(5000, ']'));
}

TEST_F(OpenApiInvokeTest, TooLargeResponseIsAToolError) {
  options_.max_response_bytes = 1000;
  Result<ToolResult> r = Call("big", json::object());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_error);
  EXPECT_NE(r->output.find("larger than 1000 bytes"), std::string::npos) << r->output;
}

TEST_F(OpenApiInvokeTest, OutputIsCutToTheCallsLimit) {
  ToolCallOptions call;
  call.max_output_bytes = 100;
  Result<ToolResult> r = Call("big", json::object(), {}, call);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->truncated);
  EXPECT_LE(r->output.size(), 100u);
}

TEST_F(OpenApiInvokeTest, SlowServerTimesOut) {
  options_.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  Result<ToolResult> r = Call("slow", json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  // The call's own, shorter limit wins over the plugin's.
  options_.timeout_ms = 60000;
  ToolCallOptions call;
  call.timeout_ms = 300;
  start = std::chrono::steady_clock::now();
  r = Call("slow", json::object(), {}, call);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(OpenApiInvokeTest, QueryCredentialNeverAppearsInErrors) {
  options_.timeout_ms = 300;
  const OpenApiAuth auth{"api_key", "key", "query", "very secret"};
  Result<ToolResult> r = Call("slow", json::object(), auth);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message().find("secret"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("[redacted]"), std::string::npos) << r.status().message();
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/slow?key=very%20secret");  // but it was sent
}

TEST_F(OpenApiInvokeTest, GuardRefusesLoopbackUnlessAllowed) {
  options_.fetch.allow_private = false;
  Result<ToolResult> r = Call("text", json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());
  // The operator's allowlist opens exactly this host:port.
  options_.fetch.allow = {"127.0.0.1:" + std::to_string(server_.port())};
  r = Call("text", json::object());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output, "plain words");
}

TEST_F(OpenApiInvokeTest, RedirectsAreFollowedUnlessAKeyHeaderWouldLeak) {
  TestHttpServer other;
  other.RouteFixed("/landing", Http(200, "\"landed\""));
  server_.RouteFixed("/text", "HTTP/1.1 302 Found\r\nLocation: " + other.Url("/landing") +
                                  "\r\nContent-Length: 0\r\n\r\n");
  Result<ToolResult> r = Call("text", json::object(), {"bearer", "", "", "tok"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output, "\"landed\"");
  ASSERT_EQ(other.requests().size(), 1u);
  EXPECT_EQ(other.requests()[0].Header("authorization"), "");  // HttpFetch dropped it

  r = Call("text", json::object(), {"api_key", "X-Api-Key", "header", "key-1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_error);
  EXPECT_EQ(r->output, "HTTP 302\n");
  EXPECT_EQ(other.requests().size(), 1u);  // not followed
}

TEST_F(OpenApiInvokeTest, BadArgumentsAndCancellation) {
  Result<ToolResult> r = Call("get_item", {{"q", "x"}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("\"id\""), std::string::npos);
  ToolCallOptions call;
  call.cancelled = [] { return true; };
  r = Call("text", json::object(), {}, call);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(OpenApiInvokeTest, ServerThatIsDownIsUnavailable) {
  int port = 0;
  {
    TestHttpServer gone;
    port = gone.port();
  }
  json doc = openapitest::Doc(R"({"/x": {"get": {"operationId": "x"}}})");
  doc["servers"] = json::array({{{"url", "http://127.0.0.1:" + std::to_string(port)}}});
  ToolList tools = openapitest::ToolsOk(doc, {}, options_);
  Result<ToolResult> r = tools[0]->Invoke(json::object(), {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

}  // namespace
}  // namespace kiln::plugins
