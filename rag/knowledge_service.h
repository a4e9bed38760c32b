// KnowledgeService: knowledge bases for bots. Takes documents in (stored
// file + a queued row), ingests them on its own worker threads (parse ->
// chunk -> embed in batches -> one transaction that makes the chunks, their
// full-text entries and the document's "ready" visible together -> the FAISS
// index), and answers searches (semantic, full-text, or both fused).
//
// Durability: the uploaded bytes are on disk (fsync'd) before the document's
// row exists, and SQLite is the truth for everything else. A crash or restart
// mid-document puts the document back in the queue (or fails it after
// max_attempts starts), and Start() reconciles each FAISS index with the
// stored embeddings, so no document is ever in one index and not the other
// once the service is up.
//
// Thread-safe. Owns its worker threads (stopped by Stop or the destructor).
// Borrowed: the store and the embedders outlive the service.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/thread_pool.h"
#include "rag/embedder.h"
#include "rag/fulltext_query.h"
#include "rag/knowledge_settings.h"
#include "rag/vector_index.h"
#include "storage/store.h"

namespace kiln::rag {

// What a fetch of a document's URL gives.
struct FetchedDocument {
  std::string bytes;
  std::string content_type;
  std::string final_url;  // after redirects
};

struct KnowledgeServiceOptions {
  std::string data_dir;  // files under data_dir/knowledge/{files,indexes}
  // The embedder of a model name, or null when no such model is loaded.
  std::function<Embedder*(const std::string& model)> embedder;
  std::string default_embedding_model;  // for bases that name none
  // Fetches a document given by URL, on an ingestion worker (app/ passes the
  // plugins' guarded client: no private addresses, size and time limits).
  // Null: URL documents fail with a clear reason.
  std::function<Result<FetchedDocument>(const std::string& url, size_t max_bytes)> fetch;
  int workers = 1;          // ingestion threads
  int max_attempts = 3;     // ingestion starts before a document fails for good
  size_t embed_batch = 16;  // texts per Embed call
  size_t max_document_bytes = 64u << 20;
  VectorIndexOptions index;
  std::function<int64_t()> now;  // unix seconds; default: the clock
};

struct SearchRequest {
  std::string query;
  int top_k = 0;                      // 0: the base's setting
  double min_score = -1;              // < 0: the base's setting
  std::optional<RetrievalMode> mode;  // unset: the base's setting
};

// One chunk found by either retriever.
struct SearchCandidate {
  int semantic_rank = 0;  // 1-based; 0 = not found by it
  int text_rank = 0;
  double semantic = 0;  // cosine, clamped to [0, 1]
  double bm25 = 0;
};

struct SearchHit {
  storage::StoredChunk chunk;
  std::string document_name;
  double score = 0;           // normalised 0..1, what min_score is compared with
  double semantic_score = 0;  // cosine clamped to [0, 1]; 0 when not searched or not found
  double text_score = 0;      // bm25 / the best full-text hit's bm25, 0 when not found by it
  double rank_score = 0;      // what ordered the hits (RRF in hybrid mode)
};

class KnowledgeService {
 public:
  KnowledgeService(storage::Store* store, KnowledgeServiceOptions options);
  ~KnowledgeService();
  KnowledgeService(const KnowledgeService&) = delete;
  KnowledgeService& operator=(const KnowledgeService&) = delete;

  // Requeues interrupted documents, reconciles every index, starts the workers.
  Status Start();
  // Finishes the document in hand, saves the indexes, joins the workers.
  void Stop();

  // ---- knowledge bases ----
  // `settings` is the API's object (may be null: defaults).
  Result<storage::KnowledgeBase> CreateBase(const std::string& workspace_id,
                                            const std::string& name, const std::string& description,
                                            const nlohmann::json& settings);
  // Changes the fields given; a change in how documents are cut or embedded
  // queues every document of the base again (searches use the old chunks
  // until each is done).
  Result<storage::KnowledgeBase> UpdateBase(const std::string& workspace_id, const std::string& id,
                                            const std::optional<std::string>& name,
                                            const std::optional<std::string>& description,
                                            const nlohmann::json& settings);
  Status DeleteBase(const std::string& workspace_id, const std::string& id);
  // The stored settings, parsed.
  Result<KnowledgeSettings> Settings(const storage::KnowledgeBase& kb) const;

