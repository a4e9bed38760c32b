// A small blocking HTTP/1.1 client over POSIX sockets for tests: no Beast, so
// test files compile in seconds. Understands Content-Length and chunked bodies.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kiln::testing {

struct HttpResult {
  int status = 0;                              // 0: no response (connection failed or closed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json Json() const;  // parsed body, or discarded on error
  std::string Header(const std::string& lower) const;
};

// One connection, reused for several requests (keep-alive).
class HttpConnection {
 public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  bool connected() const { return fd_ >= 0; }
  // Sends raw bytes as they are.
  bool SendRaw(const std::string& bytes);
  // Reads one response; status 0 when the peer closed first.
  HttpResult ReadResponse(int timeout_ms = 10'000);
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& api_key = "",
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  // True when the server has closed the connection (reads EOF within timeout).
  bool WaitForClose(int timeout_ms);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body = "", const std::string& api_key = "");

}  // namespace kiln::testing
