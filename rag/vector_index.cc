#include "rag/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <random>
#include <unordered_set>

namespace kiln::rag {
namespace {

using idx_t = faiss::Index::idx_t;

// FAISS reports errors by throwing; nothing may escape our code.
template <typename Fn>
Status Guard(const char* what, Fn fn) {
  try {
    fn();
    return Status::OK();
  } catch (const std::exception& e) {
    return Internal(std::string(what) + ": " + e.what());
  }
}

std::unique_ptr<faiss::Index> NewFlat(int64_t dim) {
  auto map = std::make_unique<faiss::IndexIDMap2>(new faiss::IndexFlatIP(dim));
  map->own_fields = true;
  return map;
}

// Exact top-k of `queries` (q * dim) over `vectors` by brute force, as row
// numbers: the reference the IVF's recall is measured against.
std::vector<std::vector<int64_t>> ExactTopK(std::span<const float> vectors, int64_t dim,
                                            std::span<const float> queries, int k) {
  faiss::IndexFlatIP flat(dim);
  flat.add(static_cast<idx_t>(vectors.size() / dim), vectors.data());
  const int64_t q = static_cast<int64_t>(queries.size()) / dim;
  std::vector<float> d(static_cast<size_t>(q * k));
  std::vector<idx_t> l(static_cast<size_t>(q * k));
  flat.search(q, queries.data(), k, d.data(), l.data());
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(q));
  for (int64_t i = 0; i < q; ++i) out[i].assign(l.begin() + i * k, l.begin() + (i + 1) * k);
  return out;
}

}  // namespace

VectorIndex::VectorIndex(int64_t dim, VectorIndexOptions options)
    : dim_(dim), options_(options), index_(NewFlat(dim)) {}

VectorIndex::~VectorIndex() = default;

int64_t VectorIndex::size() const {
  std::shared_lock lock(mu_);
  return index_->ntotal;
}

std::string VectorIndex::Describe() const {
  std::shared_lock lock(mu_);
  if (!ivf_) return "flat";
  const auto* ivf = static_cast<const faiss::IndexIVFFlat*>(index_.get());
  char text[96];
  if (measured_recall_ < 0) {  // loaded from a file: measured by the run that built it
    std::snprintf(text, sizeof(text), "ivf nlist=%zu nprobe=%zu", ivf->nlist, ivf->nprobe);
  } else {
    std::snprintf(text, sizeof(text), "ivf nlist=%zu nprobe=%zu recall@10=%.3f", ivf->nlist,
                  ivf->nprobe, measured_recall_);
  }
  return text;
}

Status VectorIndex::Rebuild(std::span<const int64_t> ids, std::span<const float> vectors) {
  std::unique_lock lock(mu_);
  return RebuildLocked(ids, vectors);
}

