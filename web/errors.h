// The one table from Status codes to HTTP statuses, and the JSON error
// envelope every failure is answered with:
//   {"error": {"code": "not_found", "message": "...", "type": "not_found_error",
//              "param": "...", "request_id": "..."}}
// which is also OpenAI's error shape (message, type, param, code), so that
// OpenAI's clients raise their usual exceptions with Kiln's messages.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "web/http.h"

namespace kiln::web {

int HttpStatusFor(StatusCode code);
// OpenAI's error type for an HTTP status: invalid_request_error,
// authentication_error, permission_error, not_found_error, rate_limit_error,
// server_error.
std::string_view ErrorType(int http_status);

// An error response. `param` is omitted when empty; 429 and 503 carry Retry-After.
Response ErrorResponse(int http_status, std::string_view code, std::string_view message,
                       std::string_view param, std::string_view request_id);

// The error response for a non-OK Status. A 500 hides the internal message
// from the caller (it is logged with the request id instead).
Response ErrorFromStatus(const Status& status, std::string_view request_id);

}  // namespace kiln::web
