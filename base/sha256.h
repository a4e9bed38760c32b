// SHA-256 helpers (OpenSSL underneath). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// HMAC-SHA256 of `data` under `key` (RFC 2104): the 32 raw bytes, or lower-case hex.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kiln
