// Kiln plugin SDK: helpers for writing, in C++, the HTTP service behind an
// OpenAPI plugin. Register routes with the schemas of their parameters; the
// server validates requests against them, calls the handlers, and serves the
// OpenAPI 3.1 document that Kiln imports at /openapi.json.
//
//   namespace sdk = kiln::plugins::sdk;
//   sdk::Server server({.port = 8080, .title = "Weather"});
//   server.Get("/weather",
//              {.operation_id = "get_weather",
//               .summary = "Current weather for a city",
//               .params = {sdk::QueryParam("city", {{"type", "string"}}, "City name", true)}},
//              [](const sdk::Request& r) {
//                return sdk::Response::Json({{"city", r.Query("city")}, {"temp_c", 21}});
//              });
//   if (std::string error = server.Listen(); !error.empty()) return 1;
//   server.Run();  // until Stop()
//
// Self-contained: the standard library, POSIX sockets and nlohmann/json only,
// so a plugin developer copies this header with kiln_plugin_server.cc and
// kiln_plugin_openapi.cc into their project. Nothing here throws; an
// exception thrown by a handler becomes a 500 response.
//
// The server is a small blocking HTTP/1.1 server for plugin traffic, not a
// general web server: one request per connection (Connection: close), bodies
// by Content-Length only, a fixed pool of worker threads fed by one acceptor.
// Thread contract: register routes before Listen(); handlers run on the worker
// threads, several at once; Stop() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kiln::plugins::sdk {

// ---- What handlers see and return ----

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/weather?city=Paris"
  std::string path;    // percent-decoded, without the query: "/weather"
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::map<std::string, std::string> path_params;            // "/cities/{id}" -> {"id": "..."}
  std::string body;
  nlohmann::json json;  // the parsed body when it is JSON; null otherwise
  // The declared parameters, typed by their schemas ({"days": 3}); set by the
  // server after validation, so a handler may rely on required ones being here.
  nlohmann::json params = nlohmann::json::object();

  // The first value of a query parameter, or `fallback`.
  std::string Query(std::string_view name, std::string_view fallback = {}) const;
  bool HasQuery(std::string_view name) const;
  std::string Header(std::string_view lower_name) const;  // "" when absent
  std::string PathParam(std::string_view name) const;     // "" when absent
};

struct Response {
  int status = 200;
  // Sent as JSON; a string body is sent as it is when content_type is not JSON.
  nlohmann::json body = nlohmann::json::object();
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(nlohmann::json body, int status = 200);
  static Response Text(std::string text, int status = 200);
  // {"error": {"code": code, "message": message}}, the shape Kiln's own API uses.
  static Response Error(int status, std::string_view code, std::string_view message);
};

using Handler = std::function<Response(const Request&)>;

// ---- What the OpenAPI document says about a route ----

struct Param {
  std::string name;
  std::string in = "query";  // "query", "path" or "header"
  // The JSON Schema of the value. Query, path and header values arrive as
  // text and are converted by type: integer, number, boolean or string
  // (checked against enum, minimum/maximum, minLength/maxLength).
  nlohmann::json schema = {{"type", "string"}};
  std::string description{};
  bool required = false;
};

Param QueryParam(std::string name, nlohmann::json schema, std::string description,
                 bool required = false);
Param PathParam(std::string name, std::string description);

struct Operation {
  std::string operation_id{};  // the tool's name in Kiln; default method_path
  std::string summary{};       // what the model reads to choose the tool
  std::string description{};
  std::vector<Param> params{};
  // The JSON Schema of a JSON request body (POST/PUT/PATCH); null for none.
  nlohmann::json request_body{};
  bool body_required = true;
  // The JSON Schema of the 200 response; null for "any JSON".
  nlohmann::json response{};
};

// Builds an OpenAPI 3.1 document from operations. Plain value; not
// thread-safe while being filled.
class OpenApiBuilder {
 public:
  OpenApiBuilder(std::string title, std::string version, std::string description = {});

  OpenApiBuilder& SetServerUrl(std::string url);  // servers[0].url
  // `method` in any case; path parameters used in the template but not
  // declared in `operation` are added as required strings.
  OpenApiBuilder& Add(std::string_view method, const std::string& path, const Operation& operation);
  nlohmann::json Build() const;

 private:
  std::string title_, version_, description_, server_url_;
  nlohmann::json paths_ = nlohmann::json::object();
};

// ---- The server ----

struct ServerOptions {
  std::string host = "127.0.0.1";  // "0.0.0.0" or "::" to listen everywhere
  int port = 0;                    // 0: an ephemeral port, see Server::port()
  std::string title = "Kiln plugin";
  std::string version = "1.0.0";
  std::string description{};
  // servers[0].url of /openapi.json; default http://HOST:PORT (127.0.0.1 for
  // a wildcard host). Set it when Kiln reaches the plugin by another name.
  std::string public_url{};
  size_t max_header_bytes = 16 * 1024;  // more: 431
  size_t max_body_bytes = 1u << 20;     // more: 413
  int threads = 4;                      // requests handled at once
  size_t max_pending = 64;              // accepted connections waiting; more: 503
  int io_timeout_ms = 10000;            // per read/write on a connection
  bool log_requests = false;            // one line per request on stderr
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes: `path` is a template such as "/weather" or "/cities/{id}".
  Server& Get(const std::string& path, Operation operation, Handler handler);
  Server& Post(const std::string& path, Operation operation, Handler handler);
  Server& Put(const std::string& path, Operation operation, Handler handler);
  Server& Patch(const std::string& path, Operation operation, Handler handler);
  Server& Delete(const std::string& path, Operation operation, Handler handler);
  Server& Route(std::string_view method, const std::string& path, Operation operation,
                Handler handler);

  // Binds and listens. "" on success (port() is then known), else why not.
  std::string Listen();
  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT"

  void Start();  // serves on background threads; returns at once
  void Run();    // Start(), then blocks until Stop()
  void Stop();   // stops accepting, lets running handlers finish, joins

  // The document served at /openapi.json.
  nlohmann::json OpenApiDocument() const;

  // One parsed request through routing, validation and its handler: what a
  // connection does after reading, callable without sockets (tests).
  Response Handle(Request request) const;

 private:
  struct RouteEntry {
    std::string method;
    std::string path;
    std::vector<std::string> segments;  // "{id}" marks a parameter
    Operation operation;
    Handler handler;
  };

  void AcceptLoop();
  void WorkerLoop();
  void Serve(int fd) const;

  const ServerOptions options_;
  std::vector<RouteEntry> routes_;  // fixed once Listen() has run
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> pending_;  // accepted sockets; guarded by mu_
  bool stopped_ = false;     // guarded by mu_: Run() waits for it
};

}  // namespace kiln::plugins::sdk
