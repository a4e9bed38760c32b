// A tiny HTTP/1.1 server on 127.0.0.1 for HttpFetch's tests: one thread
// accepts, one thread per connection reads the request and hands it to the
// handler routed for its path, which writes whatever response the test wants
// (fixed, chunked, endless, or nothing). Plain blocking sockets; test-only.
// Routes are set before requests arrive; the accessors are thread-safe.
// With SetKeepAlive, a connection serves request after request until the
// client closes it (or a handler does, with shutdown()).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kiln::plugins::nettest {

class TestHttpServer {
 public:
  struct Request {
    std::string method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

    std::string Header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (n == name) return v;
      }
      return {};
    }
  };
  // Writes the response to `fd` and returns; `stopping` turns true when the
  // server shuts down, for handlers that hold a connection open.
  using Handler =
      std::function<void(int fd, const Request& request, const std::atomic<bool>& stopping)>;

  TestHttpServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestHttpServer() {
    stopping_ = true;
    acceptor_.join();
    close(listen_fd_);
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // wakes handlers blocked in recv
      workers.swap(workers_);
    }
    for (std::thread& t : workers) t.join();
  }

  void Route(std::string path, Handler handler) {
    std::lock_guard lock(mu_);
    routes_[std::move(path)] = std::move(handler);
  }
  // A route that answers every request with `response` and closes.
  void RouteFixed(std::string path, std::string response) {
    Route(std::move(path),
          [response](int fd, const Request&, const std::atomic<bool>&) { Send(fd, response); });
  }

  // Replaces request parsing: `raw` gets each connection as soon as it is
  // accepted (for clients that speak something other than HTTP).
  void SetRaw(std::function<void(int fd)> raw) {
    std::lock_guard lock(mu_);
    raw_ = std::move(raw);
  }

  // Serve many requests a connection (HTTP/1.1 keep-alive); off by default.
  void SetKeepAlive(bool on) { keep_alive_ = on; }

  int port() const { return port_; }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int connections() const { return connections_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // Writes all of `data`; false once the peer is gone (no SIGPIPE).
  static bool Send(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Blocks until the client closes the connection or the server stops.
  static void WaitForClose(int fd, const std::atomic<bool>& stopping) {
    char buf[256];
    while (!stopping) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0) return;
    }
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lock(mu_);
      open_fds_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads one request (headers and a Content-Length body).
  static bool ReadRequest(int fd, Request* request) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    std::string_view head(data.data(), header_end);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    request->method = std::string(line.substr(0, sp1));
    request->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    size_t content_length = 0;
    while (eol != std::string_view::npos) {
      head.remove_prefix(eol + 2);
      eol = head.find("\r\n");
      std::string_view header = head.substr(0, eol);
      size_t colon = header.find(':');
      std::string name(header.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name == "content-length") content_length = std::stoul(std::string(value));
      request->headers.emplace_back(std::move(name), std::string(value));
    }
    request->body = data.substr(header_end + 4);
    while (request->body.size() < content_length) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      request->body.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  void Serve(int fd) {
    std::function<void(int)> raw;
    {
      std::lock_guard lock(mu_);
      raw = raw_;
    }
    Request request;
    if (raw) {
      raw(fd);
    } else {
      while (!stopping_ && ReadRequest(fd, &request)) {
        Handler handler;
        {
          std::lock_guard lock(mu_);
          requests_.push_back(request);
          auto it = routes_.find(request.target.substr(0, request.target.find('?')));
          if (it != routes_.end()) handler = it->second;
        }
        if (handler) {
          handler(fd, request, stopping_);
        } else {
          Send(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
        if (!keep_alive_) break;
        request = Request();
      }
    }
    std::lock_guard lock(mu_);
    std::erase(open_fds_, fd);
    close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<bool> keep_alive_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::map<std::string, Handler> routes_;  // guarded by mu_
  std::vector<Request> requests_;          // guarded by mu_
  std::function<void(int)> raw_;           // guarded by mu_
  std::vector<int> open_fds_;              // guarded by mu_
  std::vector<std::thread> workers_;       // guarded by mu_
};

}  // namespace kiln::plugins::nettest
