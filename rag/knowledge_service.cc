#include "rag/knowledge_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "base/sha256.h"
#include "rag/internal/service_parts.h"
#include "rag/parse/parse.h"

namespace kiln::rag {

namespace fs = std::filesystem;

KnowledgeService::KnowledgeService(storage::Store* store, KnowledgeServiceOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.workers < 1) options_.workers = 1;
  if (options_.embed_batch < 1) options_.embed_batch = 1;
}

KnowledgeService::~KnowledgeService() { Stop(); }

int64_t KnowledgeService::Now() const { return options_.now ? options_.now() : UnixSeconds(); }

std::string KnowledgeService::FilePath(const std::string& doc_id) const {
  return options_.data_dir + "/knowledge/files/" + doc_id;
}

std::string KnowledgeService::IndexPath(const std::string& knowledge_id) const {
  return options_.data_dir + "/knowledge/indexes/" + knowledge_id + ".faiss";
}

Status KnowledgeService::Start() {
  std::error_code ec;
  for (const char* sub : {"/knowledge/files", "/knowledge/indexes"}) {
    fs::create_directories(options_.data_dir + sub, ec);
    if (ec) return Unavailable("cannot create " + options_.data_dir + sub + ": " + ec.message());
  }
  KILN_ASSIGN_OR_RETURN(int64_t requeued,
                        store_->knowledge().RequeueInterrupted(options_.max_attempts, Now()));
  if (requeued > 0) {
    KILN_LOG(INFO) << "knowledge: " << requeued << " interrupted document(s) requeued or failed";
  }
  KILN_ASSIGN_OR_RETURN(std::vector<storage::KnowledgeBase> bases, store_->knowledge().AllBases());
  std::set<std::string> live_bases;
  for (const storage::KnowledgeBase& kb : bases) {
    live_bases.insert(kb.id);
    Status st = Reconcile(kb);
    if (!st.ok()) {
      KILN_LOG(WARNING) << "knowledge: index of " << kb.id << ": " << st.ToString();
    }
  }
  // Index files of bases deleted while the process was down.
  for (const auto& entry : fs::directory_iterator(options_.data_dir + "/knowledge/indexes", ec)) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() == ".faiss" && live_bases.count(stem) == 0) {
      fs::remove(entry.path(), ec);
    }
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
    pending_ = true;
  }
  searchers_ = std::make_unique<ThreadPool>(2);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return Status::OK();
}

void KnowledgeService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  searchers_.reset();  // runs what is queued, then joins
  SaveIndexes(/*all=*/true);
}

void KnowledgeService::RunSearch(std::function<void()> work) {
  // Past Stop (or before Start) the caller's thread does it.
  auto shared = std::make_shared<std::function<void()>>(std::move(work));
  if (searchers_ == nullptr || !searchers_->Submit([shared] { (*shared)(); })) (*shared)();
}

void KnowledgeService::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return stopping_ || (!pending_ && busy_ == 0); });
}

Result<KnowledgeSettings> KnowledgeService::Settings(const storage::KnowledgeBase& kb) const {
  KnowledgeSettings defaults;
  defaults.embedding_model = options_.default_embedding_model;
  nlohmann::json stored = nlohmann::json::parse(kb.settings, nullptr, false);
  if (stored.is_discarded()) return Corruption("settings of " + kb.id + " are not JSON");
  return ParseKnowledgeSettings(stored, defaults);
}

Result<Embedder*> KnowledgeService::EmbedderFor(const KnowledgeSettings& settings) const {
  Embedder* e = options_.embedder ? options_.embedder(settings.embedding_model) : nullptr;
  if (e == nullptr) {
    return FailedPrecondition("embedding model '" + settings.embedding_model +
                              "' is not loaded on this server");
  }
  return e;
}

Result<storage::KnowledgeBase> KnowledgeService::CreateBase(const std::string& workspace_id,
                                                            const std::string& name,
                                                            const std::string& description,
                                                            const nlohmann::json& settings) {
  KnowledgeSettings defaults;
  defaults.embedding_model = options_.default_embedding_model;
  KILN_ASSIGN_OR_RETURN(
      KnowledgeSettings parsed,
      ParseKnowledgeSettings(settings.is_null() ? nlohmann::json::object() : settings, defaults));
  if (!options_.embedder || options_.embedder(parsed.embedding_model) == nullptr) {
    return InvalidArgument(
        "embedding model '" + parsed.embedding_model + "' is not loaded on this server",
        "settings.embedding_model");
  }
  storage::KnowledgeBase kb;
  kb.id = NewId("kb");
  kb.workspace_id = workspace_id;
  kb.name = name;
  kb.description = description;
  kb.settings = KnowledgeSettingsToJson(parsed).dump();
  kb.created_at = kb.updated_at = Now();
  KILN_RETURN_IF_ERROR(store_->knowledge().CreateBase(kb));
  return kb;
}

