// Beast/Asio server core. See server.h for the contract.
//
// One coroutine per connection runs on the connection's strand and loops:
// read header -> choose the body limit -> read body -> handle -> write. A small
// control block per connection lets shutdown, running on another thread,
// close connections that sit idle between requests.
#include "web/server.h"

#include <poll.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/random.h"

namespace kiln::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxLingerBytes = 16 << 20;  // input drained after an error, at most

// Request ids need to be unique, not secret: a per-thread generator seeded
// from the kernel, so no system call per request.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng([] {
    uint64_t seed;
    SecureRandomBytes(&seed, sizeof(seed));
    return seed;
  }());
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id = "req_";
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 12; ++i, a /= 36) id.push_back(kAlphabet[a % 36]);
  for (int i = 0; i < 8; ++i, b /= 36) id.push_back(kAlphabet[b % 36]);
  return id;
}

// A caller-supplied X-Request-Id is kept if it is short and plain.
bool AcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Shared between a connection's coroutine and shutdown; touched only on the
// connection's strand (shutdown posts there).
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;      // waiting for the next request's first byte
  bool closing = false;  // shutdown asked this connection to finish
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, HttpHandler* handler)
      : options_(std::move(options)), handler_(handler), acceptor_(io_), signals_(io_) {}

  Status Start() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument("bad listen address '" + options_.host + "': " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
    int threads = std::max(1, options_.io_threads);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return Status::OK();
  }

  uint16_t port() const { return port_; }

  void ShutdownOnSignals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](const beast::error_code& ec, int signal) {
      if (ec) return;
      KILN_LOG(INFO) << "signal " << signal << ": shutting down gracefully";
      BeginShutdown();
    });
  }

  void BeginShutdown() {
    if (shutting_down_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      signals_.cancel(ignored);
      CloseIdleConnections();
      grace_timer_.emplace(io_, options_.shutdown_grace);
      grace_timer_->async_wait([this](const beast::error_code& ec) {
        if (ec) return;
        KILN_LOG(WARNING) << "shutdown grace over; closing remaining connections";
        io_.stop();
      });
      MaybeFinish();
    });
  }

  void Wait() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  asio::awaitable<void> AcceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kNoThrow);
      if (ec) {
        if (shutting_down_ || ec == asio::error::operation_aborted) co_return;
        KILN_LOG(WARNING) << "accept failed: " << ec.message();
        continue;
      }
      auto conn = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard<std::mutex> lock(mu_);
        connections_.insert(conn);
      }
      handler_->OnConnectionOpened();
      auto executor = conn->stream.get_executor();
      asio::co_spawn(executor, Serve(conn), [this, conn](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            KILN_LOG(ERROR) << "connection failed: " << ex.what();
          } catch (...) {
            KILN_LOG(ERROR) << "connection failed";
          }
        }
        beast::error_code ignored;
        conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        conn->stream.close();
        handler_->OnConnectionClosed();
        {
          std::lock_guard<std::mutex> lock(mu_);
          connections_.erase(conn);
        }
        if (shutting_down_) asio::post(io_, [this] { MaybeFinish(); });
      });
    }
  }

  // The status line and headers of `res` on msg; returns whether the
  // connection may stay open after it.
  template <typename Body>
  bool SetHeader(http::response<Body>& msg, const Response& res, const std::string& request_id,
                 bool request_keep_alive, const Connection& conn) {
    msg.set(http::field::server, "kiln");
    msg.set("X-Request-Id", request_id);
    if (!res.content_type.empty()) msg.set(http::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) msg.set(name, value);
    const bool keep = request_keep_alive && !res.close && !shutting_down_ && !conn.closing;
    msg.keep_alive(keep);
    return keep;
  }

  // Writes `res` (a body, or a streamed one: WriteStream) and says whether the
  // connection may stay open.
  asio::awaitable<bool> Write(Connection& conn, Response res, const std::string& request_id,
                              bool request_keep_alive, unsigned version) {
    if (res.stream != nullptr) {
      co_return co_await WriteStream(conn, std::move(res), request_id, request_keep_alive, version);
    }
    http::response<http::string_body> msg{static_cast<http::status>(res.status), version};
    const bool keep = SetHeader(msg, res, request_id, request_keep_alive, conn);
    msg.body() = std::move(res.body);
    msg.prepare_payload();
    conn.stream.expires_after(options_.request_timeout);
    auto [ec, n] = co_await http::async_write(conn.stream, msg, kNoThrow);
    co_return !ec && keep;
  }

  // Sends a streamed body (Response::stream) in HTTP/1.1 chunks as its
  // producer writes it, and says whether the connection may stay open. The
  // producer wakes this coroutine through the stream's waker (a post to the
  // connection's strand that cancels the wait); between wake-ups it also
  // looks once a second for a client that has hung up, so that a request
  // whose client is gone stops even before it has anything to send.
  asio::awaitable<bool> WriteStream(Connection& conn, Response res, const std::string& request_id,
                                    bool request_keep_alive, unsigned version) {
    std::shared_ptr<BodyStream> body = std::move(res.stream);
    http::response<http::empty_body> msg{static_cast<http::status>(res.status), version};
    const bool keep = SetHeader(msg, res, request_id, request_keep_alive, conn);
    msg.chunked(true);
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
    auto executor = timer->get_executor();
    body->SetWaker([timer, executor] { asio::post(executor, [timer] { timer->cancel(); }); });
    auto give_up = [&] {
      body->SetWaker(nullptr);
      body->Cancel();
      return false;
    };
    std::string data;
    BodyStream::State first = BodyStream::State::kWait;
    if (res.defer_status) {
      // The status may still change until the body starts.
      for (;;) {
        first = body->Take(&data);
        if (first != BodyStream::State::kWait) break;
        if (PeerHungUp(conn)) co_return give_up();
        timer->expires_after(std::chrono::seconds(1));
        co_await timer->async_wait(kNoThrow);
      }
      if (const int status = body->status(); status > 0) {
        msg.result(static_cast<http::status>(status));
      }
    }
    http::response_serializer<http::empty_body> sr{msg};
    conn.stream.expires_after(options_.request_timeout);
    auto [hec, hn] = co_await http::async_write_header(conn.stream, sr, kNoThrow);
    if (hec) co_return give_up();
    for (;;) {
      BodyStream::State state = first;
      first = BodyStream::State::kWait;
      if (state == BodyStream::State::kWait) state = body->Take(&data);
      if (state == BodyStream::State::kDone) break;
      if (state == BodyStream::State::kData) {
        conn.stream.expires_after(options_.request_timeout);
        auto [ec, n] =
            co_await asio::async_write(conn.stream, http::make_chunk(asio::buffer(data)), kNoThrow);
        if (ec) co_return give_up();
        data.clear();
        continue;
      }
      if (PeerHungUp(conn)) co_return give_up();
      timer->expires_after(std::chrono::seconds(1));
      co_await timer->async_wait(kNoThrow);
    }
    body->SetWaker(nullptr);
    if (body->cancelled()) co_return false;
    conn.stream.expires_after(options_.request_timeout);
    auto [lec, ln] = co_await asio::async_write(conn.stream, http::make_chunk_last(), kNoThrow);
    co_return !lec && keep;
  }

  // True when the client has closed its side or reset the connection.
  static bool PeerHungUp(Connection& conn) {
    pollfd p{conn.stream.socket().native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  // Answers a request the server refuses and closes the connection. The peer
  // may still be sending (a body over the limit): closing with unread input
  // would reset the connection and could destroy the response before the
  // peer reads it, so stop sending, then drain input for a bounded while
  // ("lingering close").
  asio::awaitable<void> WriteError(Connection& conn, int status, std::string_view code,
                                   std::string_view message, unsigned version) {
    std::string id = NewRequestId();
    Response res = handler_->ErrorResponse(status, code, message, id);
    co_await Write(conn, std::move(res), id, false, version);
    beast::error_code ignored;
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn.stream.expires_after(std::chrono::seconds(2));
    std::vector<char> sink(64 * 1024);
    size_t drained = 0;
    while (drained < kMaxLingerBytes) {
      auto [ec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), kNoThrow);
      if (ec) break;
      drained += n;
    }
  }

  asio::awaitable<void> Serve(std::shared_ptr<Connection> conn) {
    beast::flat_buffer buffer;
    if (ConnectionCount() > options_.max_connections) {
      co_await WriteError(*conn, 503, "unavailable", "too many connections", 11);
      co_return;
    }
    for (;;) {
      if (shutting_down_ || conn->closing) co_return;
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // Beast checks Content-Length against the body limit while reading the
      // header; the real, per-route limit is set once the route is known.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      conn->idle = true;
      conn->stream.expires_after(options_.idle_timeout);
      auto [hec, hn] = co_await http::async_read_header(conn->stream, buffer, parser, kNoThrow);
      conn->idle = false;
      if (hec == http::error::header_limit) {
        co_await WriteError(*conn, 431, "header_too_large", "request header too large", 11);
        co_return;
      }
      if (hec) {
        if (IsParseError(hec)) {
          co_await WriteError(*conn, 400, "invalid_request", "malformed HTTP request", 11);
        }
        co_return;  // closed, timed out or cancelled
      }
      auto& header = parser.get();
      unsigned version = header.version();
      std::string request_id = std::string(header["X-Request-Id"]);
      if (!AcceptableRequestId(request_id)) request_id = NewRequestId();

      Request req;
      req.method = std::string(header.method_string());
      req.target = std::string(header.target());
      bool target_ok = ParseTarget(req.target, &req.path, &req.query);
      // Only a request that carries a body needs its route's limit (which costs
      // a route match); anything else may not send one.
      bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
      size_t limit = target_ok && has_body ? handler_->BodyLimit(req.method, req.path) : 0;
      if (parser.content_length() && *parser.content_length() > limit) {
        co_await WriteError(
            *conn, 413, "too_large",
            "request body over the limit of " + std::to_string(limit) + " bytes for this route",
            version);
        co_return;
      }
      parser.body_limit(limit);
      if (beast::iequals(header[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, version};
        auto [cec, cn] = co_await http::async_write(conn->stream, cont, kNoThrow);
        if (cec) co_return;
      }
      conn->stream.expires_after(options_.request_timeout);
      auto [bec, bn] = co_await http::async_read(conn->stream, buffer, parser, kNoThrow);
      if (bec == http::error::body_limit) {
        co_await WriteError(
            *conn, 413, "too_large",
            "request body over the limit of " + std::to_string(limit) + " bytes for this route",
            version);
        co_return;
      }
      if (bec) {
        if (IsParseError(bec)) {
          co_await WriteError(*conn, 400, "invalid_request", "malformed HTTP request", version);
        }
        co_return;
      }
      auto message = parser.release();
      bool keep_alive = message.keep_alive();
      if (!target_ok) {
        Response res =
            handler_->ErrorResponse(400, "invalid_request", "malformed request target", request_id);
        co_await Write(*conn, std::move(res), request_id, false, version);
        co_return;
      }
      req.request_id = request_id;
      req.body = std::move(message.body());
      req.remote_address = RemoteAddress(*conn);
      req.headers.reserve(8);
      for (const auto& field : message) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(field.value()));
      }
      Response res = Dispatch(req);
      bool keep = co_await Write(*conn, std::move(res), request_id, keep_alive, version);
      if (!keep) {
        beast::error_code ignored;
        conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  // Handlers do not throw by contract; a dependency's stray exception still
  // must not take the connection (or the server) down.
  Response Dispatch(Request& req) {
    try {
      return handler_->Handle(req);
    } catch (const std::exception& e) {
      KILN_LOG(ERROR) << req.request_id << " handler threw: " << e.what();
    } catch (...) {
      KILN_LOG(ERROR) << req.request_id << " handler threw";
    }
    return handler_->ErrorResponse(500, "internal", "internal error", req.request_id);
  }

  static bool IsParseError(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
  }

  static std::string RemoteAddress(Connection& conn) {
    beast::error_code ec;
    auto endpoint = conn.stream.socket().remote_endpoint(ec);
    return ec ? std::string() : endpoint.address().to_string();
  }

  size_t ConnectionCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_.size();
  }

  void CloseIdleConnections() {
    std::vector<std::shared_ptr<Connection>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all.assign(connections_.begin(), connections_.end());
    }
    for (auto& conn : all) {
      asio::post(conn->stream.get_executor(), [conn] {
        conn->closing = true;
        if (conn->idle) conn->stream.cancel();
      });
    }
  }

  // Once shutting down and no connection is left, let io_context::run return.
  void MaybeFinish() {
    if (ConnectionCount() != 0) return;
    if (grace_timer_) grace_timer_->cancel();
    io_.stop();
  }

  ServerOptions options_;
  HttpHandler* handler_;  // borrowed
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::optional<asio::steady_timer> grace_timer_;  // io-thread only
  std::vector<std::thread> threads_;
  std::atomic<bool> shutting_down_{false};
  uint16_t port_ = 0;
  std::mutex mu_;
  std::set<std::shared_ptr<Connection>> connections_;  // GUARDED_BY(mu_)
};

HttpServer::HttpServer(ServerOptions options, HttpHandler* handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() {
  impl_->BeginShutdown();
  impl_->Wait();
}

Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::ShutdownOnSignals() { impl_->ShutdownOnSignals(); }
void HttpServer::BeginShutdown() { impl_->BeginShutdown(); }
void HttpServer::Wait() { impl_->Wait(); }

}  // namespace kiln::web
