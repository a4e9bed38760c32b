// HttpFetch: the request, the guard on every hop, and redirects.
#include "plugins/net/http_fetch.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "plugins/net/internal/address.h"
#include "plugins/net/internal/connection.h"
#include "plugins/net/internal/fetch.h"
#include "plugins/net/internal/resolver.h"
#include "plugins/net/internal/response_reader.h"
#include "plugins/net/internal/url.h"

namespace kiln::plugins {
namespace internal {
namespace {

constexpr std::string_view kUserAgent = "Kiln/0.1";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// Refuses what would let a caller (or a model writing tool arguments) smuggle
// extra headers or a second request into the connection.
Status ValidateOptions(const FetchOptions& options) {
  if (!IsHttpToken(options.method)) return InvalidArgument("the HTTP method is malformed");
  if (options.timeout_ms <= 0) return InvalidArgument("the fetch timeout must be positive");
  for (const auto& [name, value] : options.headers) {
    if (!IsHttpToken(name)) return InvalidArgument("the header name \"" + name + "\" is malformed");
    for (std::string_view own : {"host", "content-length", "transfer-encoding", "connection"}) {
      if (EqualsIgnoreCase(name, own)) {
        return InvalidArgument("the " + name + " header is set by the HTTP client itself");
      }
    }
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return InvalidArgument("the value of the " + name + " header holds control characters");
      }
    }
  }
  return Status::OK();
}

// One hop's request: method, headers and body as they are sent.
struct Request {
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::string SerializeRequest(const Url& url, const Request& request, bool keep_alive) {
  std::string out = request.method + " " + url.path_and_query + " HTTP/1.1\r\n";
  out += "Host: " + HostHeader(url) + "\r\n";
  bool has_agent = false;
  for (const auto& [name, value] : request.headers) {
    has_agent = has_agent || EqualsIgnoreCase(name, "user-agent");
    out += name + ": " + value + "\r\n";
  }
  if (!has_agent) out += "User-Agent: " + std::string(kUserAgent) + "\r\n";
  const std::string& m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += request.body;
  return out;
}

// The guard: every address the name resolved to must be allowed. A name that
// mixes public and private answers is refused outright rather than trimmed
// to its public part, since that mix is what DNS rebinding looks like.
bool Allowlisted(const Url& url, const std::string& address, const FetchOptions& options) {
  const std::string port = ":" + std::to_string(url.port);
  const bool v6 = address.find(':') != std::string::npos;
  for (const std::string& entry : options.allow) {
    if (entry == url.host + port || entry == "[" + url.host + "]" + port) return true;
    if (entry == (v6 ? "[" + address + "]" : address) + port) return true;
  }
  return false;
}

Status CheckAddresses(const Url& url, const std::vector<ResolvedAddress>& addresses,
                      const FetchOptions& options, const AddressFilter& filter) {
  for (const ResolvedAddress& address : addresses) {
    if (!AddressAllowed(address.get(), options.allow_private) &&
        !Allowlisted(url, AddressToString(address.get()), options)) {
      return PermissionDenied(
          "the address " + AddressToString(address.get()) + " of " + url.host + " is " +
          std::string(AddressKindName(ClassifyAddress(address.get()))) +
          ": outbound requests to private networks are not allowed (an operator can "
          "allow host:port with KILN_OUTBOUND_ALLOW)");
    }
    if (filter && !filter(address.get())) {
      return PermissionDenied("the address " + AddressToString(address.get()) + " of " + url.host +
                              " is not allowed for this request");
    }
  }
  return Status::OK();
}

// Resolves, checks, and connects to the first checked address that answers.
Result<std::unique_ptr<Connection>> Open(const Url& url, const FetchOptions& options,
                                         const AddressFilter& filter, Deadline deadline) {
  KILN_ASSIGN_OR_RETURN(std::vector<ResolvedAddress> addresses,
                        ResolveHost(url.host, url.port, deadline));
  KILN_RETURN_IF_ERROR(CheckAddresses(url, addresses, options, filter));
  Status last;
  for (const ResolvedAddress& address : addresses) {
    auto conn = Connection::Connect(address.get(), address.length, deadline);
    if (conn.ok()) return std::move(conn).value();
    if (conn.status().code() == StatusCode::kDeadlineExceeded) return conn.status();
    last = Unavailable("could not connect to " + url.host + " (" + AddressToString(address.get()) +
                       " port " + std::to_string(url.port) + "): " + conn.status().message());
  }
  return last;
}

// The pool key: the origin, and the guard settings it was checked under.
std::string PoolKey(const Url& url, const FetchOptions& options) {
  std::string key = url.scheme + "://" + url.host + ":" + std::to_string(url.port) +
                    (options.allow_private ? " private" : "");
  for (const std::string& entry : options.allow) key += " " + entry;
  return key;
}

Result<std::unique_ptr<Connection>> OpenWithTls(const Url& url, const FetchOptions& options,
                                                const AddressFilter& filter, Deadline deadline) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Open(url, options, filter, deadline));
  if (options.pool != nullptr) options.pool->CountOpened();
  if (url.scheme == "https") {
    Status tls = conn->StartTls(url.host);
    if (!tls.ok() && tls.code() != StatusCode::kDeadlineExceeded) {
      return tls.Annotate(url.host);  // "example.com: TLS failed during the handshake: ..."
    }
    KILN_RETURN_IF_ERROR(tls);
  }
  return conn;
}

