// VectorIndex: one knowledge base's FAISS index over its chunks' embeddings
// (L2-normalised, so inner product is cosine similarity).
//
// Small bases are searched exactly (IndexIDMap2 over IndexFlatIP). Past
// `exact_below` vectors an inverted-file index (IndexIVFFlat, inner product)
// is trained on the base's vectors with about 4 * sqrt(n) lists, and its
// nprobe is the smallest that gives recall@10 >= min_recall against exact
// search on a sample of the base's own vectors as queries: chosen by
// measurement, not by a fixed guess. Both kinds support removal by id
// (FAISS 1.7.3's HNSW does not, so it is not used).
//
// The index is derived data: the chunks table holds every embedding, and
// Rebuild() makes the index from them; Save/Load persist it beside the
// database so that a restart does not have to. Thread-safe: searches run
// concurrently; changes take an exclusive lock.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace faiss {
struct Index;
}

namespace kiln::rag {

struct VectorIndexOptions {
  int64_t exact_below = 20000;  // vectors; at or above: IVF
  double min_recall = 0.95;     // recall@10 the IVF's nprobe must reach on the sample
  int sample_queries = 64;      // held-in queries used to measure it
};

struct VectorHit {
  int64_t id = 0;
  float score = 0;  // inner product = cosine similarity
};

class VectorIndex {
 public:
  VectorIndex(int64_t dim, VectorIndexOptions options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  int64_t dim() const { return dim_; }
  int64_t size() const;
  // "flat", or "ivf nlist=.. nprobe=.." with the recall measured for it.
  std::string Describe() const;

  // Replaces the contents with these vectors (n * dim floats), choosing the
  // kind by size as described above.
  Status Rebuild(std::span<const int64_t> ids, std::span<const float> vectors);
  // Adds vectors; ids already in the index are skipped (so a racing rebuild
  // from the table and an add of the same chunks cannot duplicate them). An
  // IVF index keeps its trained lists (NeedsRebuild says when that has gone
  // stale).
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors);
  Status Remove(std::span<const int64_t> ids);
  // The k best (highest inner product) vectors, best first.
  std::vector<VectorHit> Search(std::span<const float> query, int k) const;
  // Whether the kind no longer fits the size (flat grown past exact_below,
  // IVF grown 4x past what it was trained on, or shrunk below half of
  // exact_below): the owner then calls Rebuild with all the vectors.
  bool NeedsRebuild() const;

  // Every id in the index (for reconciliation with the chunks table).
  std::vector<int64_t> Ids() const;

  // Writes the index to `path` atomically (a temporary file, then rename).
  Status Save(const std::string& path) const;
  // Reads an index written by Save; Corruption when the file is damaged or
  // its dimension differs.
  static Result<std::unique_ptr<VectorIndex>> Load(const std::string& path, int64_t dim,
                                                   VectorIndexOptions options = {});

 private:
  Status RebuildLocked(std::span<const int64_t> ids, std::span<const float> vectors);
  std::vector<int64_t> IdsLocked() const;

  const int64_t dim_;
  const VectorIndexOptions options_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<faiss::Index> index_;  // guarded by mu_
  bool ivf_ = false;                     // guarded by mu_
  int64_t trained_on_ = 0;               // guarded by mu_: vectors an IVF was trained with
  double measured_recall_ = 1.0;         // guarded by mu_
  std::unordered_set<int64_t> ids_;      // guarded by mu_: what the index holds
};

}  // namespace kiln::rag
