#include "engine/model/kv_cache.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "base/check.h"
#include "kernels/half.h"

namespace kiln::engine {

KvPool::KvPool(int64_t n_layer, int64_t kv_dim, int64_t page_size, int64_t n_pages)
    : n_layer_(n_layer), kv_dim_(kv_dim), page_size_(page_size), n_pages_(n_pages) {
  KILN_CHECK(n_layer > 0 && kv_dim > 0 && page_size > 0 && n_pages > 0);
  // Anonymous memory is zero pages until written: resident memory grows with
  // the pages sequences actually fill.
  const size_t bytes = static_cast<size_t>(n_pages) * page_bytes();
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<uint16_t*>(p);
  refs_.assign(static_cast<size_t>(n_pages), 0);
  free_.reserve(static_cast<size_t>(n_pages));
  for (int64_t i = n_pages - 1; i >= 0; --i) free_.push_back(static_cast<int32_t>(i));
}

KvPool::~KvPool() { munmap(data_, static_cast<size_t>(n_pages_) * page_bytes()); }

int32_t KvPool::TryAllocate() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return -1;
  const int32_t page = free_.back();
  free_.pop_back();
  refs_[static_cast<size_t>(page)] = 1;
  return page;
}

int32_t KvPool::Allocate() {
  for (;;) {
    const int32_t page = TryAllocate();
    if (page >= 0) return page;
    std::function<bool()> evict;
    {
      std::lock_guard lock(mu_);
      evict = evictor_;
    }
    if (!evict || !evict()) return -1;
  }
}

void KvPool::Retain(int32_t page) {
  std::lock_guard lock(mu_);
  KILN_CHECK(page >= 0 && page < n_pages_ && refs_[static_cast<size_t>(page)] > 0);
  ++refs_[static_cast<size_t>(page)];
}

void KvPool::Release(int32_t page) {
  std::lock_guard lock(mu_);
  KILN_CHECK(page >= 0 && page < n_pages_ && refs_[static_cast<size_t>(page)] > 0);
  if (--refs_[static_cast<size_t>(page)] == 0) free_.push_back(page);
}

int KvPool::refs(int32_t page) const {
  std::lock_guard lock(mu_);
  return refs_[static_cast<size_t>(page)];
}

int64_t KvPool::free_pages() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(free_.size());
}

void KvPool::set_evictor(std::function<bool()> evictor) {
  std::lock_guard lock(mu_);
  evictor_ = std::move(evictor);
}

KvCache::KvCache(std::shared_ptr<KvPool> pool, int64_t n_ctx)
    : pool_(std::move(pool)), n_ctx_(n_ctx) {
  KILN_CHECK(pool_ != nullptr && n_ctx > 0);
}

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim)
    : KvCache(std::make_shared<KvPool>(n_layer, kv_dim, kKvPageSize,
                                       (n_ctx + kKvPageSize - 1) / kKvPageSize),
              n_ctx) {}

KvCache::~KvCache() {
  for (int32_t p : pages_) pool_->Release(p);
}

void KvCache::set_size(int64_t n) {
  const int64_t ps = pool_->page_size();
  KILN_CHECK(n >= 0 && n <= static_cast<int64_t>(pages_.size()) * ps);
  if (n < size_) {  // forget the tail: its whole pages go back to the pool
    ReleaseTail(static_cast<size_t>((n + ps - 1) / ps));
    // A partly kept page will be written again: it must be this sequence's.
    KILN_CHECK(n % ps == 0 || pool_->refs(pages_.back()) == 1);
  }
  size_ = n;
}

bool KvCache::Reserve(int64_t n) {
  KILN_CHECK(n <= n_ctx_);
  const int64_t ps = pool_->page_size();
  const size_t want = static_cast<size_t>((n + ps - 1) / ps);
  const size_t had = pages_.size();
  while (pages_.size() < want) {
    const int32_t page = pool_->Allocate();
    if (page < 0) {
      ReleaseTail(had);
      return false;
    }
    pages_.push_back(page);
  }
  return true;
}

void KvCache::AdoptPrefix(std::span<const int32_t> pages) {
  KILN_CHECK(pages_.empty() && size_ == 0);
  KILN_CHECK(static_cast<int64_t>(pages.size()) * pool_->page_size() <= n_ctx_);
  for (int32_t p : pages) {
    pool_->Retain(p);
    pages_.push_back(p);
  }
  size_ = static_cast<int64_t>(pages.size()) * pool_->page_size();
}

bool KvCache::CopyPartialPage(int32_t page, int64_t n) {
  const int64_t ps = pool_->page_size();
  KILN_CHECK(size_ % ps == 0 && n > 0 && n < ps && size_ + n <= n_ctx_);
  KILN_CHECK(static_cast<int64_t>(pages_.size()) * ps == size_);
  pool_->Retain(page);  // the evictor must not take it while we allocate
  const int32_t own = pool_->Allocate();
  if (own >= 0) {
    const size_t bytes = static_cast<size_t>(n * pool_->kv_dim()) * sizeof(uint16_t);
    for (int64_t l = 0; l < pool_->n_layer(); ++l) {
      std::memcpy(pool_->K(own, l), pool_->K(page, l), bytes);
      std::memcpy(pool_->V(own, l), pool_->V(page, l), bytes);
    }
    pages_.push_back(own);
    size_ += n;
  }
  pool_->Release(page);
  return own >= 0;
}

void KvCache::ReleaseTail(size_t keep) {
  while (pages_.size() > keep) {
    pool_->Release(pages_.back());
    pages_.pop_back();
  }
}

uint16_t* KvCache::Row(int64_t layer, int64_t pos, bool v) {
  const int64_t ps = pool_->page_size();
  KILN_CHECK(pos >= 0 && pos / ps < static_cast<int64_t>(pages_.size()));
  const int32_t page = pages_[static_cast<size_t>(pos / ps)];
  uint16_t* base = v ? pool_->V(page, layer) : pool_->K(page, layer);
  return base + (pos % ps) * pool_->kv_dim();
}

void KvCache::Store(int64_t layer, int64_t pos, const float* k, const float* v) {
  uint16_t* kd = K(layer, pos);
  uint16_t* vd = V(layer, pos);
  const int64_t dim = pool_->kv_dim();
  for (int64_t i = 0; i < dim; ++i) {
    kd[i] = kernels::F32ToF16(k[i]);
    vd[i] = kernels::F32ToF16(v[i]);
  }
}

}  // namespace kiln::engine