Status VectorIndex::RebuildLocked(std::span<const int64_t> ids, std::span<const float> vectors) {
  const int64_t n = static_cast<int64_t>(ids.size());
  if (static_cast<int64_t>(vectors.size()) != n * dim_) {
    return InvalidArgument("vector index rebuild: " + std::to_string(vectors.size()) +
                           " floats for " + std::to_string(n) + " ids of dimension " +
                           std::to_string(dim_));
  }
  ids_ = std::unordered_set<int64_t>(ids.begin(), ids.end());
  if (static_cast<int64_t>(ids_.size()) != n) {
    ids_.clear();
    index_ = NewFlat(dim_);
    ivf_ = false;
    return InvalidArgument("vector index rebuild: duplicate ids");
  }
  if (n < options_.exact_below) {
    auto flat = NewFlat(dim_);
    KILN_RETURN_IF_ERROR(Guard("building the flat index", [&] {
      flat->add_with_ids(n, vectors.data(), reinterpret_cast<const idx_t*>(ids.data()));
    }));
    index_ = std::move(flat);
    ivf_ = false;
    trained_on_ = 0;
    measured_recall_ = 1.0;
    return Status::OK();
  }
  // IVF: about 4 * sqrt(n) lists, trained on every vector (FAISS subsamples
  // to 256 per list itself).
  const size_t nlist = static_cast<size_t>(std::max<double>(16, 4 * std::sqrt(double(n))));
  auto quantizer = new faiss::IndexFlatIP(dim_);
  auto ivf =
      std::make_unique<faiss::IndexIVFFlat>(quantizer, dim_, nlist, faiss::METRIC_INNER_PRODUCT);
  ivf->own_fields = true;
  KILN_RETURN_IF_ERROR(Guard("training the IVF index", [&] {
    ivf->train(n, vectors.data());
    ivf->add_with_ids(n, vectors.data(), reinterpret_cast<const idx_t*>(ids.data()));
  }));
  // nprobe by measurement: sample stored vectors as queries, leave-one-out
  // (the query's own vector is dropped from both rankings: it always sits in
  // its own list, which would flatter the recall), exact top-10 as truth.
  const int k = static_cast<int>(std::min<int64_t>(10, n - 1));
  const int q = static_cast<int>(std::min<int64_t>(options_.sample_queries, n));
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<float> queries(static_cast<size_t>(q * dim_));
  std::vector<int64_t> self(static_cast<size_t>(q));
  for (int i = 0; i < q; ++i) {
    const int64_t row = pick(rng);
    self[i] = ids[row];
    std::copy_n(vectors.data() + row * dim_, dim_, queries.data() + i * dim_);
  }
  const auto truth = ExactTopK(vectors, dim_, queries, k + 1);
  std::vector<float> d(static_cast<size_t>(q * (k + 1)));
  std::vector<idx_t> l(static_cast<size_t>(q * (k + 1)));
  double recall = 0;
  size_t nprobe = 1;
  for (; nprobe <= nlist; nprobe *= 2) {
    ivf->nprobe = nprobe;
    KILN_RETURN_IF_ERROR(Guard("measuring the IVF index",
                               [&] { ivf->search(q, queries.data(), k + 1, d.data(), l.data()); }));
    int64_t found = 0;
    for (int i = 0; i < q; ++i) {
      std::unordered_set<int64_t> want;
      for (int64_t row : truth[i]) {
        if (ids[row] != self[i] && static_cast<int>(want.size()) < k) want.insert(ids[row]);
      }
      int taken = 0;
      for (int j = 0; j <= k && taken < k; ++j) {
        if (l[i * (k + 1) + j] == self[i]) continue;
        found += want.count(l[i * (k + 1) + j]);
        ++taken;
      }
    }
    recall = double(found) / double(q * k);
    if (recall >= options_.min_recall) break;
  }
  ivf->nprobe = std::min(nprobe, nlist);
  index_ = std::move(ivf);
  ivf_ = true;
  trained_on_ = n;
  measured_recall_ = recall;
  return Status::OK();
}

Status VectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dim_)) {
    return InvalidArgument("vector index add: dimension mismatch");
  }
  if (ids.empty()) return Status::OK();
  std::unique_lock lock(mu_);
  std::vector<int64_t> new_ids;
  std::vector<float> new_vectors;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids_.count(ids[i]) != 0) continue;
    new_ids.push_back(ids[i]);
    new_vectors.insert(new_vectors.end(), vectors.begin() + i * dim_,
                       vectors.begin() + (i + 1) * dim_);
  }
  if (new_ids.empty()) return Status::OK();
  KILN_RETURN_IF_ERROR(Guard("adding to the vector index", [&] {
    index_->add_with_ids(static_cast<idx_t>(new_ids.size()), new_vectors.data(),
                         reinterpret_cast<const idx_t*>(new_ids.data()));
  }));
  ids_.insert(new_ids.begin(), new_ids.end());
  return Status::OK();
}

Status VectorIndex::Remove(std::span<const int64_t> ids) {
  if (ids.empty()) return Status::OK();
  std::unique_lock lock(mu_);
  KILN_RETURN_IF_ERROR(Guard("removing from the vector index", [&] {
    faiss::IDSelectorBatch selector(ids.size(), reinterpret_cast<const idx_t*>(ids.data()));
    index_->remove_ids(selector);
  }));
  for (int64_t id : ids) ids_.erase(id);
  return Status::OK();
}

