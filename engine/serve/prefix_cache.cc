#include "engine/serve/prefix_cache.h"

#include <algorithm>

#include "base/check.h"

namespace kiln::engine {
namespace {

// FNV-1a over the parent key and the page's token ids.
uint64_t ChainKey(uint64_t parent, std::span<const int32_t> tokens) {
  uint64_t h = 1469598103934665603ull ^ parent;
  auto mix = [&h](uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (int32_t t : tokens) mix(static_cast<uint32_t>(t));
  return h;
}

constexpr uint64_t kRootKey = 0x9e3779b97f4a7c15ull;

}  // namespace

PrefixCache::PrefixCache(std::shared_ptr<KvPool> pool) : pool_(std::move(pool)) {
  KILN_CHECK(pool_ != nullptr);
  pool_->set_evictor([this] { return EvictOne(); });
}

PrefixCache::~PrefixCache() {
  pool_->set_evictor(nullptr);
  std::lock_guard lock(mu_);
  for (const auto& [page, e] : entries_) pool_->Release(page);
}

int32_t PrefixCache::Find(uint64_t key, int32_t parent, std::span<const int32_t> tokens) const {
  auto [lo, hi] = by_key_.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    const Entry& e = entries_.at(it->second);
    if (e.parent == parent &&
        std::equal(e.tokens.begin(), e.tokens.end(), tokens.begin(), tokens.end())) {
      return it->second;
    }
  }
  return -1;
}

void PrefixCache::Touch(int32_t page) {
  Entry& e = entries_.at(page);
  lru_.splice(lru_.begin(), lru_, e.lru);
}

PrefixCache::Prefix PrefixCache::Walk(std::span<const int32_t> tokens, int64_t max_tokens) const {
  const int64_t ps = pool_->page_size();
  const int64_t limit = std::min<int64_t>(max_tokens, static_cast<int64_t>(tokens.size()));
  Prefix out;
  uint64_t key = kRootKey;
  int32_t parent = -1;
  for (int64_t i = 0; i < limit / ps; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * ps), static_cast<size_t>(ps));
    key = ChainKey(key, block);
    const int32_t page = Find(key, parent, block);
    if (page < 0) break;
    out.pages.push_back(page);
    parent = page;
  }
  // Where the chain stops: the recorded continuation sharing the most tokens.
  const int64_t done = static_cast<int64_t>(out.pages.size()) * ps;
  const auto rest =
      tokens.subspan(static_cast<size_t>(done), static_cast<size_t>(std::min(limit - done, ps)));
  auto [lo, hi] = children_.equal_range(parent);
  for (auto it = lo; it != hi; ++it) {
    const std::vector<int32_t>& t = entries_.at(it->second).tokens;
    const int64_t common =
        std::mismatch(t.begin(), t.end(), rest.begin(), rest.end()).first - t.begin();
    if (common > out.partial_tokens) {
      out.partial_tokens = common;
      out.partial_page = it->second;
    }
  }
  if (out.partial_tokens == ps) {  // (a whole page: only where max_tokens cut the chain)
    out.partial_tokens = ps - 1;
  }
  return out;
}

PrefixCache::Prefix PrefixCache::Peek(std::span<const int32_t> tokens, int64_t max_tokens) const {
  std::lock_guard lock(mu_);
  return Walk(tokens, max_tokens);
}

PrefixCache::Prefix PrefixCache::Match(std::span<const int32_t> tokens, int64_t max_tokens) {
  std::lock_guard lock(mu_);
  Prefix prefix = Walk(tokens, max_tokens);
  ++stats_.lookups;
  // Most recent last-to-first: the chain's start is the last to be evicted.
  if (prefix.partial_page >= 0) Touch(prefix.partial_page);
  for (auto it = prefix.pages.rbegin(); it != prefix.pages.rend(); ++it) Touch(*it);
  const int64_t reused =
      static_cast<int64_t>(prefix.pages.size()) * pool_->page_size() + prefix.partial_tokens;
  if (reused > 0) {
    ++stats_.hits;
    stats_.tokens_reused += reused;
  }
  return prefix;
}

void PrefixCache::Insert(std::span<const int32_t> tokens, const KvCache& cache, bool finished) {
  KILN_CHECK(&cache.pool() == pool_.get());
  const int64_t ps = pool_->page_size();
  KILN_CHECK(static_cast<int64_t>(tokens.size()) <= cache.size());
  // The whole pages, then the last one as far as it is filled (a finished
  // sequence never writes it again): found only as a partial match.
  const int64_t n = (static_cast<int64_t>(tokens.size()) + (finished ? ps - 1 : 0)) / ps;
  std::vector<int32_t> path;
  std::lock_guard lock(mu_);
  uint64_t key = kRootKey;
  int32_t parent = -1;
  for (int64_t i = 0; i < n; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * ps));
    const auto page_tokens = block.first(std::min<size_t>(block.size(), static_cast<size_t>(ps)));
    key = ChainKey(key, page_tokens);
    int32_t page = Find(key, parent, page_tokens);
    if (page < 0) {
      page = cache.pages()[static_cast<size_t>(i)];
      if (entries_.count(page) != 0) break;  // recorded for other tokens: cannot be
      pool_->Retain(page);
      lru_.push_front(page);
      entries_.emplace(page,
                       Entry{key, parent, {page_tokens.begin(), page_tokens.end()}, lru_.begin()});
      by_key_.emplace(key, page);
      children_.emplace(parent, page);
    }
    path.push_back(page);
    parent = page;
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) Touch(*it);
}

void PrefixCache::Forget(int32_t page) {
  Entry& e = entries_.at(page);
  auto erase = [page](auto& map, auto key) {
    auto [lo, hi] = map.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == page) {
        map.erase(it);
        return;
      }
    }
  };
  erase(by_key_, e.key);
  erase(children_, e.parent);
  lru_.erase(e.lru);
  entries_.erase(page);
}

bool PrefixCache::EvictOne() {
  int32_t victim = -1;
  {
    std::lock_guard lock(mu_);
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
      if (pool_->refs(*it) == 1) {  // no sequence holds it
        victim = *it;
        break;
      }
    }
    if (victim < 0) return false;
    Forget(victim);
    ++stats_.evictions;
  }
  pool_->Release(victim);
  return true;
}

int64_t PrefixCache::EvictablePages() const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const auto& [page, e] : entries_) n += pool_->refs(page) == 1 ? 1 : 0;
  return n;
}

int64_t PrefixCache::EvictableAmong(std::span<const int32_t> pages) const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (int32_t page : pages) n += entries_.count(page) != 0 && pool_->refs(page) == 1 ? 1 : 0;
  return n;
}

int64_t PrefixCache::pages() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(entries_.size());
}

PrefixCache::Stats PrefixCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace kiln::engine