// Counts the bytes read through it: a reused connection that closed before
// any byte of a response is retried, one that answered in part is not (the
// server may have acted on the request).
class CountingSource : public internal::ByteSource {
 public:
  explicit CountingSource(internal::ByteSource* inner) : inner_(inner) {}
  Result<size_t> Read(char* buf, size_t n) override {
    Result<size_t> got = inner_->Read(buf, n);
    if (got.ok()) count_ += *got;
    return got;
  }
  size_t count() const { return count_; }

 private:
  internal::ByteSource* inner_;
  size_t count_ = 0;
};

Result<FetchResponse> FetchOnce(const Url& url, const Request& request, const FetchOptions& options,
                                const AddressFilter& filter, Deadline deadline) {
  // A per-request address filter is not part of the key: such requests open their own.
  const bool pooled = options.pool != nullptr && !filter;
  const std::string key = pooled ? PoolKey(url, options) : "";
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = pooled && attempt == 0 ? options.pool->Take(key) : nullptr;
    const bool reused = conn != nullptr;
    if (reused) {
      conn->set_deadline(deadline);
    } else {
      KILN_ASSIGN_OR_RETURN(conn, OpenWithTls(url, options, filter, deadline));
    }
    Status written = conn->WriteAll(SerializeRequest(url, request, pooled));
    bool reusable = false;
    CountingSource counted(conn.get());
    Result<FetchResponse> response = written.ok()
                                         ? ReadResponse(&counted, request.method == "HEAD",
                                                        options.max_response_bytes, &reusable)
                                         : Result<FetchResponse>(written);
    // A kept-alive connection the server closed meanwhile fails before any
    // answer: the request goes again, once, on a new one.
    if (!response.ok() && reused && counted.count() == 0 &&
        response.status().code() != StatusCode::kDeadlineExceeded) {
      continue;
    }
    if (response.ok() && pooled && reusable) options.pool->Put(key, std::move(conn));
    return response;
  }
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool SameOrigin(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

// Adapts the request for the next hop as browsers and curl do.
void PrepareRedirect(int status, const Url& from, const Url& to, Request* request) {
  if ((status == 303 && request->method != "HEAD") ||
      ((status == 301 || status == 302) && request->method == "POST")) {
    request->method = "GET";
    request->body.clear();
    std::erase_if(request->headers,
                  [](const auto& h) { return EqualsIgnoreCase(h.first, "content-type"); });
  }
  if (!SameOrigin(from, to)) {  // credentials meant for one site must not reach another
    std::erase_if(request->headers, [](const auto& h) {
      return EqualsIgnoreCase(h.first, "authorization") || EqualsIgnoreCase(h.first, "cookie") ||
             EqualsIgnoreCase(h.first, "proxy-authorization");
    });
  }
}

Result<FetchResponse> FetchWithRedirects(Url url, const FetchOptions& options,
                                         const AddressFilter& filter, Deadline deadline) {
  Request request{options.method, options.headers, options.body};
  for (int redirects = 0;; ++redirects) {
    KILN_ASSIGN_OR_RETURN(FetchResponse response,
                          FetchOnce(url, request, options, filter, deadline));
    response.final_url = FormatUrl(url);
    std::string location = response.Header("location");
    if (!IsRedirect(response.status) || location.empty() || options.max_redirects <= 0) {
      return response;
    }
    if (redirects == options.max_redirects) {
      return Unavailable("too many redirects: gave up after " + std::to_string(redirects) +
                         ", at " + response.final_url);
    }
    std::string next_text = ResolveReference(url, location);
    Result<Url> next = ParseUrl(next_text);
    if (!next.ok()) {
      return next.status().Annotate("the redirect from " + response.final_url + " to \"" +
                                    next_text.substr(0, 200) + "\" cannot be followed");
    }
    PrepareRedirect(response.status, url, *next, &request);
    url = std::move(next).value();  // checked by the guard at the top of the loop
  }
}

}  // namespace

