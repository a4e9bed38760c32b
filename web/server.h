// HttpServer: the asynchronous HTTP/1.1 server core (Boost.Beast + Asio).
//
// This header includes no Boost: everything Beast instantiates lives in
// server.cc, the one slow translation unit, so handlers and their tests never
// pay for it. The server reads a request (header first, so that the body limit
// can depend on the route), hands it to an HttpHandler on an I/O thread, and
// writes the response, keeping the connection alive when both sides agree.
//
// Threads: `io_threads` threads run one io_context; each connection runs on
// its own strand. Start/BeginShutdown/Wait may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "web/http.h"

namespace kiln::web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;
  size_t header_limit = 16 * 1024;                    // request line + headers; over it -> 431
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds request_timeout{30'000};  // to receive a whole request once begun
  std::chrono::milliseconds shutdown_grace{10'000};   // in-flight requests get this long
  size_t max_connections = 10'000;                    // past it new connections get 503
};

// What the server calls. Implementations must be thread-safe: calls arrive
// from all I/O threads at once. None of them may block for long.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The largest body accepted for this request; a bigger one is answered 413
  // without being read. Asked only for requests that announce a body.
  virtual size_t BodyLimit(std::string_view method, std::string_view path) = 0;
  virtual Response Handle(Request& request) = 0;
  // A response for a request the server itself refuses (400 malformed, 413, 431, 503).
  virtual Response ErrorResponse(int status, std::string_view code, std::string_view message,
                                 const std::string& request_id) = 0;
  virtual void OnConnectionOpened() {}
  virtual void OnConnectionClosed() {}
};

class HttpServer {
 public:
  // `handler` is borrowed and must outlive the server.
  HttpServer(ServerOptions options, HttpHandler* handler);
  ~HttpServer();  // shuts down (graceful) if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads.
  Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  // Also shut down gracefully on SIGINT or SIGTERM.
  void ShutdownOnSignals();
  // Stops accepting, closes idle connections, lets in-flight requests finish
  // (their responses say Connection: close); after shutdown_grace the rest are cut.
  void BeginShutdown();
  // Blocks until the server has stopped and its threads are joined.
  void Wait();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::web
