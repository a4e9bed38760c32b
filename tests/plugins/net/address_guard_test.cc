#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <string>

#include "plugins/net/http_fetch.h"
#include "plugins/net/internal/address.h"

namespace kiln::plugins {
namespace {

using internal::AddressKind;

// A sockaddr for an IPv4 or IPv6 literal.
sockaddr_storage Address(const std::string& text) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    ADD_FAILURE() << "not an address: " << text;
  }
  return storage;
}

const sockaddr* Raw(const sockaddr_storage& s) { return reinterpret_cast<const sockaddr*>(&s); }

TEST(AddressAllowed, Table) {
  struct Case {
    std::string address;
    AddressKind kind;
  };
  const Case cases[] = {
      // IPv4
      {"8.8.8.8", AddressKind::kPublic},
      {"93.184.216.34", AddressKind::kPublic},
      {"1.1.1.1", AddressKind::kPublic},
      {"172.15.255.255", AddressKind::kPublic},
      {"172.32.0.0", AddressKind::kPublic},
      {"100.63.255.255", AddressKind::kPublic},
      {"100.128.0.0", AddressKind::kPublic},
      {"223.255.255.255", AddressKind::kPublic},
      {"127.0.0.1", AddressKind::kLoopback},
      {"127.255.255.254", AddressKind::kLoopback},
      {"10.0.0.5", AddressKind::kPrivate},
      {"172.16.0.1", AddressKind::kPrivate},
      {"172.31.255.255", AddressKind::kPrivate},
      {"192.168.1.1", AddressKind::kPrivate},
      {"169.254.169.254", AddressKind::kLinkLocal},
      {"169.254.0.1", AddressKind::kLinkLocal},
      {"0.0.0.0", AddressKind::kUnspecified},
      {"0.1.2.3", AddressKind::kUnspecified},
      {"100.64.0.1", AddressKind::kSharedNat},
      {"100.127.255.255", AddressKind::kSharedNat},
      {"224.0.0.1", AddressKind::kMulticast},
      {"239.255.255.250", AddressKind::kMulticast},
      {"255.255.255.255", AddressKind::kBroadcast},
      {"240.0.0.1", AddressKind::kReserved},
      {"192.0.0.8", AddressKind::kReserved},
      {"198.18.0.1", AddressKind::kReserved},
      {"198.19.255.255", AddressKind::kReserved},
      {"192.0.2.1", AddressKind::kDocumentation},
      {"198.51.100.1", AddressKind::kDocumentation},
      {"203.0.113.9", AddressKind::kDocumentation},
      // IPv6
      {"2606:4700:4700::1111", AddressKind::kPublic},
      {"2a00:1450:4001::200e", AddressKind::kPublic},
      {"::1", AddressKind::kLoopback},
      {"::", AddressKind::kUnspecified},
      {"fc00::1", AddressKind::kPrivate},
      {"fd12:3456::1", AddressKind::kPrivate},
      {"fec0::1", AddressKind::kPrivate},
      {"fe80::1", AddressKind::kLinkLocal},
      {"febf::1", AddressKind::kLinkLocal},
      {"ff02::1", AddressKind::kMulticast},
      {"2001:db8::1", AddressKind::kDocumentation},
      {"3fff::1", AddressKind::kDocumentation},
      {"2001::1", AddressKind::kReserved},  // Teredo
      {"100::1", AddressKind::kReserved},
      {"::127.0.0.1", AddressKind::kReserved},  // IPv4-compatible, deprecated
      {"4000::1", AddressKind::kReserved},
      // IPv6 carrying IPv4: judged by the IPv4 address.
      {"::ffff:127.0.0.1", AddressKind::kLoopback},
      {"::ffff:10.0.0.1", AddressKind::kPrivate},
      {"::ffff:169.254.169.254", AddressKind::kLinkLocal},
      {"::ffff:8.8.8.8", AddressKind::kPublic},
      {"64:ff9b::a9fe:a9fe", AddressKind::kLinkLocal},
      {"64:ff9b::808:808", AddressKind::kPublic},
      {"64:ff9b:1::1", AddressKind::kPrivate},
      {"2002:c0a8:0101::1", AddressKind::kPrivate},  // 6to4 of 192.168.1.1
      {"2002:0808:0808::1", AddressKind::kPublic},
  };
  for (const Case& c : cases) {
    sockaddr_storage s = Address(c.address);
    EXPECT_EQ(internal::ClassifyAddress(Raw(s)), c.kind)
        << c.address << " is " << internal::AddressKindName(internal::ClassifyAddress(Raw(s)));
    EXPECT_EQ(AddressAllowed(Raw(s), false), c.kind == AddressKind::kPublic) << c.address;
    const bool metadata = c.address == "169.254.169.254" || c.address == "::ffff:169.254.169.254";
    EXPECT_EQ(AddressAllowed(Raw(s), true), !metadata) << c.address;
  }
}

// The cloud metadata service hands out credentials: allow_private (a test or
// operator convenience) never reaches it; only an allowlist entry does.
TEST(AddressAllowed, MetadataAddressesStayRefusedWithAllowPrivate) {
  for (const char* text : {"169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254"}) {
    sockaddr_storage s = Address(text);
    EXPECT_FALSE(AddressAllowed(Raw(s), true)) << text;
    EXPECT_FALSE(AddressAllowed(Raw(s), false)) << text;
  }
  sockaddr_storage other = Address("169.254.0.1");
  EXPECT_TRUE(AddressAllowed(Raw(other), true));
}

TEST(AddressAllowed, NonIpNeverAllowed) {
  sockaddr_un unix_addr{};
  unix_addr.sun_family = AF_UNIX;
  EXPECT_FALSE(AddressAllowed(reinterpret_cast<const sockaddr*>(&unix_addr), true));
  EXPECT_FALSE(AddressAllowed(nullptr, true));
}

TEST(AddressAllowed, Names) {
  sockaddr_storage mapped = Address("::ffff:127.0.0.1");
  EXPECT_EQ(internal::AddressToString(Raw(mapped)), "::ffff:127.0.0.1");
  sockaddr_storage v4 = Address("10.0.0.5");
  EXPECT_EQ(internal::AddressToString(Raw(v4)), "10.0.0.5");
  EXPECT_EQ(internal::AddressKindName(AddressKind::kSharedNat), "carrier-grade NAT");
}

}  // namespace
}  // namespace kiln::plugins
