// The deadline-bound TCP/TLS transport of internal/connection.h.
#include "plugins/net/internal/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "plugins/net/internal/url.h"

namespace kiln::plugins::internal {
namespace {

std::string ErrnoText(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof(buf));  // the GNU variant: returns the text
}

// ---- a BIO over our non-blocking socket ----
// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when
// the peer has gone; a library must not kill its host process, so TLS
// records go through send(MSG_NOSIGNAL) here instead.

int BioWrite(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  auto* state = static_cast<SocketBioState*>(BIO_get_data(bio));
  ssize_t n = send(state->fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return -1;
}

int BioRead(BIO* bio, char* data, int len) {
  BIO_clear_retry_flags(bio);
  auto* state = static_cast<SocketBioState*>(BIO_get_data(bio));
  ssize_t n = recv(state->fd, data, static_cast<size_t>(len), 0);
  if (n == 0) state->eof = true;
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(bio);
  return -1;
}

long BioCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  if (cmd == BIO_CTRL_FLUSH) return 1;
  // OpenSSL asks after a read of 0 whether the transport ended, to tell a
  // closed connection from a failed one.
  auto* state = static_cast<SocketBioState*>(BIO_get_data(bio));
  if (cmd == BIO_CTRL_EOF) return state != nullptr && state->eof ? 1 : 0;
  return 0;
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* SocketBioMethod() {
  // Built once, read-only afterwards, never freed (BIOs may outlive statics).
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kiln socket");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, BioWrite);
    BIO_meth_set_read(m, BioRead);
    BIO_meth_set_ctrl(m, BioCtrl);
    BIO_meth_set_create(m, BioCreate);
    return m;
  }();
  return method;
}

// The process-wide client context: one load of the system certificate store
// instead of one per request. Built once, read-only afterwards (OpenSSL makes
// creating connections from it thread-safe), never freed.
struct ClientContext {
  SSL_CTX* ctx = nullptr;
  std::string error;  // why TLS cannot be used, when it cannot
};

const ClientContext& SharedClientContext() {
  static const ClientContext* context = [] {
    auto* c = new ClientContext;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == nullptr) {
      c->error = "could not create an OpenSSL context";
      return c;
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, nullptr);
    // A server closing without close_notify ends a close-delimited body; it
    // is common and no different from the same close on plain HTTP.
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
      c->error = "the system certificate store could not be loaded";
    }
    return c;
  }();
  return *context;
}

// OpenSSL's reasons for the failure just seen, with the certificate check's.
std::string TlsFailureText(SSL* ssl) {
  std::string reason;
  while (unsigned long e = ERR_get_error()) {
    const char* text = ERR_reason_error_string(e);
    if (!reason.empty()) reason += "; ";
    reason += text != nullptr ? text : "OpenSSL error " + std::to_string(e);
  }
  if (reason.empty()) reason = "unknown TLS error";
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  return reason;
}

}  // namespace

void Connection::SslFree::operator()(ssl_st* ssl) const { SSL_free(ssl); }

bool Connection::StillIdle() const {
  if (bio_state_.eof) return false;
  pollfd p{fd_, POLLIN, 0};
  // Readable while idle means closed (or garbage we did not ask for).
  return ::poll(&p, 1, 0) == 0;
}

Connection::Connection(int fd, Deadline deadline) : fd_(fd), deadline_(deadline) {
  bio_state_.fd = fd;
}

Connection::~Connection() {
  ssl_.reset();  // before the socket it writes to goes
  close(fd_);
}

Result<std::unique_ptr<Connection>> Connection::Connect(const sockaddr* addr, socklen_t len,
                                                        Deadline deadline) {
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return Unavailable("could not create a socket: " + ErrnoText(errno));
  std::unique_ptr<Connection> conn(new Connection(fd, deadline));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // requests are small writes
  if (connect(fd, addr, len) != 0) {
    // EINTR leaves a non-blocking connect running, like EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) return Unavailable(ErrnoText(errno));
    KILN_RETURN_IF_ERROR(conn->WaitFor(POLLOUT, "connecting"));
    int err = 0;
    socklen_t err_len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
    if (err != 0) return Unavailable(ErrnoText(err));
  }
  return conn;
}

