// One outbound TCP connection, optionally wrapped in TLS, whose every
// operation gives up at the deadline it was connected with: the transport under HttpFetch.
//
// A Connection owns its non-blocking socket and its TLS state and frees both
// when destroyed. Use it from one thread at a time. TLS contexts share one
// process-wide, read-only OpenSSL client context.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

struct ssl_st;  // OpenSSL's SSL, kept out of this header

namespace kiln::plugins::internal {

using Deadline = std::chrono::steady_clock::time_point;

// Something bytes can be read from; Read returns 0 at the end of the stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// What the TLS layer's socket BIO works on: the socket, and whether a read
// saw the peer close it.
struct SocketBioState {
  int fd = -1;
  bool eof = false;
};

class Connection : public ByteSource {
 public:
  // Connects to exactly `addr`: no name resolution happens here, which is
  // what keeps the address the guard checked the one that is contacted.
  // kUnavailable when refused or unreachable, kDeadlineExceeded at the deadline.
  static Result<std::unique_ptr<Connection>> Connect(const sockaddr* addr, socklen_t len,
                                                     Deadline deadline);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // TLS handshake with certificate verification against the system store,
  // SNI and a check of `host` (a name or an IP literal) against the
  // certificate. kUnavailable with OpenSSL's reason when it fails.
  Status StartTls(const std::string& host);

  Status WriteAll(std::string_view data);
  // A kept-alive connection's next request gets its own deadline.
  void set_deadline(Deadline deadline) { deadline_ = deadline; }
  // Whether an idle kept-alive connection can take another request: the peer
  // has not closed it and sent nothing unasked.
  bool StillIdle() const;
  // Reads what is available, up to `n` bytes; 0 at the end of the stream.
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  explicit Connection(int fd, Deadline deadline);
  Status WaitFor(short events, const char* doing);
  // Repeats an OpenSSL call (SSL_read_ex style: 1 on success, bytes done in
  // *done) while it wants the socket readable or writable; 0 bytes means the
  // peer closed. `doing` names the step in errors.
  template <typename Op>
  Result<size_t> DriveTls(Op op, const char* doing);

  struct SslFree {
    void operator()(ssl_st* ssl) const;
  };

  const int fd_;
  Deadline deadline_;         // every wait gives up here
  SocketBioState bio_state_;  // its address is held by ssl_'s BIO: Connection never moves
  std::unique_ptr<ssl_st, SslFree> ssl_;  // with its BIO; null for plain HTTP
};

}  // namespace kiln::plugins::internal
