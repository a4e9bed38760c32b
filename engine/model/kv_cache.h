// The KV cache in fixed-size pages.
//
// KvPool: the memory of every sequence's keys and values for one model, as
// pages of kKvPageSize positions. A page holds every layer's rows for its
// positions: for layer l, K is [page_size, kv_dim] f16 and V follows it
// (f16, as llama.cpp keeps them: half the memory of f32, the same rounding as
// the reference engine). Pages are reference-counted so that sequences (and
// the prefix cache) can share a prompt prefix's pages. The pool's memory is
// reserved up front but only touched page by page, so resident memory follows
// the tokens that have been live. Thread-safe.
//
// KvCache: one sequence's view, a page table over a pool: position p is in
// page pages()[p / page_size]. Grows a page at a time (Reserve); owned by
// whoever runs the sequence; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/status.h"

namespace kiln::engine {

inline constexpr int64_t kKvPageSize = 16;

class KvPool {
 public:
  KvPool(int64_t n_layer, int64_t kv_dim, int64_t page_size, int64_t n_pages);
  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  int64_t n_layer() const { return n_layer_; }
  int64_t kv_dim() const { return kv_dim_; }
  int64_t page_size() const { return page_size_; }
  int64_t n_pages() const { return n_pages_; }
  // f16 values per page, and bytes.
  int64_t page_elems() const { return 2 * n_layer_ * page_size_ * kv_dim_; }
  size_t page_bytes() const { return PageBytes(n_layer_, kv_dim_, page_size_); }
  static size_t PageBytes(int64_t n_layer, int64_t kv_dim, int64_t page_size) {
    return static_cast<size_t>(2 * n_layer * page_size * kv_dim) * sizeof(uint16_t);
  }

  // A free page with one reference, or -1 when none is left even after
  // asking the evictor (see set_evictor).
  int32_t Allocate();
  void Retain(int32_t page);
  // Drops one reference; the page is free again at zero.
  void Release(int32_t page);
  int refs(int32_t page) const;
  int64_t free_pages() const;

  // Called (under no lock of the pool's) when Allocate finds no free page:
  // frees one page if it can (the prefix cache drops its least recently used
  // entry) and returns whether it did.
  void set_evictor(std::function<bool()> evictor);

  // The base of layer `layer`'s K rows in page `page` ([page_size, kv_dim]);
  // its V rows follow at + page_size * kv_dim.
  uint16_t* K(int32_t page, int64_t layer) { return data_ + Offset(page, layer); }
  const uint16_t* K(int32_t page, int64_t layer) const { return data_ + Offset(page, layer); }
  uint16_t* V(int32_t page, int64_t layer) { return K(page, layer) + page_size_ * kv_dim_; }
  const uint16_t* V(int32_t page, int64_t layer) const {
    return K(page, layer) + page_size_ * kv_dim_;
  }
  // Layer `layer`'s K base of page 0: page p's rows are at + p * page_elems().
  const uint16_t* LayerK(int64_t layer) const { return data_ + Offset(0, layer); }
  const uint16_t* LayerV(int64_t layer) const { return LayerK(layer) + page_size_ * kv_dim_; }

 private:
  size_t Offset(int32_t page, int64_t layer) const {
    return static_cast<size_t>(page) * static_cast<size_t>(page_elems()) +
           static_cast<size_t>(2 * layer * page_size_ * kv_dim_);
  }
  int32_t TryAllocate();

  int64_t n_layer_, kv_dim_, page_size_, n_pages_;
  uint16_t* data_ = nullptr;  // n_pages * page_elems, mapped lazily by the OS
  mutable std::mutex mu_;
  std::vector<int32_t> free_;  // free page ids, the lowest last
  std::vector<int> refs_;
  std::function<bool()> evictor_;
};

class KvCache {
 public:
  // A sequence of up to n_ctx positions in `pool`.
  KvCache(std::shared_ptr<KvPool> pool, int64_t n_ctx);
  // A sequence with a private pool just big enough for n_ctx positions.
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return pool_->kv_dim(); }
  // Positions filled so far; the next token goes at position size().
  int64_t size() const { return size_; }
  // Marks positions [size(), n) as filled (their rows stored); n <= the
  // reserved positions. With n < size(), forgets the tail and gives its whole
  // pages back (a page cut in two must not be shared: see AdoptPrefix).
  void set_size(int64_t n);
  void clear() { set_size(0); }

  // Pages for positions [0, n): false (nothing changed) when the pool is out
  // of pages; n must be <= n_ctx().
  bool Reserve(int64_t n);
  // Starts an empty sequence from shared pages (a cached prefix): positions
  // [0, pages.size() * page_size) are filled; each page gets a reference.
  // Shared pages are only ever read: new tokens go to pages of their own.
  void AdoptPrefix(std::span<const int32_t> pages);
  // Continues a sequence that ends on a page boundary with a copy of the
  // first n positions of `page` (a cached page whose tokens match only so
  // far): a new page of its own gets their rows, so the shared page is never
  // written. False (nothing changed) when the pool has no page to give.
  bool CopyPartialPage(int32_t page, int64_t n);
  const std::vector<int32_t>& pages() const { return pages_; }
  KvPool& pool() const { return *pool_; }

  // [kv_dim] f16 row of layer `layer` at position `pos` (reserved).
  uint16_t* K(int64_t layer, int64_t pos) { return Row(layer, pos, false); }
  uint16_t* V(int64_t layer, int64_t pos) { return Row(layer, pos, true); }
  // Stores f32 rows (rounded to nearest f16) at `pos`.
  void Store(int64_t layer, int64_t pos, const float* k, const float* v);
  // Bytes of the pages this sequence holds.
  size_t bytes() const { return pages_.size() * pool_->page_bytes(); }

 private:
  uint16_t* Row(int64_t layer, int64_t pos, bool v);
  // Gives back every page past the first `keep`.
  void ReleaseTail(size_t keep);

  std::shared_ptr<KvPool> pool_;
  int64_t n_ctx_;
  int64_t size_ = 0;
  std::vector<int32_t> pages_;
};

}  // namespace kiln::engine
