// The MCP client against the real example server (examples/plugins/mcp_python,
// written with the official MCP Python SDK) over stdio and streamable HTTP,
// and against programs that are not MCP servers at all. The venv's python
// with the `mcp` package comes from scripts/setup; without it these tests
// fail, saying so.
#include "plugins/mcp/mcp_client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "plugins/mcp/internal/transport.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

std::string Python() {
  const char* cache = std::getenv("KILN_CACHE");
  const char* home = std::getenv("HOME");
  return (cache && *cache ? std::string(cache) : std::string(home ? home : "") + "/.cache/kiln") +
         "/venv/bin/python";
}

std::string ServerScript() {
  return std::string(KILN_SOURCE_DIR) + "/examples/plugins/mcp_python/server.py";
}

McpServerConfig Stdio() {
  McpServerConfig c;
  c.command = Python();
  c.args = {ServerScript()};
  c.timeout_ms = 20000;
  return c;
}

std::shared_ptr<McpClient> ConnectOrFail(const McpServerConfig& c) {
  auto client = McpClient::Connect(c);
  EXPECT_TRUE(client.ok()) << client.status().ToString()
                           << " (is the test venv set up? scripts/setup)";
  return client.ok() ? std::shared_ptr<McpClient>(std::move(client).value()) : nullptr;
}

std::shared_ptr<Tool> Named(const ToolList& tools, const std::string& name) {
  for (const auto& t : tools) {
    if (t->spec().name == name) return t;
  }
  return nullptr;
}

// The example server over HTTP on a free port, stopped with the test.
class HttpServer {
 public:
  HttpServer() {
    // The shell prints its pid, then becomes the server (exec keeps the pid).
    const std::string cmd = "echo $$; exec " + Python() + " " + ServerScript() + " --http --port 0";
    pipe_ = popen(cmd.c_str(), "r");
    char line[256] = {};
    if (pipe_ != nullptr && fgets(line, sizeof(line), pipe_) != nullptr) pid_ = std::atoi(line);
    if (pipe_ != nullptr && fgets(line, sizeof(line), pipe_) != nullptr) {
      const std::string text = line;
      const size_t colon = text.rfind(':');
      if (text.find("listening on") != std::string::npos && colon != std::string::npos) {
        port_ = std::atoi(text.c_str() + colon + 1);
      }
    }
  }
  ~HttpServer() {
    if (pipe_ != nullptr) {
      if (pid_ > 0) kill(pid_, SIGTERM);
      pclose(pipe_);
    }
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/mcp"; }

 private:
  FILE* pipe_ = nullptr;
  int pid_ = 0;
  int port_ = 0;
};

void CheckTools(const std::shared_ptr<McpClient>& client) {
  auto tools = McpTools(client);
  ASSERT_TRUE(tools.ok()) << tools.status().ToString();
  for (const char* name : {"add", "lookup_order", "notes_save", "notes_search", "slow", "fail"}) {
    ASSERT_NE(Named(*tools, name), nullptr) << name;
  }
  auto add = Named(*tools, "add");
  // Reduced to what the grammar enforces: no "title" or "$schema".
  EXPECT_EQ(add->spec().parameters["type"], "object");
  EXPECT_EQ(add->spec().parameters["properties"]["a"]["type"], "integer");
  EXPECT_FALSE(add->spec().parameters["properties"]["a"].contains("title"));
  auto r = add->Invoke({{"a", 2}, {"b", 40}}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output, "42");
  EXPECT_FALSE(r->is_error);
  auto order = Named(*tools, "lookup_order")->Invoke({{"order_id", "A1001"}}, {});
  ASSERT_TRUE(order.ok());
  EXPECT_NE(order->output.find("shipped"), std::string::npos) << order->output;
  auto unknown = Named(*tools, "lookup_order")->Invoke({{"order_id", "ZZ9"}}, {});
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->is_error);
  EXPECT_NE(unknown->output.find("no order"), std::string::npos) << unknown->output;
  auto fail = Named(*tools, "fail")->Invoke(json::object(), {});
  ASSERT_TRUE(fail.ok());
  EXPECT_TRUE(fail->is_error);
  // A call past its timeout is cancelled; the connection stays usable.
  ToolCallOptions quick;
  quick.timeout_ms = 500;
  const auto start = std::chrono::steady_clock::now();
  auto slow = Named(*tools, "slow")->Invoke({{"seconds", 5}}, quick);
  EXPECT_EQ(slow.status().code(), StatusCode::kDeadlineExceeded) << slow.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(client->alive());
  EXPECT_EQ(add->Invoke({{"a", 1}, {"b", 1}}, {})->output, "2");
  // Calls from several threads at once.
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto v = add->Invoke({{"a", i}, {"b", 100}}, {});
      if (v.ok() && v->output == std::to_string(100 + i)) ++right;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(right.load(), 4);
  // Output is cut to the caller's limit.
  ToolCallOptions small;
  small.max_output_bytes = 40;
  ASSERT_TRUE(Named(*tools, "notes_save")
                  ->Invoke({{"title", "t"}, {"text", std::string(500, 'x')}}, {})
                  .ok());
  auto found = Named(*tools, "notes_search")->Invoke({{"query", "xxx"}}, small);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->truncated);
  EXPECT_LE(found->output.size(), 40u);
}

