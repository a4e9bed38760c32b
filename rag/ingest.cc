// KnowledgeService's ingestion workers: parse -> chunk -> embed -> commit.
#include <filesystem>

#include "base/log.h"
#include "base/sha256.h"
#include "rag/chunk/chunker.h"
#include "rag/internal/service_parts.h"
#include "rag/parse/parse.h"

namespace kiln::rag {

void KnowledgeService::WorkerLoop() {
  while (true) {
    uint64_t seen = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || pending_; });
      if (stopping_) return;
      ++busy_;
      seen = added_;
    }
    Result<storage::KnowledgeDocument> doc = store_->knowledge().ClaimQueuedDocument(Now());
    if (doc.ok()) Ingest(std::move(doc).value());
    {
      std::lock_guard lock(mu_);
      --busy_;
      // Nothing claimed: the queue is empty, unless something was queued
      // since this claim began (its wake-up must not be lost).
      if (!doc.ok() && added_ == seen) pending_ = false;
    }
    idle_cv_.notify_all();
    if (!doc.ok() && doc.status().code() != StatusCode::kNotFound) {
      KILN_LOG(WARNING) << "knowledge: claiming a document: " << doc.status().ToString();
    }
    SaveIndexes(/*all=*/false);
  }
}

Status KnowledgeService::FetchDocument(const storage::KnowledgeDocument& doc, std::string* name,
                                       std::string* content_type) {
  if (!options_.fetch) return Unprocessable("documents by URL are not enabled on this server");
  Result<FetchedDocument> fetched = options_.fetch(doc.source_url, options_.max_document_bytes);
  if (!fetched.ok()) {
    return Unprocessable("fetching " + doc.source_url + " failed: " + fetched.status().message());
  }
  if (fetched->bytes.empty()) return Unprocessable(doc.source_url + " returned an empty body");
  *content_type = fetched->content_type;
  // A name without a known extension takes the type's.
  if (!CheckSupportedFormat(*name, "").ok()) {
    const std::string type = content_type->substr(0, content_type->find(';'));
    static const std::pair<const char*, const char*> kByType[] = {
        {"text/html", ".html"},   {"application/pdf", ".pdf"}, {"text/plain", ".txt"},
        {"text/markdown", ".md"}, {"text/csv", ".csv"},        {"application/json", ".json"}};
    for (const auto& [t, ext] : kByType) {
      if (type == t) *name += ext;
    }
  }
  KILN_RETURN_IF_ERROR(CheckSupportedFormat(*name, *content_type));
  KILN_RETURN_IF_ERROR(internal::WriteFileDurably(FilePath(doc.id), fetched->bytes));
  return store_->knowledge().SetFetchedContent(doc.id, *name, *content_type,
                                               static_cast<int64_t>(fetched->bytes.size()),
                                               Sha256Hex(fetched->bytes), Now());
}

void KnowledgeService::Ingest(storage::KnowledgeDocument doc) {
  Status st = IngestOrFail(doc);
  if (st.ok()) return;
  if (st.code() == StatusCode::kNotFound) return;   // deleted while it was being read
  if (st.code() == StatusCode::kCancelled) return;  // stopping: requeued at the next start
  KILN_LOG(INFO) << "knowledge: document " << doc.id << " (" << doc.name
                 << ") failed: " << st.message();
  Status recorded = store_->knowledge().FailDocument(doc.id, st.message(), Now());
  if (!recorded.ok() && recorded.code() != StatusCode::kNotFound) {
    KILN_LOG(WARNING) << "knowledge: recording the failure of " << doc.id << ": "
                      << recorded.ToString();
  }
}

