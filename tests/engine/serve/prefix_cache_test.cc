// The prefix cache over a real pool: chained matches of whole pages, the
// partial page where a chain stops, references, LRU eviction through the
// pool's evictor.
#include "engine/serve/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "kernels/half.h"

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
  EXPECT_EQ(cache.pages(), 3);  // the third, partly filled, for partial matches
  EXPECT_EQ(pool->refs(seq->pages()[0]), 2);

  // Same first 9 tokens then different: 2 pages match.
  std::vector<int32_t> second = Range(100, 9);
  second.push_back(7);
  second.push_back(8);
  PrefixCache::Prefix got = cache.Match(second, 100);
  ASSERT_EQ(got.pages.size(), 2u);
  EXPECT_EQ(got.pages[0], seq->pages()[0]);
  EXPECT_EQ(got.pages[1], seq->pages()[1]);
  EXPECT_EQ(got.partial_page, seq->pages()[2]);  // 108 as far as it agrees
  EXPECT_EQ(got.partial_tokens, 1);
  // At most max_tokens positions: a prompt of exactly 8 keeps its last token;
  // page 2's first three tokens are then a partial match.
  got = cache.Match(second, 7);
  EXPECT_EQ(got.pages.size(), 1u);
  EXPECT_EQ(got.partial_page, seq->pages()[1]);
  EXPECT_EQ(got.partial_tokens, 3);
  // A different first page: nothing, even though page 2's tokens agree.
  std::vector<int32_t> third = first;
  third[0] = 1;
  got = cache.Match(third, 100);
  EXPECT_TRUE(got.pages.empty());
  EXPECT_EQ(got.partial_page, -1);
  const auto stats = cache.stats();
  EXPECT_EQ(stats.lookups, 3);
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.tokens_reused, (8 + 1) + (4 + 3));
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
  next.AdoptPrefix(cache.Match(turn2, 12).pages);
  EXPECT_EQ(next.size(), 8);
  ASSERT_TRUE(next.Reserve(13));
  next.set_size(13);
  cache.Insert(turn2, next);
  EXPECT_EQ(cache.pages(), 4);  // three whole, one with position 12 alone
  EXPECT_EQ(cache.Match(Range(0, 20), 20).pages.size(), 3u);
}

// A chat's next turn: the cached turn's reply was regenerated differently,
// so the chain parts mid-page. The partial page's matching rows are copied
// into a page of the new sequence's own (every layer, K and V), the shared
// page is left as it was, and the new turn computes only from there.
TEST(PrefixCache, ThePartialPageWhereAChainStopsIsCopied) {
  auto pool = std::make_shared<KvPool>(2, 3, kPage, 16);
  PrefixCache cache(pool);
  // Turn 1: prompt 0..5, reply 90, 91 (positions 6, 7): two whole pages.
  std::vector<int32_t> turn1 = Range(0, 6);
  turn1.push_back(90);
  turn1.push_back(91);
  auto seq = Filled(pool, turn1);
  for (int64_t l = 0; l < 2; ++l) {
    for (int64_t pos = 0; pos < 8; ++pos) {
      const float k[3] = {float(l), float(pos), 1.0f}, v[3] = {float(-l), float(-pos), 2.0f};
      seq->Store(l, pos, k, v);
    }
  }
  cache.Insert(turn1, *seq);
  const int32_t shared_page = seq->pages()[1];
  seq.reset();

  // Turn 2 keeps the prompt, then says something else from position 6.
  std::vector<int32_t> turn2 = Range(0, 6);
  for (int32_t t : {70, 71, 72, 73}) turn2.push_back(t);
  PrefixCache::Prefix got = cache.Match(turn2, 9);
  ASSERT_EQ(got.pages.size(), 1u);
  EXPECT_EQ(got.partial_page, shared_page);
  EXPECT_EQ(got.partial_tokens, 2);  // positions 4 and 5
  KvCache next(pool, 64);
  next.AdoptPrefix(got.pages);
  ASSERT_TRUE(next.CopyPartialPage(got.partial_page, got.partial_tokens));
  EXPECT_EQ(next.size(), 6);
  ASSERT_EQ(next.pages().size(), 2u);
  EXPECT_NE(next.pages()[1], shared_page);
  for (int64_t l = 0; l < 2; ++l) {
    for (int64_t pos = 4; pos < 6; ++pos) {
      EXPECT_EQ(kernels::F16ToF32(next.K(l, pos)[1]), float(pos));
      EXPECT_EQ(kernels::F16ToF32(next.V(l, pos)[0]), float(-l));
    }
  }
  // Writing the new turn's rows leaves the cached page alone.
  const float k[3] = {5, 5, 5}, v[3] = {6, 6, 6};
  ASSERT_TRUE(next.Reserve(7));
  next.Store(0, 6, k, v);
  next.set_size(7);
  EXPECT_EQ(kernels::F16ToF32(pool->K(shared_page, 0)[2 * 3 + 1]), 6.0f);  // position 6's row
  EXPECT_EQ(cache.stats().tokens_reused, 6);

  // No page to copy into: false, and nothing changed.
  auto tiny = std::make_shared<KvPool>(1, 3, kPage, 2);
  PrefixCache small(tiny);
  auto s = Filled(tiny, Range(0, 8));
  small.Insert(Range(0, 8), *s);
  KvCache reader(tiny, 64);
  reader.AdoptPrefix(small.Match(Range(0, 6), 5).pages);
  EXPECT_FALSE(reader.CopyPartialPage(s->pages()[1], 1));
  EXPECT_EQ(reader.size(), 4);
  EXPECT_EQ(reader.pages().size(), 1u);
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
  EXPECT_EQ(cache.Match(a, 8).pages.size(), 2u);
  EXPECT_TRUE(cache.Match(b, 8).pages.empty());
  EXPECT_EQ(cache.stats().evictions, 2);
  // Pages a sequence holds are never evicted.
  KvCache reader(pool, 64);
  reader.AdoptPrefix(cache.Match(a, 8).pages);
  KvCache more(pool, 64);
  EXPECT_FALSE(more.Reserve(1));
  EXPECT_EQ(cache.pages(), 2);
}

}  // namespace
}  // namespace kiln::engine