Result<FetchResponse> HttpFetchFiltered(std::string_view url_text, const FetchOptions& options,
                                        const AddressFilter& filter) {
  KILN_ASSIGN_OR_RETURN(Url url, ParseUrl(url_text));
  KILN_RETURN_IF_ERROR(ValidateOptions(options));
  // Capped at a day so that a huge timeout cannot overflow the clock.
  Deadline deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(std::min<int64_t>(options.timeout_ms, 86400000));
  Result<FetchResponse> result = FetchWithRedirects(url, options, filter, deadline);
  if (!result.ok() && result.status().code() == StatusCode::kDeadlineExceeded) {
    return DeadlineExceeded("the request to " + FormatUrl(url) + " did not finish within " +
                            std::to_string(options.timeout_ms) + " ms (" +
                            result.status().message() + ")");
  }
  return result;
}

}  // namespace internal

Result<FetchResponse> HttpFetch(std::string_view url, const FetchOptions& options) {
  return internal::HttpFetchFiltered(url, options, nullptr);
}

Result<std::vector<std::string>> ParseOutboundAllow(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string entry;
    for (char c : list.substr(start, comma - start)) {
      if (c == ' ' || c == '\t') continue;
      entry += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    start = comma + 1;
    if (entry.empty()) continue;
    const size_t colon = entry.rfind(':');
    const std::string host = colon == std::string::npos ? "" : entry.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : entry.substr(colon + 1);
    int value = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) digits = digits && c >= '0' && c <= '9';
    if (digits) value = std::stoi(port);
    if (host.empty() || !digits || value < 1 || value > 65535 ||
        (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']'))) {
      return InvalidArgument("outbound allowlist entry '" + entry +
                             "' is not host:port (IPv6 as [addr]:port)");
    }
    out.push_back(std::move(entry));
  }
  return out;
}

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

struct ConnectionPool::Impl {
  size_t max_idle;
  int64_t max_idle_ms;
  std::mutex mu;
  std::map<std::string, std::deque<std::pair<std::unique_ptr<internal::Connection>,
                                             std::chrono::steady_clock::time_point>>>
      idle;
  std::atomic<int64_t> opened{0};
};

ConnectionPool::ConnectionPool(size_t max_idle_per_origin, int64_t max_idle_ms)
    : impl_(std::make_unique<Impl>()) {
  impl_->max_idle = max_idle_per_origin;
  impl_->max_idle_ms = max_idle_ms;
}

ConnectionPool::~ConnectionPool() = default;

int64_t ConnectionPool::opened() const { return impl_->opened.load(); }

void ConnectionPool::CountOpened() { impl_->opened++; }

std::unique_ptr<internal::Connection> ConnectionPool::Take(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->idle.find(key);
  if (it == impl_->idle.end()) return nullptr;
  const auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    auto [conn, since] = std::move(it->second.back());
    it->second.pop_back();
    if (now - since < std::chrono::milliseconds(impl_->max_idle_ms) && conn->StillIdle()) {
      return std::move(conn);
    }
  }
  return nullptr;
}

void ConnectionPool::Put(const std::string& key, std::unique_ptr<internal::Connection> connection) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& list = impl_->idle[key];
  list.emplace_back(std::move(connection), std::chrono::steady_clock::now());
  while (list.size() > impl_->max_idle) list.pop_front();  // the oldest go
}

}  // namespace kiln::plugins