TEST(McpClient, StdioRoundTrip) {
  auto client = ConnectOrFail(Stdio());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->server_name(), "kiln-example");
  EXPECT_EQ(client->protocol_version(), kMcpProtocolVersion);
  CheckTools(client);
}

TEST(McpClient, HttpRoundTripThroughTheGuard) {
  HttpServer server;
  ASSERT_GT(server.port(), 0) << "the example server did not start over HTTP";
  McpServerConfig refused;
  refused.url = server.url();
  auto denied = McpClient::Connect(refused);  // loopback, no allowance
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
  McpServerConfig c;
  c.url = server.url();
  c.fetch.allow = {"127.0.0.1:" + std::to_string(server.port())};
  auto client = ConnectOrFail(c);
  ASSERT_NE(client, nullptr);
  CheckTools(client);
}

TEST(McpClient, HttpCallsShareKeptAliveConnections) {
  HttpServer server;
  ASSERT_GT(server.port(), 0) << "the example server did not start over HTTP";
  ConnectionPool pool;
  McpServerConfig c;
  c.url = server.url();
  c.fetch.allow = {"127.0.0.1:" + std::to_string(server.port())};
  c.fetch.pool = &pool;
  auto client = ConnectOrFail(c);
  ASSERT_NE(client, nullptr);
  CheckTools(client);  // about 20 requests, 4 of them at once, and one abandoned at its timeout
  auto add = Named(*McpTools(client), "add");
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(add->Invoke({{"a", i}, {"b", 1}}, {})->output, std::to_string(i + 1));
  // One connection for the calls in turn, one more for each taken at once
  // and for the one dropped at its timeout.
  EXPECT_LE(pool.opened(), 6);
  EXPECT_GE(pool.opened(), 1);
}

