// Kiln plugin SDK: sockets, threads and HTTP/1.1 framing of sdk::Server.
// Routing, validation and handlers are in kiln_plugin_routes.cc.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "kiln_plugin.h"

namespace kiln::plugins::sdk {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

std::string Serialize(const Response& r) {
  std::string body;
  const bool is_json = r.content_type.find("json") != std::string::npos;
  if (!is_json && r.body.is_string()) {
    body = r.body.get<std::string>();
  } else {
    body = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : r.headers) {
    // A handler's header must not be able to end the header block early.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  out += "Connection: close\r\n\r\n" + body;
  return out;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Splits "/a%20b?x=1&y" into the decoded path and query pairs.
void ParseTarget(const std::string& target, Request* request) {
  const size_t q = target.find('?');
  request->path = PercentDecode(std::string_view(target).substr(0, q), false);
  if (q == std::string::npos) return;
  std::string_view query = std::string_view(target).substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    request->query.emplace_back(
        PercentDecode(pair.substr(0, eq), true),
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true));
  }
}

// The request line and headers of `head` (without the blank line).
// Returns 0, or the status of the error response to send.
int ParseHead(std::string_view head, Request* request, size_t* content_length, std::string* error) {
  const size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    *error = "the request line is malformed";
    return 400;
  }
  request->method = std::string(line.substr(0, sp1));
  request->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(request->method) || request->target.empty() || request->target[0] != '/' ||
      request->target.find(' ') != std::string::npos) {
    *error = "the request line is malformed";
    return 400;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    *error = "only HTTP/1.0 and HTTP/1.1 are spoken here";
    return 505;
  }
  bool have_length = false;
  std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  while (!rest.empty()) {
    const size_t end = rest.find("\r\n");
    std::string_view header = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos || !IsToken(header.substr(0, colon))) {
      *error = "a header line is malformed";
      return 400;
    }
    std::string name(header.substr(0, colon));
    for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (name == "transfer-encoding") {
      *error = "chunked request bodies are not supported: send Content-Length";
      return 400;
    }
    if (name == "content-length") {
      size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty() ||
          (have_length && n != *content_length)) {
        *error = "the Content-Length header is malformed";
        return 400;
      }
      have_length = true;
      *content_length = n;
    }
    request->headers.emplace_back(std::move(name), std::string(value));
  }
  return 0;
}

// After the response: stop sending, and read what the client still sends
// for a moment, so that closing with unread bytes (a refused large body)
// does not reset the connection before the client has read the answer.
void Linger(int fd) {
  shutdown(fd, SHUT_WR);
  char buf[4096];
  size_t drained = 0;
  while (drained < (4u << 20)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

std::string Server::Listen() {
  if (listen_fd_ >= 0) return "already listening";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options_.port);
  if (int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return "cannot resolve " + options_.host + ": " + gai_strerror(rc);
  }
  std::string error = "no address to listen on";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      listen_fd_ = fd;
      break;
    }
    error = "cannot listen on " + options_.host + ":" + port + ": " + std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  return listen_fd_ >= 0 ? "" : error;
}

std::string Server::url() const {
  std::string host = options_.host;
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port_);
}

void Server::Start() {
  if (started_ || listen_fd_ < 0) return;
  started_ = true;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

void Server::Run() {
  Start();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopped_ || !started_; });
}

void Server::Stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  for (int fd : pending_) close(fd);  // accepted but never served
  pending_.clear();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

void Server::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::unique_lock lock(mu_);
    if (pending_.size() >= options_.max_pending) {
      lock.unlock();
      SendAll(fd, Serialize(Response::Error(503, "unavailable", "the plugin is busy")));
      close(fd);
      continue;
    }
    pending_.push_back(fd);
    lock.unlock();
    cv_.notify_all();
  }
}

void Server::WorkerLoop() {
  for (;;) {
    int fd = -1;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !pending_.empty(); });
      if (stopped_) return;
      fd = pending_.front();
      pending_.pop_front();
    }
    Serve(fd);
    close(fd);
  }
}

void Server::Serve(int fd) const {
  timeval tv{options_.io_timeout_ms / 1000, (options_.io_timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  auto reply = [&](const Response& response, const Request& request) {
    SendAll(fd, Serialize(response));
    if (options_.log_requests) {
      std::fprintf(stderr, "%s %s -> %d\n", request.method.c_str(),
                   request.target.substr(0, 200).c_str(), response.status);
    }
    Linger(fd);
  };
  std::string data;
  char buf[8192];
  size_t header_end;
  Request request;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > options_.max_header_bytes) {
      return reply(Response::Error(431, "too_large", "the request headers are too large"), request);
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed, or silent past the timeout
    data.append(buf, static_cast<size_t>(n));
  }
  if (header_end > options_.max_header_bytes) {
    return reply(Response::Error(431, "too_large", "the request headers are too large"), request);
  }
  size_t content_length = 0;
  std::string error;
  if (int status = ParseHead(std::string_view(data).substr(0, header_end), &request,
                             &content_length, &error)) {
    return reply(Response::Error(status, "invalid_request", error), request);
  }
  if (content_length > options_.max_body_bytes) {
    return reply(Response::Error(413, "too_large",
                                 "the request body is larger than " +
                                     std::to_string(options_.max_body_bytes) + " bytes"),
                 request);
  }
  if (request.Header("expect") == "100-continue") SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  request.body = data.substr(header_end + 4, content_length);
  while (request.body.size() < content_length) {
    ssize_t n = recv(fd, buf, std::min(sizeof(buf), content_length - request.body.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    request.body.append(buf, static_cast<size_t>(n));
  }
  ParseTarget(request.target, &request);
  Request logged;
  logged.method = request.method;
  logged.target = request.target;
  reply(Handle(std::move(request)), logged);
}

}  // namespace kiln::plugins::sdk
