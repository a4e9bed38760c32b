// URL helpers of the outbound HTTP client: formatting a parsed Url back into
// text and resolving a redirect's Location against the URL it came from.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "plugins/net/http_fetch.h"

namespace kiln::plugins::internal {

// "https://[::1]:8443/a?b" (the port only when it is not the scheme's default).
std::string FormatUrl(const Url& url);

// The Host header value: the host, bracketed when IPv6, with a non-default port.
std::string HostHeader(const Url& url);

// True when `host` is an IPv4 or IPv6 literal (no SNI and an IP check in TLS).
bool IsIpLiteral(const std::string& host);

// Resolves a Location value (absolute, scheme-relative, absolute-path, or
// relative with dot segments) against `base` per RFC 3986 section 5.2; the
// result still has to pass ParseUrl, which rejects schemes other than http(s).
std::string ResolveReference(const Url& base, std::string_view reference);

}  // namespace kiln::plugins::internal
