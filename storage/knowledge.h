// Knowledge bases, their documents and the documents' chunks: the records and
// the repository the knowledge pipeline (rag/) stores them through.
//
// SQLite holds the truth: a document's chunks, their embeddings and their
// full-text index entries are written in one transaction together with the
// document becoming ready (CompleteDocument), and deleted in one with it, so
// a document is never half in the full-text index. The FAISS indexes rag/
// keeps are derived from the stored embeddings and reconciled against them.
// Thread-safe, like every repository (store.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "storage/records.h"

namespace kiln::storage {

struct KnowledgeBase {
  std::string id;  // "kb_..."
  std::string workspace_id;
  std::string name;
  std::string description;
  std::string settings;  // a JSON object; its meaning belongs to rag/ (knowledge_settings.h)
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // Computed on read.
  int64_t document_count = 0;
  int64_t chunk_count = 0;
};

enum class DocumentStatus { kQueued, kParsing, kEmbedding, kReady, kFailed };
std::string_view DocumentStatusName(DocumentStatus status);  // "queued", ...

struct KnowledgeDocument {
  std::string id;  // "doc_..."
  std::string knowledge_id;
  std::string name;          // a file name, sanitised
  std::string source;        // "upload", "url" or "text"
  std::string source_url;    // for "url"
  std::string content_type;  // as uploaded or fetched
  int64_t bytes = 0;
  std::string sha256;  // of the stored bytes, lower-case hex
  DocumentStatus status = DocumentStatus::kQueued;
  std::string error;  // why it failed
  int64_t chunks_done = 0;
  int64_t chunks_total = 0;
  std::string format;    // known once parsed
  std::string encoding;  // likewise
  std::string replaces;  // the id of an older document of the same name this one replaces, or ""
  int attempts = 0;      // ingestion runs started
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct StoredChunk {
  int64_t id = 0;  // assigned by the store, never reused; the vector index's id
  std::string knowledge_id;
  std::string document_id;
  int64_t position = 0;
  std::string text;
  std::string parent_text;
  std::vector<std::string> heading_path;
  int64_t tokens = 0;
  std::vector<float> embedding;  // empty when not asked for
};

// A full-text match: the chunk and its bm25 score (higher is better).
struct TextHit {
  int64_t chunk_id = 0;
  double score = 0;
};

class KnowledgeRepository {
 public:
  virtual ~KnowledgeRepository() = default;

  // ---- knowledge bases ----
  virtual Status CreateBase(const KnowledgeBase& kb) = 0;
  virtual Result<KnowledgeBase> GetBase(std::string_view workspace_id, std::string_view id) = 0;
  // Newest first.
  virtual Result<Page<KnowledgeBase>> ListBases(std::string_view workspace_id,
                                                const ListOptions& options) = 0;
  // Reads the base, lets `mutate` change name, description and settings (or
  // refuse with a Status), stores it; all under the writer.
  virtual Result<KnowledgeBase> ModifyBase(std::string_view workspace_id, std::string_view id,
                                           const std::function<Status(KnowledgeBase&)>& mutate) = 0;
  // Deletes the base with its documents and chunks.
  virtual Status DeleteBase(std::string_view workspace_id, std::string_view id) = 0;
  // The base `id` whatever its workspace (ingestion, which works from a
  // document row); NotFound when absent.
  virtual Result<KnowledgeBase> GetBaseById(std::string_view id) = 0;
  // Every base of every workspace (start-up reconciliation).
  virtual Result<std::vector<KnowledgeBase>> AllBases() = 0;

  // ---- documents ----
  // Inserts a queued document. The base must exist in the workspace (NotFound).
  virtual Status CreateDocument(std::string_view workspace_id, const KnowledgeDocument& doc) = 0;
  virtual Result<KnowledgeDocument> GetDocument(std::string_view workspace_id,
                                                std::string_view knowledge_id,
                                                std::string_view id) = 0;
  virtual Result<Page<KnowledgeDocument>> ListDocuments(std::string_view workspace_id,
                                                        std::string_view knowledge_id,
                                                        const ListOptions& options) = 0;
  // The ready document of this name in the base, if any (for re-uploads).
  virtual Result<std::vector<KnowledgeDocument>> FindDocumentsByName(std::string_view knowledge_id,
                                                                     std::string_view name) = 0;
  // Deletes the document and its chunks; returns the chunk ids removed.
  virtual Result<std::vector<int64_t>> DeleteDocument(std::string_view workspace_id,
                                                      std::string_view knowledge_id,
                                                      std::string_view id) = 0;

  // ---- ingestion ----
  // Takes the oldest queued document: it becomes kParsing with attempts + 1.
  // NotFound when none is queued.
  virtual Result<KnowledgeDocument> ClaimQueuedDocument(int64_t now) = 0;
  // After a restart: documents left kParsing or kEmbedding go back to the
  // queue, or fail once they have been started max_attempts times (a file
  // that crashes the process must not do so forever). Returns how many.
  virtual Result<int64_t> RequeueInterrupted(int max_attempts, int64_t now) = 0;
  virtual Status UpdateProgress(std::string_view id, DocumentStatus status, int64_t chunks_done,
                                int64_t chunks_total, int64_t now) = 0;
  // One transaction: the chunks (ids assigned and written back), the
  // document ready with its format and encoding, and the document it
  // replaces deleted with its chunks. NotFound (nothing written) when the
  // document was deleted meanwhile. Returns the ids of the chunks removed
  // with the replaced document.
  virtual Result<std::vector<int64_t>> CompleteDocument(std::string_view id,
                                                        std::vector<StoredChunk>& chunks,
                                                        std::string_view format,
                                                        std::string_view encoding, int64_t now) = 0;
  virtual Status FailDocument(std::string_view id, std::string_view reason, int64_t now) = 0;
  // A URL document once fetched: what it turned out to be.
  virtual Status SetFetchedContent(std::string_view id, std::string_view name,
                                   std::string_view content_type, int64_t bytes,
                                   std::string_view sha256, int64_t now) = 0;

  // ---- chunks ----
  // The chunks with these ids that belong to the base, in the order asked
  // (missing ones skipped), without embeddings.
  virtual Result<std::vector<StoredChunk>> GetChunks(std::string_view knowledge_id,
                                                     const std::vector<int64_t>& ids) = 0;
  // A document's chunks in order (cursor: the last position seen), without
  // embeddings. NotFound when the document is not in the workspace's base.
  virtual Result<Page<StoredChunk>> ListDocumentChunks(std::string_view workspace_id,
                                                       std::string_view knowledge_id,
                                                       std::string_view document_id,
                                                       const ListOptions& options) = 0;
  // Calls `fn(id, embedding)` for every chunk of the base, in id order.
  virtual Status ForEachEmbedding(
      std::string_view knowledge_id,
      const std::function<void(int64_t id, std::span<const float> embedding)>& fn) = 0;
  // Full-text search in the base: `match` is an FTS5 query over the index of
  // fulltext_tokens.h (empty: skip), `substrings` are searched by plain
  // substring (single characters, which the index only holds where they stand
  // alone). At most `limit` hits, best first.
  virtual Result<std::vector<TextHit>> SearchText(std::string_view knowledge_id,
                                                  std::string_view match,
                                                  const std::vector<std::string>& substrings,
                                                  int limit) = 0;
  // The texts of up to `n` chunks of the base chosen at random (the term
  // statistics that full-text queries are planned with).
  virtual Result<std::vector<std::string>> SampleChunkTexts(std::string_view knowledge_id,
                                                            int n) = 0;
};

}  // namespace kiln::storage
