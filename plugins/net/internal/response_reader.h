// Reads one HTTP/1.1 response from a byte stream: status line, headers, and
// a body framed by Content-Length, chunked transfer coding or the end of the
// stream. Separate from the socket so that malformed and hostile framings are
// tested on plain strings. Stateless apart from its arguments; thread-safe.
#pragma once

#include <cstddef>

#include "base/result.h"
#include "plugins/net/http_fetch.h"
#include "plugins/net/internal/connection.h"

namespace kiln::plugins::internal {

inline constexpr size_t kMaxResponseHeaderBytes = 64 << 10;

// Reads the response to a request (a HEAD request when `head_request`, whose
// response has no body). Interim 1xx responses are skipped. Sets status,
// headers (names lower-cased) and body; final_url is left to the caller.
// kTooLarge as soon as the body is known to exceed `max_body_bytes` (a
// Content-Length above it is refused before any body byte is read);
// kUnavailable for a malformed or truncated response; the source's errors
// (kDeadlineExceeded, ...) pass through.
// `reusable` (when not null): whether the connection may carry another
// request, that is, the body was framed (not read to the end of the stream),
// nothing was read past it, and the server did not say Connection: close.
Result<FetchResponse> ReadResponse(ByteSource* source, bool head_request, size_t max_body_bytes,
                                   bool* reusable = nullptr);

}  // namespace kiln::plugins::internal