Status Connection::WaitFor(short events, const char* doing) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline_ - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return DeadlineExceeded(std::string("timed out ") + doing);
    pollfd p{fd_, events, 0};
    int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (rc > 0) return Status::OK();  // errors and hang-ups show in the next call
    if (rc < 0 && errno != EINTR) return Unavailable("poll failed: " + ErrnoText(errno));
  }
}

template <typename Op>
Result<size_t> Connection::DriveTls(Op op, const char* doing) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t done = 0;
    int rc = op(&done);
    if (rc == 1) return done;
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ) {
      KILN_RETURN_IF_ERROR(WaitFor(POLLIN, doing));
    } else if (err == SSL_ERROR_WANT_WRITE) {
      KILN_RETURN_IF_ERROR(WaitFor(POLLOUT, doing));
    } else if (err == SSL_ERROR_ZERO_RETURN) {
      return size_t{0};
    } else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      if (bio_state_.eof || errno == 0) return size_t{0};
      return Unavailable(std::string("TLS failed ") + doing + ": " + ErrnoText(errno));
    } else {
      return Unavailable(std::string("TLS failed ") + doing + ": " + TlsFailureText(ssl_.get()));
    }
  }
}

Status Connection::StartTls(const std::string& host) {
  const ClientContext& context = SharedClientContext();
  if (!context.error.empty()) return Unavailable("TLS is unavailable: " + context.error);
  const BIO_METHOD* method = SocketBioMethod();
  if (method == nullptr) return Unavailable("TLS is unavailable: no socket BIO");
  ssl_.reset(SSL_new(context.ctx));
  BIO* bio = BIO_new(method);
  if (ssl_ == nullptr || bio == nullptr) {
    BIO_free(bio);
    return Unavailable("TLS is unavailable: out of memory");
  }
  BIO_set_data(bio, &bio_state_);
  SSL_set_bio(ssl_.get(), bio, bio);  // ssl_ owns the BIO now
  bool name_ok;
  if (IsIpLiteral(host)) {  // no SNI for addresses (RFC 6066); check the IP SAN
    name_ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str()) == 1;
  } else {
    name_ok = SSL_set_tlsext_host_name(ssl_.get(), host.c_str()) == 1 &&
              SSL_set1_host(ssl_.get(), host.c_str()) == 1;
  }
  if (!name_ok) return Unavailable("TLS is unavailable: cannot check the name " + host);
  auto handshake = [&](size_t* out) {
    *out = 1;  // a completed handshake, told apart from the 0 of a closed connection
    return SSL_connect(ssl_.get());
  };
  KILN_ASSIGN_OR_RETURN(size_t done, DriveTls(handshake, "during the handshake"));
  if (done == 0) return Unavailable("the server closed the connection during the TLS handshake");
  return Status::OK();
}

Status Connection::WriteAll(std::string_view data) {
  if (data.empty()) return Status::OK();
  if (ssl_ != nullptr) {
    // Without partial-write mode SSL_write_ex writes everything or fails.
    auto write_all = [&](size_t* out) {
      return SSL_write_ex(ssl_.get(), data.data(), data.size(), out);
    };
    KILN_ASSIGN_OR_RETURN(size_t written, DriveTls(write_all, "sending the request"));
    if (written < data.size()) {
      return Unavailable("the server closed the connection while the request was sent");
    }
    return Status::OK();
  }
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      KILN_RETURN_IF_ERROR(WaitFor(POLLOUT, "sending the request"));
    } else if (errno != EINTR) {
      return Unavailable("sending the request failed: " + ErrnoText(errno));
    }
  }
  return Status::OK();
}

Result<size_t> Connection::Read(char* buf, size_t n) {
  if (ssl_ != nullptr) {
    return DriveTls([&](size_t* out) { return SSL_read_ex(ssl_.get(), buf, n, out); },
                    "reading the response");
  }
  for (;;) {
    ssize_t got = recv(fd_, buf, n, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      KILN_RETURN_IF_ERROR(WaitFor(POLLIN, "reading the response"));
    } else if (errno != EINTR) {
      return Unavailable("reading the response failed: " + ErrnoText(errno));
    }
  }
}

}  // namespace kiln::plugins::internal
