#include "web/auth.h"

#include <mutex>

#include "base/random.h"
#include "base/sha256.h"

namespace kiln::web {
namespace {

constexpr std::string_view kKeyPrefix = "kiln_";
constexpr size_t kMaxSecretLength = 256;

}  // namespace

std::string Authenticator::NewSecret() { return std::string(kKeyPrefix) + RandomAlnum(40); }

std::string Authenticator::DisplayPrefix(std::string_view secret) {
  return std::string(secret.substr(0, std::min<size_t>(secret.size(), 9)));
}

Result<Principal> Authenticator::Authenticate(std::string_view authorization) {
  if (authorization.empty()) {
    return Unauthenticated("missing API key: send 'Authorization: Bearer <key>'");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Unauthenticated("the Authorization header must be 'Bearer <key>'");
  }
  std::string_view secret = authorization.substr(kBearer.size());
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  if (secret.empty() || secret.size() > kMaxSecretLength) return Unauthenticated("invalid API key");
  std::string hash = Sha256Hex(secret);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) return it->second;
  }
  Result<storage::ApiKey> key = keys_->FindBySecretHash(hash);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kNotFound) return Unauthenticated("invalid API key");
    return key.status();
  }
  Principal principal{key->id, key->workspace_id, key->admin};
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[hash] = principal;
  return principal;
}

void Authenticator::Forget(std::string_view key_id) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::erase_if(cache_, [&](const auto& entry) { return entry.second.key_id == key_id; });
}

Result<std::string> BootstrapAdminKey(storage::KeyRepository& keys,
                                      std::string_view configured_secret, int64_t now) {
  if (!configured_secret.empty()) {
    if (configured_secret.size() < 16 || configured_secret.size() > kMaxSecretLength) {
      return InvalidArgument("KILN_ADMIN_KEY must be 16 to 256 characters long");
    }
    Result<storage::ApiKey> existing = keys.FindBySecretHash(Sha256Hex(configured_secret));
    if (existing.ok()) {
      if (!existing->admin)
        return FailedPrecondition("KILN_ADMIN_KEY names a key that is not an admin key");
      return std::string();
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    storage::ApiKey key{NewId("key"), "admin (KILN_ADMIN_KEY)",
                        "default",    Authenticator::DisplayPrefix(configured_secret),
                        true,         now};
    KILN_RETURN_IF_ERROR(keys.Create(key, Sha256Hex(configured_secret)));
    return std::string();
  }
  KILN_ASSIGN_OR_RETURN(int admins, keys.CountAdmins());
  if (admins > 0) return std::string();
  std::string secret = Authenticator::NewSecret();
  storage::ApiKey key{NewId("key"), "admin", "default", Authenticator::DisplayPrefix(secret),
                      true,         now};
  KILN_RETURN_IF_ERROR(keys.Create(key, Sha256Hex(secret)));
  return secret;
}

}  // namespace kiln::web
