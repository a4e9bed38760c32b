// Cryptographically secure random bytes and identifiers (from the kernel's
// getrandom). Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kiln {

// Fills `out` with `n` secure random bytes. Aborts if the kernel refuses (never expected).
void SecureRandomBytes(void* out, size_t n);

// `n` random characters from [0-9a-zA-Z] (about 5.95 bits each).
std::string RandomAlnum(size_t n);

// An opaque, sortable-by-creation id: prefix + "_" + 10 time chars + 12 random chars,
// e.g. "bot_0kTz3b9QxA7fG2pLmNc1Rv". Lexicographic order follows creation order
// within a process (the time part strictly increases) and time across processes.
std::string NewId(std::string_view prefix);

}  // namespace kiln