Result<storage::KnowledgeBase> KnowledgeService::UpdateBase(
    const std::string& workspace_id, const std::string& id, const std::optional<std::string>& name,
    const std::optional<std::string>& description, const nlohmann::json& settings) {
  bool rechunk = false;
  Result<storage::KnowledgeBase> kb =
      store_->knowledge().ModifyBase(workspace_id, id, [&](storage::KnowledgeBase& kb) -> Status {
        if (name) kb.name = *name;
        if (description) kb.description = *description;
        if (!settings.is_null()) {
          KILN_ASSIGN_OR_RETURN(KnowledgeSettings old, Settings(kb));
          KILN_ASSIGN_OR_RETURN(KnowledgeSettings next, ParseKnowledgeSettings(settings, old));
          if (!options_.embedder || options_.embedder(next.embedding_model) == nullptr) {
            return InvalidArgument(
                "embedding model '" + next.embedding_model + "' is not loaded on this server",
                "settings.embedding_model");
          }
          rechunk = !SameChunking(old, next);
          kb.settings = KnowledgeSettingsToJson(next).dump();
        }
        kb.updated_at = Now();
        return Status::OK();
      });
  if (!kb.ok() || !rechunk) return kb;
  // Each ready document is read again under the new settings: a new document
  // row replacing it, from the same stored bytes.
  storage::ListOptions page;
  page.limit = 100;
  std::vector<storage::KnowledgeDocument> docs;
  while (true) {
    KILN_ASSIGN_OR_RETURN(auto list, store_->knowledge().ListDocuments(workspace_id, id, page));
    docs.insert(docs.end(), list.items.begin(), list.items.end());
    if (!list.has_more) break;
    page.cursor = list.next_cursor;
  }
  for (const storage::KnowledgeDocument& old : docs) {
    if (old.status != storage::DocumentStatus::kReady) continue;
    Status st = internal::RequeueCopy(
        *store_, workspace_id, old, FilePath(old.id),
        [this](const std::string& doc_id) { return FilePath(doc_id); }, Now());
    if (!st.ok()) {
      KILN_LOG(WARNING) << "knowledge: re-reading " << old.id << ": " << st.ToString();
    }
  }
  {
    std::lock_guard lock(mu_);
    pending_ = true;
    ++added_;
  }
  cv_.notify_all();
  return kb;
}

Status KnowledgeService::DeleteBase(const std::string& workspace_id, const std::string& id) {
  storage::ListOptions page;
  page.limit = 100;
  std::vector<std::string> doc_ids;
  while (true) {
    KILN_ASSIGN_OR_RETURN(auto list, store_->knowledge().ListDocuments(workspace_id, id, page));
    for (const auto& d : list.items) doc_ids.push_back(d.id);
    if (!list.has_more) break;
    page.cursor = list.next_cursor;
  }
  KILN_RETURN_IF_ERROR(store_->knowledge().DeleteBase(workspace_id, id));
  {
    std::lock_guard lock(index_mu_);
    indexes_.erase(id);
  }
  std::error_code ec;
  fs::remove(IndexPath(id), ec);
  for (const std::string& d : doc_ids) fs::remove(FilePath(d), ec);
  return Status::OK();
}

Result<storage::KnowledgeDocument> KnowledgeService::AddDocument(const std::string& workspace_id,
                                                                 const std::string& knowledge_id,
                                                                 NewDocument in) {
  const bool by_url = in.source == "url";
  if (by_url) {
    // Fetched by a worker (never on the caller's thread); named after the URL.
    if (in.name.empty()) in.name = internal::NameFromUrl(in.source_url);
  } else {
    if (in.bytes.empty()) return Unprocessable("the file " + in.name + " is empty", "file");
    if (in.bytes.size() > options_.max_document_bytes) {
      return TooLarge("the file " + in.name + " is larger than " +
                      std::to_string(options_.max_document_bytes >> 20) + " MiB");
    }
    KILN_RETURN_IF_ERROR(CheckSupportedFormat(in.name, in.content_type));
  }
  KILN_ASSIGN_OR_RETURN(storage::KnowledgeBase kb,
                        store_->knowledge().GetBase(workspace_id, knowledge_id));
  storage::KnowledgeDocument doc;
  doc.id = NewId("doc");
  doc.knowledge_id = kb.id;
  doc.name = in.name;
  doc.source = in.source;
  doc.source_url = in.source_url;
  doc.content_type = in.content_type;
  doc.bytes = static_cast<int64_t>(in.bytes.size());
  doc.sha256 = by_url ? "" : Sha256Hex(in.bytes);
  doc.created_at = doc.updated_at = Now();
  KILN_ASSIGN_OR_RETURN(std::vector<storage::KnowledgeDocument> same,
                        store_->knowledge().FindDocumentsByName(kb.id, doc.name));
  if (!same.empty()) doc.replaces = same.back().id;
  // The bytes are durable before the row that points at them exists.
  if (!by_url) KILN_RETURN_IF_ERROR(internal::WriteFileDurably(FilePath(doc.id), in.bytes));
  Status st = store_->knowledge().CreateDocument(workspace_id, doc);
  if (!st.ok()) {
    std::error_code ec;
    fs::remove(FilePath(doc.id), ec);
    return st;
  }
  {
    std::lock_guard lock(mu_);
    pending_ = true;
    ++added_;
  }
  cv_.notify_one();
  return doc;
}

Status KnowledgeService::DeleteDocument(const std::string& workspace_id,
                                        const std::string& knowledge_id, const std::string& id) {
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> removed,
                        store_->knowledge().DeleteDocument(workspace_id, knowledge_id, id));
  std::error_code ec;
  fs::remove(FilePath(id), ec);
  std::lock_guard lock(index_mu_);
  auto it = indexes_.find(knowledge_id);
  if (it != indexes_.end()) {
    KILN_RETURN_IF_ERROR(it->second->index->Remove(removed));
    it->second->dirty = true;
  }
  return Status::OK();
}

std::string KnowledgeService::DescribeIndex(const std::string& knowledge_id) {
  std::lock_guard lock(index_mu_);
  auto it = indexes_.find(knowledge_id);
  return it == indexes_.end() ? "" : it->second->index->Describe();
}

}  // namespace kiln::rag
