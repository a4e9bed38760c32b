// SHA-256 helpers (OpenSSL underneath). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

// Lower-case hex of any bytes.
std::string HexEncode(std::string_view bytes);

// SHA-256 of `data`: lower-case hex, or the 32 raw bytes.
std::string Sha256Hex(std::string_view data);
std::string Sha256Bytes(std::string_view data);
// Lower-case hex SHA-1 of `data` (for protocols that still sign with it: WeCom).
std::string Sha1Hex(std::string_view data);

// HMAC-SHA256 of `data` under `key` (RFC 2104): the 32 raw bytes, or lower-case hex.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kiln
