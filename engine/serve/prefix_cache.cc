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

std::vector<int32_t> PrefixCache::Walk(std::span<const int32_t> tokens, int64_t max_tokens) const {
  const int64_t ps = pool_->page_size();
  const int64_t n = std::min<int64_t>(max_tokens, static_cast<int64_t>(tokens.size())) / ps;
  std::vector<int32_t> pages;
  uint64_t key = kRootKey;
  int32_t parent = -1;
  for (int64_t i = 0; i < n; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * ps), static_cast<size_t>(ps));
    key = ChainKey(key, block);
    const int32_t page = Find(key, parent, block);
    if (page < 0) break;
    pages.push_back(page);
    parent = page;
  }
  return pages;
}

std::vector<int32_t> PrefixCache::Peek(std::span<const int32_t> tokens, int64_t max_tokens) const {
  std::lock_guard lock(mu_);
  return Walk(tokens, max_tokens);
}

std::vector<int32_t> PrefixCache::Match(std::span<const int32_t> tokens, int64_t max_tokens) {
  std::lock_guard lock(mu_);
  std::vector<int32_t> pages = Walk(tokens, max_tokens);
  ++stats_.lookups;
  // Most recent last-to-first: the chain's start is the last to be evicted.
  for (auto it = pages.rbegin(); it != pages.rend(); ++it) Touch(*it);
  if (!pages.empty()) {
    ++stats_.hits;
    stats_.tokens_reused += static_cast<int64_t>(pages.size()) * pool_->page_size();
  }
  return pages;
}

void PrefixCache::Insert(std::span<const int32_t> tokens, const KvCache& cache) {
  KILN_CHECK(&cache.pool() == pool_.get());
  const int64_t ps = pool_->page_size();
  KILN_CHECK(static_cast<int64_t>(tokens.size()) <= cache.size());
  const int64_t n = static_cast<int64_t>(tokens.size()) / ps;
  std::vector<int32_t> path;
  std::lock_guard lock(mu_);
  uint64_t key = kRootKey;
  int32_t parent = -1;
  for (int64_t i = 0; i < n; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * ps), static_cast<size_t>(ps));
    key = ChainKey(key, block);
    int32_t page = Find(key, parent, block);
    if (page < 0) {
      page = cache.pages()[static_cast<size_t>(i)];
      if (entries_.count(page) != 0) break;  // recorded for other tokens: cannot be
      pool_->Retain(page);
      lru_.push_front(page);
      entries_.emplace(page, Entry{key, parent, {block.begin(), block.end()}, lru_.begin()});
      by_key_.emplace(key, page);
    }
    path.push_back(page);
    parent = page;
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) Touch(*it);
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
    Entry& e = entries_.at(victim);
    auto [lo, hi] = by_key_.equal_range(e.key);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == victim) {
        by_key_.erase(it);
        break;
      }
    }
    lru_.erase(e.lru);
    entries_.erase(victim);
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