  // ---- documents ----
  struct NewDocument {
    std::string name;          // sanitised by the caller
    std::string content_type;  // as sent
    std::string source = "upload";
    std::string source_url;
    std::string bytes;
  };
  // Stores the bytes and queues the document. A document of the same name in
  // the base is replaced once the new one is ready. Unprocessable at once for
  // a format that is not supported or an empty file; TooLarge past the limit.
  Result<storage::KnowledgeDocument> AddDocument(const std::string& workspace_id,
                                                 const std::string& knowledge_id, NewDocument doc);
  Status DeleteDocument(const std::string& workspace_id, const std::string& knowledge_id,
                        const std::string& id);

  // ---- search ----
  // The cheap checks of Search (base, settings, model, query), so that a
  // caller can answer them before running the search elsewhere.
  Status CheckSearch(const std::string& workspace_id, const std::string& knowledge_id,
                     const SearchRequest& request);
  Result<std::vector<SearchHit>> Search(const std::string& workspace_id,
                                        const std::string& knowledge_id,
                                        const SearchRequest& request);

  // Runs `work` on the service's search threads (query embedding is model
  // compute, which never runs on the server's I/O threads).
  void RunSearch(std::function<void()> work);

  // Waits until no document is queued or being ingested (tests, benchmarks).
  void WaitIdle();
  // "flat" / "ivf ..." for a base's vector index ("" when it has none).
  std::string DescribeIndex(const std::string& knowledge_id);

 private:
  struct BaseIndex;
  void WorkerLoop();
  // One document, start to end; its failures are recorded on it.
  void Ingest(storage::KnowledgeDocument doc);
  Status IngestOrFail(const storage::KnowledgeDocument& doc);
  Status FetchDocument(const storage::KnowledgeDocument& doc, std::string* name,
                       std::string* content_type);
  Result<std::shared_ptr<BaseIndex>> IndexFor(const std::string& knowledge_id, int64_t dim);
  Status Reconcile(const storage::KnowledgeBase& kb);
  Status RebuildIndex(const std::string& knowledge_id, BaseIndex& index);
  void SaveIndexes(bool all);
  std::string FilePath(const std::string& doc_id) const;
  std::string IndexPath(const std::string& knowledge_id) const;
  int64_t Now() const;
  Result<Embedder*> EmbedderFor(const KnowledgeSettings& settings) const;
  // The term sample of a base large enough for full-text planning to matter
  // (null below that), drawn again once the base has grown or shrunk by a
  // fifth since.
  std::shared_ptr<const TermSample> TermsFor(const storage::KnowledgeBase& kb);
  // The vector index's best `pool` chunks for the query (nothing in
  // full-text mode), added to `candidates`.
  Status SemanticCandidates(const storage::KnowledgeBase& kb, const KnowledgeSettings& settings,
                            RetrievalMode mode, const std::string& query, int pool,
                            std::map<int64_t, SearchCandidate>* candidates);

  storage::Store* store_;
  KnowledgeServiceOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;       // work arrived, or stopping
  std::condition_variable idle_cv_;  // a worker finished a document
  bool stopping_ = false;            // guarded by mu_
  int busy_ = 0;                     // guarded by mu_: workers holding a document
  bool pending_ = true;              // guarded by mu_: the queue may be non-empty
  uint64_t added_ = 0;               // guarded by mu_: bumped whenever work is queued
  std::vector<std::thread> workers_;
  std::unique_ptr<ThreadPool> searchers_;

  struct SampledTerms {
    std::shared_ptr<const TermSample> sample;
    int64_t chunks = 0;  // the base's size when it was drawn
  };
  std::mutex terms_mu_;
  std::map<std::string, SampledTerms> term_samples_;  // guarded by terms_mu_

  std::mutex index_mu_;  // guards the map, not the indexes (they lock themselves)
  std::map<std::string, std::shared_ptr<BaseIndex>> indexes_;
};

}  // namespace kiln::rag
