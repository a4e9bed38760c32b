// Outbound HTTP(S) for the plugins' HTTP tools and for knowledge fetched by
// URL: a blocking HTTP/1.1 client behind the outbound-request guard.
//
// The guard exists because the URLs come from users and from model output, so
// a request must not become a way into the server's own network (SSRF): every
// address a host name resolves to is checked, the connection goes to the
// checked address itself (never a second lookup, which DNS rebinding could
// answer differently), and every redirect target is checked again. Time and
// response size are bounded.
//
// All functions are thread-safe: each call owns its socket and TLS state; the
// only shared objects are OpenSSL's client context and socket method, built
// once and read-only afterwards.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace kiln::plugins {

namespace internal {
class Connection;
}

// Idle HTTP/1.1 connections kept for reuse (keep-alive), per origin and
// outbound-guard setting: a connection is reused only for the scheme, host
// and port it was opened (and checked) for, under the same guard options.
// Callers that talk to the same API over and over (chat-app channels) keep
// one and name it in FetchOptions::pool. Thread-safe.
class ConnectionPool {
 public:
  explicit ConnectionPool(size_t max_idle_per_origin = 4, int64_t max_idle_ms = 30000);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Connections opened since the pool was made (for tests and metrics).
  int64_t opened() const;
  // A still-idle connection for `key`, or null. Used by HttpFetch.
  std::unique_ptr<internal::Connection> Take(const std::string& key);
  void Put(const std::string& key, std::unique_ptr<internal::Connection> connection);
  void CountOpened();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct FetchOptions {
  std::string method = "GET";
  // Sent as given after validation (no CR/LF/NUL). Host, Content-Length,
  // Transfer-Encoding and Connection are the client's own and refused here; a
  // User-Agent replaces the default "Kiln/0.1". Authorization, Cookie and
  // Proxy-Authorization are dropped when a redirect leaves the origin.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeout_ms = 15000;             // the whole fetch: DNS, connect, TLS, redirects
  size_t max_response_bytes = 32u << 20;  // body; more -> kTooLarge, reading stops at once
  // Each redirect target is checked by the guard again. Past this many
  // redirects the fetch fails; 0 means redirects are not followed and the 3xx
  // response is returned as it is.
  int max_redirects = 5;
  // Tests and explicit operator opt-in only: allow loopback, private,
  // link-local and other non-public addresses (the cloud metadata addresses
  // stay refused unless `allow` names them).
  bool allow_private = false;
  // The operator's allowlist: "host:port" entries (a host name as written in
  // URLs, or an IP address; IPv6 in brackets) that may be contacted whatever
  // their addresses are. Checked per hop, so a redirect to an address that
  // is not listed is refused. From the config file or KILN_OUTBOUND_ALLOW,
  // read by app/ (ParseOutboundAllow).
  std::vector<std::string> allow;
  // Keep connections open and reuse them (borrowed; null: one connection per
  // request, closed after it).
  ConnectionPool* pool = nullptr;
};

// Whether `s` is an HTTP token (RFC 9110: a method or a header name).
bool IsHttpToken(std::string_view s);

// Parses "host:port,host:port,..." (spaces ignored) into FetchOptions::allow
// entries, lower-cased; InvalidArgument for an entry without a port 1-65535.
Result<std::vector<std::string>> ParseOutboundAllow(std::string_view list);

struct FetchResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  std::string final_url;  // after redirects

  // The first header with this lower-case name, or "".
  std::string Header(std::string_view lower_name) const;
};

// A checked http/https URL. `host` is lower-cased, without the brackets of an
// IPv6 literal; `port` is explicit or the scheme's default; `path_and_query`
// starts with '/', has its fragment removed and spaces and non-ASCII bytes
// percent-encoded.
struct Url {
  std::string scheme, host, path_and_query;
  int port = 0;
};

// Parses and checks an http/https URL: scheme http or https only, a host, no
// user:password@, port 1-65535, no control characters, at most 2048
// characters. kInvalidArgument with a message saying what is wrong otherwise.
Result<Url> ParseUrl(std::string_view url);

// Whether an address may be contacted. Refused unless `allow_private`:
// loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7,
// fec0::/10), link-local (169.254/16 with the cloud metadata address,
// fe80::/10), unspecified (0/8, ::), multicast, broadcast and the rest of
// 240/4, carrier-grade NAT (100.64/10), documentation and benchmarking
// ranges, IETF protocol assignments, and IPv6 outside 2000::/3. IPv6 forms
// that carry an IPv4 address (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4
// 2002::/16) are judged by that address. Non-IP families are always refused,
// and so are the cloud metadata addresses (169.254.169.254, fd00:ec2::254)
// even with allow_private: only an allowlist entry reaches them.
bool AddressAllowed(const struct sockaddr* addr, bool allow_private);

// Blocking HTTP/1.1 fetch (see the file comment for the guard). TLS verifies
// the certificate against the system store and the host name (SNI sent).
// Follows 301/302/303/307/308 (303, and 301/302 after a POST, become GET
// without a body; relative Locations are resolved). Errors:
// kInvalidArgument (bad URL, method or header), kPermissionDenied (an address
// the guard refuses, with the address and why), kDeadlineExceeded,
// kUnavailable (DNS failure, connection refused, TLS failure with OpenSSL's
// reason, malformed response, too many redirects), kTooLarge.
Result<FetchResponse> HttpFetch(std::string_view url, const FetchOptions& options = {});

}  // namespace kiln::plugins
