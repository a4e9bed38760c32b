// PrefixCache: KV pages of earlier prompts, found again by their tokens.
//
// A bot's requests repeat a long prefix (system prompt, persona, earlier
// turns). Once a sequence has filled whole pages, Insert records each page
// under a hash of its tokens chained with the hash of every page before it,
// so a page matches only after the same prefix. A later prompt's Match walks
// that chain page by page and returns the pages to adopt (KvCache::AdoptPrefix)
// instead of recomputing them.
//
// The cache holds a reference to each page it records. When the pool runs
// out, it gives back its least recently used page that no sequence is using
// (it registers itself as the pool's evictor); a match refreshes a chain
// from its end to its start, so a prefix's later pages go before its first.
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/model/kv_cache.h"

namespace kiln::engine {

class PrefixCache {
 public:
  explicit PrefixCache(std::shared_ptr<KvPool> pool);
  ~PrefixCache();
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // The pages holding the longest recorded prefix of `tokens`, whole pages
  // only and at most max_tokens positions (a prompt keeps at least its last
  // token to compute). Not retained: adopt them before anything else can
  // allocate from the pool.
  std::vector<int32_t> Match(std::span<const int32_t> tokens, int64_t max_tokens);
  // What Match would return, leaving recency and the statistics alone (for
  // a request that may not be admitted yet).
  std::vector<int32_t> Peek(std::span<const int32_t> tokens, int64_t max_tokens) const;
  // Records the whole pages of `cache`, whose positions [0, tokens.size())
  // hold `tokens` (tokens.size() <= cache.size()).
  void Insert(std::span<const int32_t> tokens, const KvCache& cache);

  // Frees one page no sequence uses; false when there is none.
  bool EvictOne();
  // Pages EvictOne could free (held by the cache alone), in all and among
  // `pages`.
  int64_t EvictablePages() const;
  int64_t EvictableAmong(std::span<const int32_t> pages) const;
  int64_t pages() const;
  struct Stats {
    int64_t lookups = 0, hits = 0, tokens_reused = 0, evictions = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    uint64_t key;    // hash of the tokens, chained with the parent's key
    int32_t parent;  // the page of the positions before, -1 at the start
    std::vector<int32_t> tokens;
    std::list<int32_t>::iterator lru;  // in lru_ (front: most recent)
  };
  // The page continuing `parent` with `tokens` (hash `key`), or -1.
  int32_t Find(uint64_t key, int32_t parent, std::span<const int32_t> tokens) const;
  // The chain of recorded pages for `tokens` (under mu_).
  std::vector<int32_t> Walk(std::span<const int32_t> tokens, int64_t max_tokens) const;
  void Touch(int32_t page);

  std::shared_ptr<KvPool> pool_;
  mutable std::mutex mu_;
  std::unordered_map<int32_t, Entry> entries_;         // by page
  std::unordered_multimap<uint64_t, int32_t> by_key_;  // key -> page
  std::list<int32_t> lru_;
  Stats stats_;
};

}  // namespace kiln::engine
