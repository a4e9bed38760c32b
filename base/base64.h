// Base64, the standard alphabet with padding (RFC 4648 section 4). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln {

std::string Base64Encode(std::string_view bytes);

// Strict: padding required, no whitespace, no other alphabet; nullopt otherwise.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace kiln
