// HttpFetch over TLS against an in-process OpenSSL server with self-signed
// certificates made at start-up: certificate verification, the host name and
// IP checks, and SNI. The test certificates become the trusted store through
// SSL_CERT_FILE, set by a global environment before any test runs, so before
// the client's shared context first loads the store. (OpenSSL reaches this
// executable through kiln_plugins_net's link dependencies.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "plugins/net/http_fetch.h"

namespace kiln::plugins {
namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FreeCtx {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

struct TestCert {
  std::unique_ptr<EVP_PKEY, FreeKey> key;
  std::unique_ptr<X509, FreeCert> cert;
};

void AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A self-signed P-256 certificate for `subject_alt_names` ("DNS:a,IP:1.2.3.4").
TestCert MakeCert(const char* common_name, const char* subject_alt_names) {
  static std::atomic<long> serial{1};
  TestCert out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert, NID_subject_key_identifier, "hash");
  AddExtension(cert, NID_subject_alt_name, subject_alt_names);
  X509_sign(cert, out.key.get(), EVP_sha256());
  return out;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

// Trusted: `good` (localhost and 127.0.0.1) and `other` (other.example only).
// `untrusted` is valid for localhost but in no store.
TestCert* good;
TestCert* other;
TestCert* untrusted;

class TrustTestCertificates : public ::testing::Environment {
 public:
  void SetUp() override {
    static TestCert g = MakeCert("localhost", "DNS:localhost,IP:127.0.0.1");
    static TestCert o = MakeCert("other.example", "DNS:other.example");
    static TestCert u = MakeCert("localhost", "DNS:localhost,IP:127.0.0.1");
    good = &g;
    other = &o;
    untrusted = &u;
    std::string path = ::testing::TempDir() + "kiln_tls_fetch_test_" + std::to_string(getpid());
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::string pems = CertPem(g.cert.get()) + CertPem(o.cert.get());
    fwrite(pems.data(), 1, pems.size(), f);
    fclose(f);
    setenv("SSL_CERT_FILE", path.c_str(), 1);
    path_ = path;
  }
  void TearDown() override { unlink(path_.c_str()); }

 private:
  std::string path_;
};

const auto* const kTrustEnvironment =
    ::testing::AddGlobalTestEnvironment(new TrustTestCertificates);

// Serves "HTTP/1.1 200 OK ... secure" over TLS on 127.0.0.1, one connection at
// a time, and records the SNI name of the last handshake. `keep_alive`: a
// connection answers request after request until the client closes it.
class TlsServer {
 public:
  explicit TlsServer(const TestCert& cert, bool keep_alive = false)
      : ctx_(SSL_CTX_new(TLS_server_method())), keep_alive_(keep_alive) {
    SSL_CTX_use_certificate(ctx_.get(), cert.cert.get());
    SSL_CTX_use_PrivateKey(ctx_.get(), cert.key.get());
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TlsServer() {
    stopping_ = true;
    thread_.join();
    close(fd_);
  }

  std::string Url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  std::string sni() const {
    std::lock_guard lock(mu_);
    return sni_;
  }

 private:
  void Loop() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      ++connections_;
      timeval timeout{2, 0};  // a client that stalls cannot hang the test
      setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      SSL* ssl = SSL_new(ctx_.get());
      SSL_set_fd(ssl, conn);
      if (SSL_accept(ssl) == 1) {
        const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        {
          std::lock_guard lock(mu_);
          sni_ = name != nullptr ? name : "";
        }
        do {
          std::string request;
          char buf[1024];
          while (request.find("\r\n\r\n") == std::string::npos) {
            int n = SSL_read(ssl, buf, sizeof(buf));
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
          }
          if (request.find("\r\n\r\n") == std::string::npos) break;
          ++requests_;
          std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
          SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        } while (keep_alive_ && !stopping_);
        SSL_shutdown(ssl);
      }
      ERR_clear_error();
      SSL_free(ssl);
      close(conn);
    }
  }

  std::unique_ptr<SSL_CTX, FreeCtx> ctx_;
  int fd_ = -1;
  int port_ = 0;
  const bool keep_alive_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0}, requests_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string sni_;  // guarded by mu_
};

FetchOptions Private() {
  FetchOptions options;
  options.allow_private = true;
  options.timeout_ms = 5000;
  return options;
}

TEST(TlsFetch, VerifiedByNameAndByAddress) {
  TlsServer server(*good);
  auto by_name = HttpFetch(server.Url("localhost"), Private());
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->status, 200);
  EXPECT_EQ(by_name->body, "secure");
  EXPECT_EQ(server.sni(), "localhost");
  auto by_address = HttpFetch(server.Url("127.0.0.1"), Private());
  ASSERT_TRUE(by_address.ok()) << by_address.status().ToString();
  EXPECT_EQ(by_address->body, "secure");
  EXPECT_EQ(server.sni(), "");  // no SNI for an IP literal
}

TEST(TlsFetch, CertificateForAnotherNameIsRefused) {
  TlsServer server(*other);
  auto by_name = HttpFetch(server.Url("localhost"), Private());
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(by_name.status().message().find("hostname mismatch"), std::string::npos)
      << by_name.status().ToString();
  auto by_address = HttpFetch(server.Url("127.0.0.1"), Private());
  ASSERT_FALSE(by_address.ok());
  EXPECT_NE(by_address.status().message().find("IP address mismatch"), std::string::npos)
      << by_address.status().ToString();
}

TEST(TlsFetch, UntrustedCertificateIsRefused) {
  TlsServer server(*untrusted);
  auto r = HttpFetch(server.Url("localhost"), Private());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos)
      << r.status().ToString();
}

TEST(TlsFetch, PooledRequestsShareOneVerifiedConnection) {
  TlsServer server(*good, /*keep_alive=*/true);
  ConnectionPool pool;
  FetchOptions options = Private();
  options.pool = &pool;
  for (int i = 0; i < 4; ++i) {
    auto r = HttpFetch(server.Url("localhost"), options);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->body, "secure");
  }
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(pool.opened(), 1);
}

TEST(TlsFetch, AClosedTlsConnectionIsNotReused) {
  TlsServer server(*good);  // answers once, then close_notify and close
  ConnectionPool pool;
  FetchOptions options = Private();
  options.pool = &pool;
  for (int i = 0; i < 3; ++i) {
    auto r = HttpFetch(server.Url("localhost"), options);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
  }
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.requests(), 3);
}

}  // namespace
}  // namespace kiln::plugins