TEST(McpClient, AServerThatDiesIsReportedAndCanBeReplaced) {
  // The shell writes its pid, then becomes the server.
  char dir[] = "/tmp/kiln_mcp_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string pid_file = std::string(dir) + "/pid";
  McpServerConfig c;
  c.command = "/bin/sh";
  c.args = {"-c", "echo $$ > " + pid_file + "; exec " + Python() + " " + ServerScript()};
  auto client = ConnectOrFail(c);
  ASSERT_NE(client, nullptr);
  auto tools = McpTools(client);
  ASSERT_TRUE(tools.ok());
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  kill(pid, SIGKILL);  // behind the client's back
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = Named(*tools, "add")->Invoke({{"a", 1}, {"b", 2}}, {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_FALSE(client->alive());
  auto again = ConnectOrFail(Stdio());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(McpTools(again).ok(), true);
  std::remove(pid_file.c_str());
  rmdir(dir);
}

TEST(McpClient, ProgramsThatAreNotMcpServers) {
  McpServerConfig missing;
  missing.command = "/no/such/program";
  EXPECT_EQ(McpClient::Connect(missing).status().code(), StatusCode::kNotFound);
  // Garbage on stdout: refused at once, naming what it said.
  McpServerConfig talker;
  talker.command = "/bin/sh";
  talker.args = {"-c", "echo hello; sleep 30"};
  talker.timeout_ms = 5000;
  auto t0 = std::chrono::steady_clock::now();
  auto hello = McpClient::Connect(talker);
  EXPECT_EQ(hello.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(hello.status().message().find("hello"), std::string::npos) << hello.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  // Silence: the handshake times out.
  McpServerConfig silent;
  silent.command = "/bin/sleep";
  silent.args = {"30"};
  silent.timeout_ms = 500;
  EXPECT_EQ(McpClient::Connect(silent).status().code(), StatusCode::kDeadlineExceeded);
  // A program that exits at once, with its stderr in the message.
  McpServerConfig quits;
  quits.command = "/bin/sh";
  quits.args = {"-c", "echo broken config >&2; exit 3"};
  auto q = McpClient::Connect(quits);
  EXPECT_EQ(q.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(q.status().message().find("broken config"), std::string::npos) << q.status().ToString();
  // A line of 5 MB with no end.
  McpServerConfig flood;
  flood.command = "/bin/sh";
  flood.args = {"-c", "head -c 5000000 /dev/zero | tr '\\\\0' x; sleep 30"};
  flood.timeout_ms = 10000;
  auto f = McpClient::Connect(flood);
  EXPECT_EQ(f.status().code(), StatusCode::kUnavailable) << f.status().ToString();
  EXPECT_NE(f.status().message().find("4 MiB"), std::string::npos) << f.status().ToString();
  McpServerConfig both;
  both.command = "a";
  both.url = "http://x";
  EXPECT_EQ(McpClient::Connect(both).status().code(), StatusCode::kInvalidArgument);
}

TEST(McpParts, SseDataContentTextAndSchemas) {
  EXPECT_EQ(mcp_internal::SseData("event: message\ndata: {\"a\":1}\n\ndata: x\ndata: y\r\n\n: c\n"),
            (std::vector<std::string>{"{\"a\":1}", "x\ny"}));
  EXPECT_TRUE(mcp_internal::SseData("").empty());
  EXPECT_EQ(mcp_internal::SseData("data:tail"), std::vector<std::string>{"tail"});
  json result = {{"content",
                  {{{"type", "text"}, {"text", "one"}},
                   {{"type", "image"}, {"mimeType", "image/png"}, {"data", "..."}},
                   {{"type", "resource"}, {"resource", {{"uri", "file:///a"}, {"text", "two"}}}},
                   {{"type", "bogus"}},
                   "not an object"}}};
  EXPECT_EQ(McpContentText(result), "one\n[image image/png]\ntwo");
  EXPECT_EQ(McpContentText({{"structuredContent", {{"x", 1}}}}), "{\"x\":1}");
  EXPECT_EQ(McpContentText("junk"), "");
  json schema = {{"$schema", "x"},
                 {"type", "object"},
                 {"title", "T"},
                 {"properties", {{"n", {{"type", "integer"}, {"title", "N"}, {"minimum", 1}}}}},
                 {"required", {"n", 3}}};
  json reduced = ReduceMcpSchema(schema);
  EXPECT_EQ(reduced, json({{"type", "object"},
                           {"properties", {{"n", {{"type", "integer"}}}}},
                           {"required", {"n"}}}));
  EXPECT_EQ(ReduceMcpSchema("junk"), json({{"type", "object"}}));
  EXPECT_EQ(ReduceMcpSchema({{"type", "array"}}), json({{"type", "object"}}));
}

TEST(McpParts, HostileJsonRpcIsAnErrorNeverACrash) {
  using mcp_internal::ParseRpcText;
  EXPECT_FALSE(ParseRpcText("").ok());
  EXPECT_FALSE(ParseRpcText("hello").ok());
  EXPECT_FALSE(ParseRpcText("[]").ok());           // empty batch
  EXPECT_FALSE(ParseRpcText("{\"id\": 1}").ok());  // no jsonrpc
  EXPECT_FALSE(ParseRpcText(std::string(10000, '[') + std::string(10000, ']')).ok());
  EXPECT_FALSE(ParseRpcText("{\"jsonrpc\": \"2.0\", \"id\": {}, \"result\": 1}").ok());
  auto ok = ParseRpcText(
      "[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}},"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ(mcp_internal::IdAsInt((*ok)[0].id), 7);
  std::mt19937 rng(5);
  const std::string valid = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}";
  for (int i = 0; i < 5000; ++i) {
    std::string m = valid;
    for (int k = 0; k < 3; ++k) m[rng() % m.size()] = static_cast<char>(rng());
    (void)ParseRpcText(m);  // any answer, no crash
  }
}

}  // namespace
}  // namespace kiln::plugins
