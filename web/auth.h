// API-key authentication.
//
// Keys look like "kiln_" + 40 base-62 characters; only their SHA-256 is stored.
// Verified keys are cached in memory (by hash) so the hot path costs one hash
// and one map lookup; revoking a key through this process drops it from the
// cache at once. Thread-safe.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "storage/store.h"
#include "web/router.h"

namespace kiln::web {

class Authenticator {
 public:
  explicit Authenticator(storage::KeyRepository* keys) : keys_(keys) {}  // borrowed

  // Checks an "Authorization: Bearer <key>" header value.
  Result<Principal> Authenticate(std::string_view authorization);
  // Drops a revoked key from the cache.
  void Forget(std::string_view key_id);

  static std::string NewSecret();                             // "kiln_..." (45 characters)
  static std::string DisplayPrefix(std::string_view secret);  // "kiln_AbCd"

 private:
  static constexpr size_t kMaxCached = 10'000;
  storage::KeyRepository* keys_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Principal> cache_;  // GUARDED_BY(mu_), by secret hash
};

// Makes sure an admin key exists at start-up. With `configured_secret` (from
// KILN_ADMIN_KEY) that key is registered as an admin key if it is not yet; without
// it, a new admin key is generated when the store has none. Returns the generated
// secret, to be shown once, or an empty string.
Result<std::string> BootstrapAdminKey(storage::KeyRepository& keys,
                                      std::string_view configured_secret, int64_t now);

}  // namespace kiln::web
