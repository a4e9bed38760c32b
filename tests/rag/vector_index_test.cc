// VectorIndex over real FAISS: exact search below the threshold, an IVF whose
// nprobe is chosen by measured recall above it, removal by id in both kinds,
// and persistence (including a damaged file).
#include "rag/vector_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace kiln::rag {
namespace {

constexpr int64_t kDim = 32;

// n random unit vectors in clusters (as real embeddings are), ids 1000 + i.
struct Data {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
};

// `noise_seed` varies the points around the same centres (the seed's).
Data Clustered(int64_t n, uint32_t seed, uint32_t noise_seed = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<std::vector<float>> centres(40, std::vector<float>(kDim));
  for (auto& c : centres) {
    for (float& x : c) x = g(rng);
  }
  if (noise_seed != 0) rng.seed(noise_seed);
  Data d;
  for (int64_t i = 0; i < n; ++i) {
    const auto& c = centres[static_cast<size_t>(i) % centres.size()];
    std::vector<float> v(kDim);
    double norm = 0;
    for (int64_t j = 0; j < kDim; ++j) {
      v[j] = c[j] + 0.4f * g(rng);
      norm += v[j] * v[j];
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    d.ids.push_back(1000 + i);
    d.vectors.insert(d.vectors.end(), v.begin(), v.end());
  }
  return d;
}

std::span<const float> Row(const Data& d, int64_t i) {
  return {d.vectors.data() + i * kDim, static_cast<size_t>(kDim)};
}

// Exact top-k ids by brute force.
std::vector<int64_t> BruteForce(const Data& d, std::span<const float> q, int k) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t i = 0; i < d.ids.size(); ++i) {
    float s = 0;
    for (int64_t j = 0; j < kDim; ++j) s += q[j] * d.vectors[i * kDim + j];
    scored.emplace_back(s, d.ids[i]);
  }
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end(),
                    [](auto a, auto b) { return a.first > b.first; });
  std::vector<int64_t> out;
  for (int i = 0; i < k; ++i) out.push_back(scored[i].second);
  return out;
}

std::string TempPath(const std::string& name) {
  std::string dir = "/tmp/kiln_vector_index_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir + "/" + name;
}

TEST(VectorIndex, SmallIndexesAreExactAndRemoveById) {
  Data d = Clustered(300, 1);
  VectorIndex index(kDim);
  ASSERT_TRUE(index.Rebuild(d.ids, d.vectors).ok());
  EXPECT_EQ(index.Describe(), "flat");
  EXPECT_EQ(index.size(), 300);
  for (int64_t q : {0, 17, 299}) {
    auto hits = index.Search(Row(d, q), 5);
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_EQ(hits[0].id, d.ids[q]);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
    std::vector<int64_t> got;
    for (auto& h : hits) got.push_back(h.id);
    EXPECT_EQ(got, BruteForce(d, Row(d, q), 5));
  }
  std::vector<int64_t> gone = {d.ids[17], d.ids[18]};
  ASSERT_TRUE(index.Remove(gone).ok());
  EXPECT_EQ(index.size(), 298);
  for (auto& h : index.Search(Row(d, 17), 10)) EXPECT_NE(h.id, d.ids[17]);
  auto ids = index.Ids();
  EXPECT_FALSE(std::binary_search(ids.begin(), ids.end(), d.ids[18]));
  // Adding after a rebuild keeps both.
  Data more = Clustered(5, 2);
  for (auto& id : more.ids) id += 100000;
  ASSERT_TRUE(index.Add(more.ids, more.vectors).ok());
  EXPECT_EQ(index.Search(Row(more, 3), 1)[0].id, more.ids[3]);
  // Wrong sizes are errors, not crashes.
  EXPECT_FALSE(index.Add(more.ids, std::span<const float>(more.vectors).first(7)).ok());
  EXPECT_TRUE(index.Search(std::vector<float>(3, 1.0f), 5).empty());
}

TEST(VectorIndex, LargeIndexesUseIvfWithMeasuredRecall) {
  VectorIndexOptions options;
  options.exact_below = 1000;
  options.min_recall = 0.95;
  Data d = Clustered(4000, 3);
  VectorIndex index(kDim, options);
  ASSERT_TRUE(index.Rebuild(d.ids, d.vectors).ok());
  EXPECT_EQ(index.Describe().rfind("ivf", 0), 0u) << index.Describe();
  // Recall on queries it was not tuned on: fresh points near the same clusters.
  Data queries = Clustered(200, 3, /*noise_seed=*/99);
  int found = 0;
  for (int64_t q = 0; q < 200; ++q) {
    auto truth = BruteForce(d, Row(queries, q), 10);
    std::set<int64_t> want(truth.begin(), truth.end());
    for (auto& h : index.Search(Row(queries, q), 10)) found += want.count(h.id);
  }
  EXPECT_GE(found / 2000.0, 0.9);
  // Removal works on the IVF too.
  std::vector<int64_t> gone = {d.ids[5]};
  ASSERT_TRUE(index.Remove(gone).ok());
  for (auto& h : index.Search(Row(d, 5), 10)) EXPECT_NE(h.id, d.ids[5]);
  EXPECT_FALSE(index.NeedsRebuild());
  // Growing 4x past what it was trained on asks for a rebuild.
  Data more = Clustered(13000, 5);
  for (auto& id : more.ids) id += 1000000;
  ASSERT_TRUE(index.Add(more.ids, more.vectors).ok());
  EXPECT_TRUE(index.NeedsRebuild());
}

TEST(VectorIndex, SavesLoadsAndRefusesDamagedFiles) {
  Data d = Clustered(500, 6);
  const std::string path = TempPath("kb.faiss");
  for (int64_t exact_below : {100000, 200}) {
    VectorIndexOptions options;
    options.exact_below = exact_below;
    VectorIndex index(kDim, options);
    ASSERT_TRUE(index.Rebuild(d.ids, d.vectors).ok());
    ASSERT_TRUE(index.Save(path).ok());
    auto loaded = VectorIndex::Load(path, kDim, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)->size(), 500);
    EXPECT_EQ((*loaded)->Ids(), index.Ids());
    EXPECT_EQ((*loaded)->Search(Row(d, 42), 1)[0].id, d.ids[42]);
    EXPECT_EQ(VectorIndex::Load(path, kDim + 1, options).status().code(), StatusCode::kCorruption);
  }
  // Truncated and garbage files are Corruption.
  {
    std::string bytes;
    {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 3);
  }
  EXPECT_EQ(VectorIndex::Load(path, kDim).status().code(), StatusCode::kCorruption);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "not an index at all";
  EXPECT_EQ(VectorIndex::Load(path, kDim).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(VectorIndex::Load(path + ".missing", kDim).status().code(), StatusCode::kCorruption);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace kiln::rag
