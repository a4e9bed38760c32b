// The one table from Status codes to HTTP statuses, and the JSON error
// envelope every failure is answered with:
//   {"error": {"code": "not_found", "message": "...", "param": "...", "request_id": "..."}}
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "web/http.h"

namespace kiln::web {

int HttpStatusFor(StatusCode code);

// An error response. `param` is omitted when empty; 429 and 503 carry Retry-After.
Response ErrorResponse(int http_status, std::string_view code, std::string_view message,
                       std::string_view param, std::string_view request_id);

// The error response for a non-OK Status. A 500 hides the internal message
// from the caller (it is logged with the request id instead).
Response ErrorFromStatus(const Status& status, std::string_view request_id);

}  // namespace kiln::web
