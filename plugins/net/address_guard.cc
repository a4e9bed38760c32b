// The outbound-request guard's address check: AddressAllowed and the
// classification behind it (internal/address.h).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

#include "plugins/net/http_fetch.h"
#include "plugins/net/internal/address.h"

namespace kiln::plugins {
namespace internal {
namespace {

// Whether `addr` (host byte order) lies in net/bits.
bool InV4(uint32_t addr, uint32_t net, int bits) {
  return (addr >> (32 - bits)) == (net >> (32 - bits));
}

// IANA's IPv4 special-purpose registry (RFC 6890 and successors), reduced to
// what must not be reachable from a server fetching URLs for its users.
AddressKind ClassifyV4(uint32_t a) {
  if (a == 0xFFFFFFFFu) return AddressKind::kBroadcast;
  if (InV4(a, 0x00000000u, 8)) return AddressKind::kUnspecified;  // "this network"
  if (InV4(a, 0x7F000000u, 8)) return AddressKind::kLoopback;
  if (InV4(a, 0x0A000000u, 8) || InV4(a, 0xAC100000u, 12) || InV4(a, 0xC0A80000u, 16)) {
    return AddressKind::kPrivate;
  }
  if (InV4(a, 0xA9FE0000u, 16)) return AddressKind::kLinkLocal;  // cloud metadata lives here
  if (InV4(a, 0x64400000u, 10)) return AddressKind::kSharedNat;
  if (InV4(a, 0xC0000200u, 24) || InV4(a, 0xC6336400u, 24) || InV4(a, 0xCB007100u, 24)) {
    return AddressKind::kDocumentation;
  }
  if (InV4(a, 0xE0000000u, 4)) return AddressKind::kMulticast;
  // 240/4 (future use), 192.0.0/24 (IETF assignments), 198.18/15
  // (benchmarking), 192.88.99/24 (the retired 6to4 relay anycast).
  if (InV4(a, 0xF0000000u, 4) || InV4(a, 0xC0000000u, 24) || InV4(a, 0xC6120000u, 15) ||
      InV4(a, 0xC0586300u, 24)) {
    return AddressKind::kReserved;
  }
  return AddressKind::kPublic;
}

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

bool AllZero(const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

AddressKind ClassifyV6(const uint8_t* b) {
  if (AllZero(b, 16)) return AddressKind::kUnspecified;
  if (AllZero(b, 15) && b[15] == 1) return AddressKind::kLoopback;
  // Forms that carry an IPv4 address reach that address: the kernel maps
  // ::ffff:a.b.c.d to IPv4 itself, a NAT64 gateway translates 64:ff9b::/96
  // and a 6to4 relay unwraps 2002:aabb:ccdd::/48.
  if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff) return ClassifyV4(V4At(b + 12));
  static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b};
  if (std::memcmp(b, kNat64, 12) == 0) return ClassifyV4(V4At(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return ClassifyV4(V4At(b + 2));
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 &&
      b[5] == 0x01) {
    return AddressKind::kPrivate;  // 64:ff9b:1::/48, local-use NAT64
  }
  if (b[0] == 0xff) return AddressKind::kMulticast;
  if ((b[0] & 0xfe) == 0xfc) return AddressKind::kPrivate;  // unique local fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind::kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressKind::kPrivate;  // old site-local
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return AddressKind::kDocumentation;  // 2001:db8::/32
  }
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) {
    return AddressKind::kDocumentation;  // 3fff::/20
  }
  // 2001::/23: IETF assignments (Teredo, benchmarking, ORCHID) rather than hosts.
  if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0) return AddressKind::kReserved;
  // Only 2000::/3 is handed out as global unicast; the rest (IPv4-compatible
  // ::/96, discard-only 100::/64, ...) is nobody's web server.
  if ((b[0] & 0xe0) != 0x20) return AddressKind::kReserved;
  return AddressKind::kPublic;
}

}  // namespace

AddressKind ClassifyAddress(const struct sockaddr* addr) {
  if (addr == nullptr) return AddressKind::kNotIp;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return ClassifyV4(ntohl(in->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    return ClassifyV6(in6->sin6_addr.s6_addr);
  }
  return AddressKind::kNotIp;
}

std::string_view AddressKindName(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic:
      return "public";
    case AddressKind::kLoopback:
      return "loopback";
    case AddressKind::kPrivate:
      return "private";
    case AddressKind::kLinkLocal:
      return "link-local";
    case AddressKind::kUnspecified:
      return "unspecified";
    case AddressKind::kMulticast:
      return "multicast";
    case AddressKind::kBroadcast:
      return "broadcast";
    case AddressKind::kSharedNat:
      return "carrier-grade NAT";
    case AddressKind::kDocumentation:
      return "reserved for documentation";
    case AddressKind::kReserved:
      return "reserved";
    case AddressKind::kNotIp:
      return "not an IP address";
  }
  return "unknown";
}

std::string AddressToString(const struct sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr != nullptr && addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof(text));
  } else if (addr != nullptr && addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof(text));
  } else {
    return "(non-IP address)";
  }
  return text;
}

}  // namespace internal

bool AddressAllowed(const struct sockaddr* addr, bool allow_private) {
  internal::AddressKind kind = internal::ClassifyAddress(addr);
  if (kind == internal::AddressKind::kNotIp) return false;
  if (kind == internal::AddressKind::kPublic) return true;
  const std::string text = internal::AddressToString(addr);
  const bool metadata = text == "169.254.169.254" || text == "::ffff:169.254.169.254" ||
                        text == "fd00:ec2::254";
  return allow_private && !metadata;
}

}  // namespace kiln::plugins
