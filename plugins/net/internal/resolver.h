// Name resolution with a deadline for the outbound HTTP client. Thread-safe.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "plugins/net/internal/connection.h"

namespace kiln::plugins::internal {

struct ResolvedAddress {
  sockaddr_storage storage;  // AF_INET or AF_INET6, port set
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The IPv4 and IPv6 addresses of `host` with `port`, in getaddrinfo's order;
// an IP literal is converted without a lookup. getaddrinfo cannot be
// cancelled or given a timeout, so a name lookup runs on its own detached
// thread that this call stops waiting for at the deadline (kDeadlineExceeded);
// the thread finishes later and frees what it shares. kUnavailable when the
// name does not resolve.
Result<std::vector<ResolvedAddress>> ResolveHost(const std::string& host, int port,
                                                 Deadline deadline);

}  // namespace kiln::plugins::internal
