// Kiln's own HTTP request and response types: plain values with no Boost in
// sight, so that routing, handlers and their tests compile in seconds
// (DESIGN.md: Beast stays inside web/server.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::web {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded path, no query
  std::multimap<std::string, std::string> query;             // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string request_id;                          // set by the server before dispatch
  std::map<std::string, std::string> path_params;  // set by the router

  // First header with this (lower-case) name, or empty.
  std::string_view Header(std::string_view lower_name) const;
  // First query value for `name`, or nullptr.
  const std::string* Query(std::string_view name) const;
};

// A response body produced over time (Server-Sent Events, or a JSON body
// that is ready only when a generation ends), written by any thread and sent
// by the server as it arrives, in HTTP/1.1 chunks. Thread-safe.
class BodyStream {
 public:
  // ---- the producer ----
  // Queues data; false once the client is gone (nothing more will be sent).
  bool Write(std::string data);
  // The body is complete.
  void Close();
  // The response's status, for a Response with `defer_status`: the server
  // sends its headers only once the first data (or Close) is there, and uses
  // the last status set before that (a JSON body that turned out to be an
  // error). Ignored once the headers are out.
  void SetStatus(int status);
  int status() const;  // 0: not set
  bool cancelled() const;
  // Called once, on any thread, when the client goes away before Close.
  void OnCancel(std::function<void()> fn);

  // ---- the server ----
  enum class State { kData, kWait, kDone };
  // Moves out everything queued (kData), or says there is nothing yet
  // (kWait) or nothing ever again (kDone).
  State Take(std::string* out);
  // `wake` is called after each Write or Close (from the producer's thread).
  void SetWaker(std::function<void()> wake);
  // The client went away: later Writes fail and the OnCancel callback runs.
  void Cancel();

 private:
  mutable std::mutex mu_;
  std::string queued_;
  bool closed_ = false, cancelled_ = false;
  int status_ = 0;
  std::function<void()> wake_, on_cancel_;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  bool close = false;  // ask the server to close the connection after this response
  // When set, the body comes from here (chunked) and `body` is ignored.
  std::shared_ptr<BodyStream> stream;
  // With `stream`: hold the headers until the body's first data, so that the
  // producer may still set the status (BodyStream::SetStatus).
  bool defer_status = false;

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query parameters.
// Returns false when the target is malformed (bad percent-escape, not origin-form).
bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query);

// Decodes %XX escapes (and '+' as space when `plus_is_space`); false when malformed,
// when the input holds raw control bytes, or when the result would contain a NUL.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace kiln::web
