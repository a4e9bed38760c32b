// The paged KV cache: pool bookkeeping, sequences growing and shrinking a
// page at a time, shared prefix pages, the evictor hook, and running out.
#include "engine/model/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln::engine {
namespace {

TEST(KvPool, AllocatesReleasesAndCountsReferences) {
  KvPool pool(/*n_layer=*/2, /*kv_dim=*/8, /*page_size=*/4, /*n_pages=*/3);
  EXPECT_EQ(pool.free_pages(), 3);
  EXPECT_EQ(pool.page_elems(), 2 * 2 * 4 * 8);
  const int32_t a = pool.Allocate(), b = pool.Allocate(), c = pool.Allocate();
  EXPECT_EQ(a, 0);  // lowest first
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(pool.Allocate(), -1);  // full, no evictor
  pool.Retain(b);
  EXPECT_EQ(pool.refs(b), 2);
  pool.Release(b);
  EXPECT_EQ(pool.free_pages(), 0);
  pool.Release(b);
  EXPECT_EQ(pool.free_pages(), 1);
  EXPECT_EQ(pool.Allocate(), b);
  // Pages do not overlap: layer 1's K of page a ends where its V begins.
  EXPECT_EQ(pool.V(a, 1), pool.K(a, 1) + 4 * 8);
  EXPECT_EQ(pool.K(b, 0), pool.K(a, 0) + static_cast<ptrdiff_t>(b - a) * pool.page_elems());
}

TEST(KvPool, AsksTheEvictorWhenFull) {
  KvPool pool(1, 4, 4, 2);
  const int32_t a = pool.Allocate();
  const int32_t b = pool.Allocate();
  std::vector<int32_t> evictable = {b};
  int calls = 0;
  pool.set_evictor([&] {
    ++calls;
    if (evictable.empty()) return false;
    pool.Release(evictable.back());
    evictable.pop_back();
    return true;
  });
  EXPECT_EQ(pool.Allocate(), b);
  EXPECT_EQ(pool.Allocate(), -1);  // the evictor has nothing left
  EXPECT_EQ(calls, 2);
  pool.Release(a);
}

TEST(KvCache, GrowsAndShrinksAPageAtATime) {
  auto pool = std::make_shared<KvPool>(2, 4, 4, 4);
  KvCache cache(pool, 16);
  EXPECT_TRUE(cache.Reserve(5));
  EXPECT_EQ(cache.pages().size(), 2u);
  EXPECT_EQ(pool->free_pages(), 2);
  const float k[4] = {1, 2, 3, 4}, v[4] = {-1, -2, -3, -4};
  for (int64_t p = 0; p < 5; ++p) cache.Store(1, p, k, v);
  cache.set_size(5);
  EXPECT_EQ(cache.K(1, 4)[3], 0x4400);  // 4.0 in f16
  EXPECT_EQ(cache.V(1, 4)[0], 0xbc00);  // -1.0
  cache.set_size(3);                    // forgets position 4: its page goes back
  EXPECT_EQ(cache.pages().size(), 1u);
  EXPECT_EQ(pool->free_pages(), 3);
  cache.clear();
  EXPECT_EQ(pool->free_pages(), 4);
  EXPECT_EQ(cache.size(), 0);
}

TEST(KvCache, ReserveFailsWholeWhenThePoolRunsOut) {
  auto pool = std::make_shared<KvPool>(1, 4, 4, 3);
  KvCache a(pool, 64), b(pool, 64);
  ASSERT_TRUE(a.Reserve(8));
  EXPECT_FALSE(b.Reserve(12));  // needs 3 pages, 1 is left
  EXPECT_TRUE(b.pages().empty());
  EXPECT_EQ(pool->free_pages(), 1);
  EXPECT_TRUE(b.Reserve(4));
}

TEST(KvCache, SharesPrefixPagesAndGivesThemBack) {
  auto pool = std::make_shared<KvPool>(1, 4, 4, 4);
  std::vector<int32_t> prefix;
  {
    KvCache writer(pool, 64);
    ASSERT_TRUE(writer.Reserve(8));
    writer.set_size(8);
    prefix = writer.pages();
    for (int32_t p : prefix) pool->Retain(p);  // as the prefix cache does
  }
  EXPECT_EQ(pool->free_pages(), 2);
  {
    KvCache reader(pool, 64);
    reader.AdoptPrefix(prefix);
    EXPECT_EQ(reader.size(), 8);
    EXPECT_EQ(pool->refs(prefix[0]), 2);
    ASSERT_TRUE(reader.Reserve(9));  // new tokens get a page of their own
    EXPECT_NE(reader.pages()[2], prefix[0]);
    EXPECT_NE(reader.pages()[2], prefix[1]);
  }
  EXPECT_EQ(pool->refs(prefix[0]), 1);
  for (int32_t p : prefix) pool->Release(p);
  EXPECT_EQ(pool->free_pages(), 4);
}

TEST(KvCache, APrivateCacheHoldsItsContext) {
  KvCache cache(/*n_layer=*/3, /*n_ctx=*/33, /*kv_dim=*/8);
  EXPECT_EQ(cache.pool().n_pages(), 3);  // 33 positions in pages of 16
  EXPECT_TRUE(cache.Reserve(33));
  EXPECT_EQ(cache.bytes(), 3 * cache.pool().page_bytes());
}

}  // namespace
}  // namespace kiln::engine
