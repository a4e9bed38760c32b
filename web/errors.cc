#include "web/errors.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace kiln::web {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kUnprocessable:
      return 422;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kCancelled:
      return 499;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kCorruption:
      return 500;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorType(int http_status) {
  switch (http_status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    default:
      return http_status >= 500 ? "server_error" : "invalid_request_error";
  }
}

Response ErrorResponse(int http_status, std::string_view code, std::string_view message,
                       std::string_view param, std::string_view request_id) {
  nlohmann::json error = {{"code", code}, {"message", message}, {"type", ErrorType(http_status)}};
  if (!param.empty()) error["param"] = param;
  if (!request_id.empty()) error["request_id"] = request_id;
  Response res;
  res.status = http_status;
  // Replace invalid UTF-8 rather than throw: messages may quote caller input.
  res.body = nlohmann::json{{"error", std::move(error)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (http_status == 429 || http_status == 503) res.SetHeader("Retry-After", "1");
  if (http_status == 401) res.SetHeader("WWW-Authenticate", "Bearer");
  return res;
}

Response ErrorFromStatus(const Status& status, std::string_view request_id) {
  int http = HttpStatusFor(status.code());
  if (http >= 500) {
    KILN_LOG(ERROR) << request_id << " " << status.ToString();
    return ErrorResponse(http, StatusCodeName(status.code()),
                         http == 503 ? status.message() : "internal error; see the server log", "",
                         request_id);
  }
  return ErrorResponse(http, StatusCodeName(status.code()), status.message(), status.param(),
                       request_id);
}

}  // namespace kiln::web
