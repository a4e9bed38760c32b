// KnowledgeService's vector indexes: one per base, loaded or built on first
// use, reconciled with the stored embeddings at start-up, saved when changed.
#include <algorithm>
#include <filesystem>

#include "base/log.h"
#include "rag/internal/service_parts.h"

namespace kiln::rag {
namespace {

// Every stored (id, embedding) of a base, flattened.
struct Stored {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t dim = 0;
};

Result<Stored> LoadStored(storage::Store& store, const std::string& knowledge_id) {
  Stored s;
  Status bad;
  KILN_RETURN_IF_ERROR(
      store.knowledge().ForEachEmbedding(knowledge_id, [&](int64_t id, std::span<const float> e) {
        if (s.dim == 0) s.dim = static_cast<int64_t>(e.size());
        if (static_cast<int64_t>(e.size()) != s.dim) {
          bad = Corruption("chunk " + std::to_string(id) + " has an embedding of another size");
          return;
        }
        s.ids.push_back(id);
        s.vectors.insert(s.vectors.end(), e.begin(), e.end());
      }));
  KILN_RETURN_IF_ERROR(bad);
  return s;
}

}  // namespace

Result<std::shared_ptr<KnowledgeService::BaseIndex>> KnowledgeService::IndexFor(
    const std::string& knowledge_id, int64_t dim) {
  std::lock_guard lock(index_mu_);
  auto it = indexes_.find(knowledge_id);
  if (it != indexes_.end()) {
    if (it->second->index->dim() == dim) return it->second;
    indexes_.erase(it);  // the base changed its embedding model: built again below
  }
  auto entry = std::make_shared<BaseIndex>();
  entry->index = std::make_unique<VectorIndex>(dim, options_.index);
  KILN_ASSIGN_OR_RETURN(Stored stored, LoadStored(*store_, knowledge_id));
  if (!stored.ids.empty() && stored.dim == dim) {
    KILN_RETURN_IF_ERROR(entry->index->Rebuild(stored.ids, stored.vectors));
    entry->dirty = true;
  }
  indexes_[knowledge_id] = entry;
  return entry;
}

Status KnowledgeService::Reconcile(const storage::KnowledgeBase& kb) {
  KILN_ASSIGN_OR_RETURN(Stored stored, LoadStored(*store_, kb.id));
  const std::string path = IndexPath(kb.id);
  std::unique_ptr<VectorIndex> index;
  if (stored.dim > 0 && std::filesystem::exists(path)) {
    Result<std::unique_ptr<VectorIndex>> loaded =
        VectorIndex::Load(path, stored.dim, options_.index);
    if (loaded.ok()) {
      index = std::move(loaded).value();
    } else {
      KILN_LOG(WARNING) << "knowledge: " << loaded.status().message() << "; rebuilding it";
    }
  }
  auto entry = std::make_shared<BaseIndex>();
  if (stored.dim == 0) {  // no chunks yet: the index is made with the first document
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return Status::OK();
  }
  if (index == nullptr) {
    index = std::make_unique<VectorIndex>(stored.dim, options_.index);
    KILN_RETURN_IF_ERROR(index->Rebuild(stored.ids, stored.vectors));
    entry->dirty = true;
  } else {
    // The file may lag the table (a crash after a commit, before a save):
    // add what is missing, remove what is gone.
    const std::vector<int64_t> have = index->Ids();  // sorted
    std::vector<int64_t> extra;
    std::set_difference(have.begin(), have.end(), stored.ids.begin(), stored.ids.end(),
                        std::back_inserter(extra));
    std::vector<int64_t> missing_ids;
    std::vector<float> missing_vectors;
    for (size_t i = 0; i < stored.ids.size(); ++i) {
      if (!std::binary_search(have.begin(), have.end(), stored.ids[i])) {
        missing_ids.push_back(stored.ids[i]);
        missing_vectors.insert(missing_vectors.end(), stored.vectors.begin() + i * stored.dim,
                               stored.vectors.begin() + (i + 1) * stored.dim);
      }
    }
    if (!extra.empty() || !missing_ids.empty()) {
      KILN_LOG(INFO) << "knowledge: index of " << kb.id << " was behind: adding "
                     << missing_ids.size() << ", removing " << extra.size();
      KILN_RETURN_IF_ERROR(index->Remove(extra));
      KILN_RETURN_IF_ERROR(index->Add(missing_ids, missing_vectors));
      entry->dirty = true;
    }
    if (index->NeedsRebuild()) {
      KILN_RETURN_IF_ERROR(index->Rebuild(stored.ids, stored.vectors));
      entry->dirty = true;
    }
  }
  entry->index = std::move(index);
  std::lock_guard lock(index_mu_);
  indexes_[kb.id] = std::move(entry);
  return Status::OK();
}

Status KnowledgeService::RebuildIndex(const std::string& knowledge_id, BaseIndex& index) {
  KILN_ASSIGN_OR_RETURN(Stored stored, LoadStored(*store_, knowledge_id));
  KILN_RETURN_IF_ERROR(index.index->Rebuild(stored.ids, stored.vectors));
  KILN_LOG(INFO) << "knowledge: index of " << knowledge_id << " rebuilt for " << stored.ids.size()
                 << " chunks: " << index.index->Describe();
  std::lock_guard lock(index_mu_);
  index.dirty = true;
  return Status::OK();
}

void KnowledgeService::SaveIndexes(bool all) {
  // Saving writes the whole index, so a busy base is saved at most every few
  // seconds; the table stays the truth in between (Reconcile).
  constexpr auto kMinInterval = std::chrono::seconds(5);
  std::vector<std::pair<std::string, std::shared_ptr<BaseIndex>>> due;
  {
    std::lock_guard lock(index_mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, entry] : indexes_) {
      if (entry->dirty && (all || now - entry->saved >= kMinInterval)) {
        entry->dirty = false;
        entry->saved = now;
        due.emplace_back(id, entry);
      }
    }
  }
  for (auto& [id, entry] : due) {
    Status st = entry->index->Save(IndexPath(id));
    if (!st.ok()) {
      KILN_LOG(WARNING) << "knowledge: saving the index of " << id << ": " << st.ToString();
      std::lock_guard lock(index_mu_);
      entry->dirty = true;
    }
  }
}

}  // namespace kiln::rag
