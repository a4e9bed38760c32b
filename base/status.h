// Status: the outcome of fallible work at module boundaries.
//
// A Status is OK or carries a code, a message and, for validation errors, the
// name of the offending field (`param`, a dotted path such as "model_params.top_p").
// The OK path allocates nothing. Status is a value type; copy freely.
// Result<T> (result.h) is a Status or a value.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace kiln {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a caller (HTTP 400)
  kUnauthenticated,     // no or bad credentials (401)
  kPermissionDenied,    // authenticated but not allowed (403)
  kNotFound,            // (404)
  kAlreadyExists,       // conflicting state (409)
  kFailedPrecondition,  // state does not allow the operation (409)
  kTooLarge,            // payload over a limit (413)
  kUnprocessable,       // well-formed but unusable input (422)
  kResourceExhausted,   // busy, retry later (429)
  kCancelled,
  kDeadlineExceeded,
  kCorruption,   // stored or outside bytes are malformed
  kUnavailable,  // a dependency is down (503)
  kInternal,     // a bug or an unexpected failure (500)
};

// Stable lower-case name of a code, used in error envelopes ("not_found").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string param = {});

  static Status OK() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  const std::string& param() const;

  // "not_found: bot xyz" — for logs.
  std::string ToString() const;

  // Returns a copy with a prefix added to the message ("opening db: ...").
  Status Annotate(std::string_view prefix) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::string param;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK; shared so copies are cheap
};

inline Status InvalidArgument(std::string msg, std::string param = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(param));
}
inline Status Unauthenticated(std::string msg) {
  return Status(StatusCode::kUnauthenticated, std::move(msg));
}
inline Status PermissionDenied(std::string msg) {
  return Status(StatusCode::kPermissionDenied, std::move(msg));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status AlreadyExists(std::string msg, std::string param = {}) {
  return Status(StatusCode::kAlreadyExists, std::move(msg), std::move(param));
}
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status TooLarge(std::string msg) { return Status(StatusCode::kTooLarge, std::move(msg)); }
inline Status Unprocessable(std::string msg, std::string param = {}) {
  return Status(StatusCode::kUnprocessable, std::move(msg), std::move(param));
}
inline Status ResourceExhausted(std::string msg) {
  return Status(StatusCode::kResourceExhausted, std::move(msg));
}
inline Status Cancelled(std::string msg) { return Status(StatusCode::kCancelled, std::move(msg)); }
inline Status DeadlineExceeded(std::string msg) {
  return Status(StatusCode::kDeadlineExceeded, std::move(msg));
}
inline Status Corruption(std::string msg) {
  return Status(StatusCode::kCorruption, std::move(msg));
}
inline Status Unavailable(std::string msg) {
  return Status(StatusCode::kUnavailable, std::move(msg));
}
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

}  // namespace kiln

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define KILN_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::kiln::Status kiln_status_ = (expr);        \
    if (!kiln_status_.ok()) return kiln_status_; \
  } while (0)