std::vector<VectorHit> VectorIndex::Search(std::span<const float> query, int k) const {
  std::shared_lock lock(mu_);
  const int64_t n = index_->ntotal;
  if (n == 0 || k <= 0 || static_cast<int64_t>(query.size()) != dim_) return {};
  k = static_cast<int>(std::min<int64_t>(k, n));
  std::vector<float> d(static_cast<size_t>(k));
  std::vector<idx_t> l(static_cast<size_t>(k));
  const Status st = Guard("searching the vector index",
                          [&] { index_->search(1, query.data(), k, d.data(), l.data()); });
  std::vector<VectorHit> hits;
  if (!st.ok()) return hits;
  for (int i = 0; i < k; ++i) {
    if (l[i] >= 0) hits.push_back({l[i], d[i]});
  }
  return hits;
}

bool VectorIndex::NeedsRebuild() const {
  std::shared_lock lock(mu_);
  const int64_t n = index_->ntotal;
  if (!ivf_) return n >= options_.exact_below;
  return n >= 4 * trained_on_ || n < options_.exact_below / 2;
}

std::vector<int64_t> VectorIndex::Ids() const {
  std::shared_lock lock(mu_);
  return IdsLocked();
}

std::vector<int64_t> VectorIndex::IdsLocked() const {
  std::vector<int64_t> ids;
  if (!ivf_) {
    const auto* map = static_cast<const faiss::IndexIDMap2*>(index_.get());
    ids.assign(map->id_map.begin(), map->id_map.end());
  } else {
    const auto* ivf = static_cast<const faiss::IndexIVFFlat*>(index_.get());
    for (size_t list = 0; list < ivf->nlist; ++list) {
      const size_t size = ivf->invlists->list_size(list);
      const idx_t* list_ids = ivf->invlists->get_ids(list);
      ids.insert(ids.end(), list_ids, list_ids + size);
      ivf->invlists->release_ids(list, list_ids);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Status VectorIndex::Save(const std::string& path) const {
  std::shared_lock lock(mu_);
  const std::string tmp = path + ".tmp";
  KILN_RETURN_IF_ERROR(
      Guard("writing the vector index", [&] { faiss::write_index(index_.get(), tmp.c_str()); }));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Unavailable("renaming " + tmp + " to " + path + " failed");
  }
  return Status::OK();
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path, int64_t dim,
                                                       VectorIndexOptions options) {
  faiss::Index* raw = nullptr;
  Status st = Guard("reading the vector index", [&] { raw = faiss::read_index(path.c_str()); });
  if (!st.ok()) return Corruption(path + ": " + st.message());
  std::unique_ptr<faiss::Index> index(raw);
  if (index->d != dim) {
    return Corruption(path + " holds vectors of dimension " + std::to_string(index->d) + ", not " +
                      std::to_string(dim));
  }
  auto out = std::make_unique<VectorIndex>(dim, options);
  if (auto* map = dynamic_cast<faiss::IndexIDMap2*>(index.get())) {
    if (dynamic_cast<faiss::IndexFlatIP*>(map->index) == nullptr) {
      return Corruption(path + " is not an inner-product flat index");
    }
    out->ivf_ = false;
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVFFlat*>(index.get())) {
    if (ivf->metric_type != faiss::METRIC_INNER_PRODUCT) {
      return Corruption(path + " is not an inner-product index");
    }
    out->ivf_ = true;
    out->trained_on_ = ivf->ntotal;
    out->measured_recall_ = -1;
  } else {
    return Corruption(path + " is not an index kind Kiln writes");
  }
  out->index_ = std::move(index);
  const std::vector<int64_t> ids = out->IdsLocked();
  out->ids_ = std::unordered_set<int64_t>(ids.begin(), ids.end());
  if (out->ids_.size() != ids.size()) return Corruption(path + " holds an id twice");
  return out;
}

}  // namespace kiln::rag
