// ResolveHost (internal/resolver.h).
#include "plugins/net/internal/resolver.h"

#include <netdb.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace kiln::plugins::internal {
namespace {

// getaddrinfo with `flags`; its return code, addresses appended to `out`.
int Lookup(const std::string& host, int port, int flags, std::vector<ResolvedAddress>* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) return rc;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    ResolvedAddress address{};
    std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
    address.length = static_cast<socklen_t>(ai->ai_addrlen);
    out->push_back(address);
  }
  freeaddrinfo(list);
  return 0;
}

// What the lookup thread and the waiting caller share.
struct PendingLookup {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;                     // guarded by mu
  int rc = 0;                            // guarded by mu
  std::vector<ResolvedAddress> results;  // guarded by mu
};

}  // namespace

Result<std::vector<ResolvedAddress>> ResolveHost(const std::string& host, int port,
                                                 Deadline deadline) {
  std::vector<ResolvedAddress> results;
  if (Lookup(host, port, AI_NUMERICHOST, &results) == 0) return results;

  auto pending = std::make_shared<PendingLookup>();
  try {
    std::thread([pending, host, port] {
      std::vector<ResolvedAddress> found;
      int rc = Lookup(host, port, 0, &found);
      std::lock_guard lock(pending->mu);
      pending->rc = rc;
      pending->results = std::move(found);
      pending->done = true;
      pending->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {  // no thread to be had: our code does not throw
    return Unavailable(std::string("could not start a DNS lookup: ") + e.what());
  }
  std::unique_lock lock(pending->mu);
  if (!pending->done_cv.wait_until(lock, deadline, [&] { return pending->done; })) {
    return DeadlineExceeded("timed out resolving " + host);
  }
  if (pending->rc != 0) {
    return Unavailable("could not resolve " + host + ": " + gai_strerror(pending->rc));
  }
  if (pending->results.empty()) return Unavailable(host + " has no IPv4 or IPv6 address");
  return std::move(pending->results);
}

}  // namespace kiln::plugins::internal
