// How the outbound-request guard classifies addresses, and how it names them
// in error messages. Pure functions; thread-safe.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace kiln::plugins::internal {

enum class AddressKind {
  kPublic,
  kLoopback,
  kPrivate,
  kLinkLocal,
  kUnspecified,
  kMulticast,
  kBroadcast,
  kSharedNat,      // carrier-grade NAT, 100.64/10
  kDocumentation,  // TEST-NET-1/2/3, 2001:db8::/32
  kReserved,       // benchmarking, IETF assignments, 240/4, IPv6 outside 2000::/3, ...
  kNotIp,          // neither AF_INET nor AF_INET6
};

AddressKind ClassifyAddress(const struct sockaddr* addr);

// "private", "loopback", "carrier-grade NAT", ...
std::string_view AddressKindName(AddressKind kind);

// "10.0.0.5", "::ffff:127.0.0.1" (no port).
std::string AddressToString(const struct sockaddr* addr);

}  // namespace kiln::plugins::internal