Status KnowledgeService::IngestOrFail(const storage::KnowledgeDocument& doc) {
  storage::KnowledgeRepository& repo = store_->knowledge();
  KILN_ASSIGN_OR_RETURN(storage::KnowledgeBase kb, repo.GetBaseById(doc.knowledge_id));
  KILN_ASSIGN_OR_RETURN(KnowledgeSettings settings, Settings(kb));
  KILN_ASSIGN_OR_RETURN(Embedder * embedder, EmbedderFor(settings));

  std::string name = doc.name, content_type = doc.content_type;
  if (doc.source == "url" && !std::filesystem::exists(FilePath(doc.id))) {
    KILN_RETURN_IF_ERROR(FetchDocument(doc, &name, &content_type));
  }
  Result<std::string> bytes = internal::ReadFile(FilePath(doc.id), options_.max_document_bytes);
  if (!bytes.ok()) {
    return Unprocessable("the stored file is unreadable: " + bytes.status().message());
  }
  ParseLimits limits;
  limits.max_input_bytes = options_.max_document_bytes;
  KILN_ASSIGN_OR_RETURN(ParsedDocument parsed, ParseDocument(*bytes, name, content_type, limits));
  const TokenCounter count = [embedder](std::string_view text) {
    return embedder->CountTokens(text);
  };
  KILN_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, ChunkDocument(parsed, settings.chunking, count));
  if (chunks.empty()) return Unprocessable("the document has no text to index");

  std::vector<storage::StoredChunk> stored(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    stored[i].position = chunks[i].position;
    stored[i].text = std::move(chunks[i].text);
    stored[i].parent_text = std::move(chunks[i].parent_text);
    stored[i].heading_path = std::move(chunks[i].heading_path);
    stored[i].tokens = chunks[i].tokens;
  }
  const int64_t total = static_cast<int64_t>(stored.size());
  KILN_RETURN_IF_ERROR(
      repo.UpdateProgress(doc.id, storage::DocumentStatus::kEmbedding, 0, total, Now()));
  for (size_t begin = 0; begin < stored.size(); begin += options_.embed_batch) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Cancelled("the server is stopping");  // requeued at the next start
    }
    const size_t end = std::min(stored.size(), begin + options_.embed_batch);
    std::vector<std::string> inputs;
    for (size_t i = begin; i < end; ++i) inputs.push_back(internal::EmbeddingInput(stored[i]));
    KILN_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors, embedder->Embed(inputs));
    if (vectors.size() != inputs.size()) return Internal("the embedder returned too few vectors");
    for (size_t i = begin; i < end; ++i) stored[i].embedding = std::move(vectors[i - begin]);
    KILN_RETURN_IF_ERROR(repo.UpdateProgress(doc.id, storage::DocumentStatus::kEmbedding,
                                             static_cast<int64_t>(end), total, Now()));
  }
  // One transaction: chunks, full-text entries, "ready", the replaced document gone.
  KILN_ASSIGN_OR_RETURN(
      std::vector<int64_t> removed,
      repo.CompleteDocument(doc.id, stored, parsed.format, parsed.encoding, Now()));
  if (!doc.replaces.empty()) {
    std::error_code ec;
    std::filesystem::remove(FilePath(doc.replaces), ec);
  }
  // Then the vector index (reconciled at start-up should the process die here).
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<BaseIndex> index,
                        IndexFor(doc.knowledge_id, embedder->dim()));
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  ids.reserve(stored.size());
  vectors.reserve(stored.size() * static_cast<size_t>(embedder->dim()));
  for (const storage::StoredChunk& c : stored) {
    ids.push_back(c.id);
    vectors.insert(vectors.end(), c.embedding.begin(), c.embedding.end());
  }
  KILN_RETURN_IF_ERROR(index->index->Remove(removed));
  KILN_RETURN_IF_ERROR(index->index->Add(ids, vectors));
  {
    std::lock_guard lock(index_mu_);
    index->dirty = true;
  }
  if (index->index->NeedsRebuild()) {
    KILN_RETURN_IF_ERROR(RebuildIndex(doc.knowledge_id, *index));
  }
  return Status::OK();
}

}  // namespace kiln::rag
