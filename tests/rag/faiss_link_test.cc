// Proves the FAISS + OpenBLAS + OpenMP find logic links and runs; the knowledge
// issue builds the real indexes on top.
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <gtest/gtest.h>

#include <vector>

TEST(FaissLink, FlatInnerProductFindsTheSameVector) {
  const int dim = 8;
  faiss::IndexFlatIP flat(dim);
  faiss::IndexIDMap2 index(&flat);
  std::vector<float> vectors(4 * dim, 0.0f);
  for (int i = 0; i < 4; ++i) vectors[i * dim + i] = 1.0f;  // four orthonormal vectors
  std::vector<faiss::Index::idx_t> ids = {10, 11, 12, 13};
  index.add_with_ids(4, vectors.data(), ids.data());
  float distance = 0;
  faiss::Index::idx_t label = -1;
  index.search(1, vectors.data() + 2 * dim, 1, &distance, &label);
  EXPECT_EQ(label, 12);
  EXPECT_FLOAT_EQ(distance, 1.0f);
}
