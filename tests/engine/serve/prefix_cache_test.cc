// The prefix cache over a real pool: chained matches, whole pages only,
// references, LRU eviction through the pool's evictor.
#include "engine/serve/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace kiln::engine {
namespace {

constexpr int64_t kPage = 4;

std::vector<int32_t> Range(int32_t from, int32_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}

// A sequence that "computed" `tokens` (pages reserved, size set).
std::unique_ptr<KvCache> Filled(const std::shared_ptr<KvPool>& pool,
                                const std::vector<int32_t>& tokens) {
  auto c = std::make_unique<KvCache>(pool, 64);
  EXPECT_TRUE(c->Reserve(static_cast<int64_t>(tokens.size())));
  c->set_size(static_cast<int64_t>(tokens.size()));
  return c;
}

TEST(PrefixCache, MatchesWholePagesOfTheSamePrefix) {
  auto pool = std::make_shared<KvPool>(1, 4, kPage, 16);
  PrefixCache cache(pool);
  const std::vector<int32_t> first = Range(100, 10);  // 2 whole pages + 2
  auto seq = Filled(pool, first);
  cache.Insert(first, *seq);
  EXPECT_EQ(cache.pages(), 2);
  EXPECT_EQ(pool->refs(seq->pages()[0]), 2);

  // Same first 9 tokens then different: 2 pages match.
  std::vector<int32_t> second = Range(100, 9);
  second.push_back(7);
  second.push_back(8);
  std::vector<int32_t> got = cache.Match(second, 100);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], seq->pages()[0]);
  EXPECT_EQ(got[1], seq->pages()[1]);
  // At most max_tokens positions: a prompt of exactly 8 keeps its last token.
  EXPECT_EQ(cache.Match(second, 7).size(), 1u);
  // A different first page: nothing, even though page 2's tokens agree.
  std::vector<int32_t> third = first;
  third[0] = 1;
  EXPECT_TRUE(cache.Match(third, 100).empty());
  const auto stats = cache.stats();
  EXPECT_EQ(stats.lookups, 3);
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.tokens_reused, 12);
}

TEST(PrefixCache, AnAdoptedPrefixIsExtendedAndRecordedAgain) {
  auto pool = std::make_shared<KvPool>(1, 4, kPage, 16);
  PrefixCache cache(pool);
  const std::vector<int32_t> turn1 = Range(0, 8);
  {
    auto seq = Filled(pool, turn1);
    cache.Insert(turn1, *seq);
  }
  std::vector<int32_t> turn2 = Range(0, 13);
  KvCache next(pool, 64);
  next.AdoptPrefix(cache.Match(turn2, 12));
  EXPECT_EQ(next.size(), 8);
  ASSERT_TRUE(next.Reserve(13));
  next.set_size(13);
  cache.Insert(turn2, next);
  EXPECT_EQ(cache.pages(), 3);
  EXPECT_EQ(cache.Match(Range(0, 20), 20).size(), 3u);
}

TEST(PrefixCache, EvictsTheLeastRecentlyUsedPageNobodyHolds) {
  auto pool = std::make_shared<KvPool>(1, 4, kPage, 4);
  PrefixCache cache(pool);
  const std::vector<int32_t> a = Range(0, 8), b = Range(50, 8);
  {
    auto sa = Filled(pool, a);
    cache.Insert(a, *sa);
    auto sb = Filled(pool, b);
    cache.Insert(b, *sb);
  }
  EXPECT_EQ(pool->free_pages(), 0);
  cache.Match(a, 8);  // a is now the more recent
  // A new sequence needs two pages: b's go, its second page first.
  auto held = std::make_unique<KvCache>(pool, 64);
  ASSERT_TRUE(held->Reserve(8));
  EXPECT_EQ(cache.pages(), 2);
  EXPECT_EQ(cache.Match(a, 8).size(), 2u);
  EXPECT_TRUE(cache.Match(b, 8).empty());
  EXPECT_EQ(cache.stats().evictions, 2);
  // Pages a sequence holds are never evicted.
  KvCache reader(pool, 64);
  reader.AdoptPrefix(cache.Match(a, 8));
  KvCache more(pool, 64);
  EXPECT_FALSE(more.Reserve(1));
  EXPECT_EQ(cache.pages(), 2);
}

}  // namespace
}  // namespace kiln::engine
