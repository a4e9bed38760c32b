// ParseUrl and the URL helpers of internal/url.h.
#include "plugins/net/internal/url.h"

#include <arpa/inet.h>

#include <cstdint>
#include <vector>

#include "plugins/net/http_fetch.h"

namespace kiln::plugins {
namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxHostLength = 253;  // a DNS name in text form

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// Parses the digits after ':' in an authority; 0 when not a valid port.
int ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return 0;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    port = port * 10 + (c - '0');
  }
  return port <= 65535 ? port : 0;
}

// Checks the path and query and percent-encodes what may not travel raw in a
// request line. Control bytes are refused rather than encoded: in a URL they
// are a sign of header injection ("\r\nHost: evil"), not of a real resource.
Result<std::string> NormalizePath(std::string_view tail) {
  std::string out;
  if (tail.empty() || tail.front() != '/') out.push_back('/');
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : tail) {
    auto byte = static_cast<uint8_t>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return InvalidArgument("the URL holds control characters");
    }
    if (byte == ' ' || byte >= 0x80) {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Status ParseAuthority(std::string_view authority, Url* url) {
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URLs with user:password@ are not allowed");
  }
  std::string_view host, port_text;
  bool has_port = false;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("the URL's IPv6 host lacks ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return InvalidArgument("unexpected characters after the URL's IPv6 host");
    }
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
    in6_addr parsed;
    if (host.find('%') != std::string_view::npos ||
        inet_pton(AF_INET6, std::string(host).c_str(), &parsed) != 1) {
      return InvalidArgument("the URL's IPv6 host \"" + std::string(host) + "\" is malformed");
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgument("the URL has no host");
  if (host.size() > kMaxHostLength) return InvalidArgument("the URL's host name is too long");
  url->host.clear();
  for (char c : host) url->host.push_back(AsciiLower(c));
  if (!bracketed) {
    for (char c : url->host) {
      if (static_cast<uint8_t>(c) >= 0x80) {
        return InvalidArgument("the URL's host must be ASCII; write international names as xn--");
      }
      if (!IsHostChar(c)) {
        return InvalidArgument("the URL's host \"" + url->host + "\" has characters a host cannot");
      }
    }
  }
  url->port = has_port ? ParsePort(port_text) : DefaultPort(url->scheme);
  if (url->port == 0) return InvalidArgument("the URL's port must be a number from 1 to 65535");
  return Status::OK();
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  if (text.empty()) return InvalidArgument("the URL is empty");
  if (text.size() > kMaxUrlLength) return InvalidArgument("the URL is longer than 2048 characters");
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgument("the URL must start with http:// or https://");
  }
  Url url;
  for (char c : text.substr(0, sep)) url.scheme.push_back(AsciiLower(c));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidArgument("only http and https URLs are allowed, not \"" +
                           url.scheme.substr(0, 20) + ":\"");
  }
  std::string_view rest = text.substr(sep + 3);
  size_t authority_end = rest.find_first_of("/?#");
  KILN_RETURN_IF_ERROR(ParseAuthority(rest.substr(0, authority_end), &url));
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  tail = tail.substr(0, tail.find('#'));  // the fragment never leaves the client
  KILN_ASSIGN_OR_RETURN(url.path_and_query, NormalizePath(tail));
  return url;
}

std::string FetchResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

namespace internal {
namespace {

std::string Origin(const Url& url) { return url.scheme + "://" + HostHeader(url); }

// RFC 3986 section 5.2.4 for a path that starts with '/'.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> kept;
  std::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (segment != ".") {
      kept.push_back(segment);
    }
    if (last) {
      if (segment == "." || segment == "..") kept.push_back("");  // keep the trailing '/'
      break;
    }
    rest = rest.substr(slash + 1);
  }
  std::string out;
  for (std::string_view segment : kept) {
    out += '/';
    out += segment;
  }
  return out.empty() ? "/" : out;
}

// Splits "path?query" into a dot-free path and "?query" (or "").
std::string ResolvedPath(std::string_view path_and_query) {
  size_t q = path_and_query.find('?');
  std::string_view query = q == std::string_view::npos ? "" : path_and_query.substr(q);
  return RemoveDotSegments(path_and_query.substr(0, q)) + std::string(query);
}

}  // namespace

std::string FormatUrl(const Url& url) { return Origin(url) + url.path_and_query; }

std::string HostHeader(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != DefaultPort(url.scheme)) host += ":" + std::to_string(url.port);
  return host;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string ResolveReference(const Url& base, std::string_view reference) {
  while (!reference.empty() && (reference.front() == ' ' || reference.front() == '\t')) {
    reference.remove_prefix(1);
  }
  while (!reference.empty() && (reference.back() == ' ' || reference.back() == '\t')) {
    reference.remove_suffix(1);
  }
  reference = reference.substr(0, reference.find('#'));
  // A scheme is letters, digits, '+', '-', '.' before the first ':', and
  // comes before any '/', '?' ("a/b:c" is a relative path).
  size_t colon = reference.find(':');
  if (colon != std::string_view::npos && colon > 0 && reference.find_first_of("/?") > colon) {
    return std::string(reference);
  }
  if (reference.substr(0, 2) == "//") return base.scheme + ":" + std::string(reference);
  if (reference.empty()) return FormatUrl(base);
  if (reference.front() == '/') return Origin(base) + ResolvedPath(reference);
  std::string_view base_path = base.path_and_query;
  base_path = base_path.substr(0, base_path.find('?'));
  if (reference.front() == '?')
    return Origin(base) + std::string(base_path) + std::string(reference);
  std::string merged(base_path.substr(0, base_path.rfind('/') + 1));
  merged += reference;
  return Origin(base) + ResolvedPath(merged);
}

}  // namespace internal
}  // namespace kiln::plugins
