// PrefixCache: KV pages of earlier prompts, found again by their tokens.
//
// A bot's requests repeat a long prefix (system prompt, persona, earlier
// turns). Once a sequence has filled whole pages, Insert records each page
// under a hash of its tokens chained with the hash of every page before it,
// so a page matches only after the same prefix. A later prompt's Match walks
// that chain page by page and returns the pages to adopt (KvCache::AdoptPrefix)
// instead of recomputing them. Where the chain ends, a recorded page whose
// first tokens (not all) continue the prompt is returned too: its matching
// rows are copied (KvCache::CopyPartialPage), so a chat's next turn, which
// parts from the cached one mid-page (where the reply was regenerated),
// recomputes only what is new.
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

  // The longest recorded prefix of `tokens`, at most max_tokens positions
  // (a prompt keeps at least its last token to compute): whole pages to
  // adopt, then a page whose first partial_tokens tokens continue it (or -1).
  struct Prefix {
    std::vector<int32_t> pages;
    int32_t partial_page = -1;
    int64_t partial_tokens = 0;
  };
  // Not retained: adopt the pages (and copy the partial one) before anything
  // else can allocate from the pool.
  Prefix Match(std::span<const int32_t> tokens, int64_t max_tokens);
  // What Match would return, leaving recency and the statistics alone (for
  // a request that may not be admitted yet).
  Prefix Peek(std::span<const int32_t> tokens, int64_t max_tokens) const;
  // Records the pages of `cache`, whose positions [0, tokens.size()) hold
  // `tokens` (tokens.size() <= cache.size()): the whole pages, and for a
  // finished sequence its last page as far as it is filled (found by partial
  // matches only). A running sequence's last page is still being written:
  // finished = false leaves it out.
  void Insert(std::span<const int32_t> tokens, const KvCache& cache, bool finished = true);

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
  Prefix Walk(std::span<const int32_t> tokens, int64_t max_tokens) const;
  void Touch(int32_t page);
  void Forget(int32_t page);  // drops a page's records (under mu_)

  std::shared_ptr<KvPool> pool_;
  mutable std::mutex mu_;
  std::unordered_map<int32_t, Entry> entries_;          // by page
  std::unordered_multimap<uint64_t, int32_t> by_key_;   // key -> page
  std::unordered_multimap<int32_t, int32_t> children_;  // parent page (-1: none) -> page
  std::list<int32_t> lru_;
  Stats stats_;
};

}  // namespace kiln::engine
