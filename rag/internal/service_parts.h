// Pieces of KnowledgeService shared by its files (knowledge_service.cc,
// ingest.cc, search.cc, indexes.cc). Internal to rag/.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "rag/knowledge_service.h"
#include "rag/vector_index.h"
#include "storage/store.h"

namespace kiln::rag {

// A base's vector index and whether it has changes not yet saved.
struct KnowledgeService::BaseIndex {
  std::unique_ptr<VectorIndex> index;
  bool dirty = false;  // guarded by the service's index_mu_
  std::chrono::steady_clock::time_point saved = std::chrono::steady_clock::now();
};

namespace internal {

// Writes `bytes` to `path` through a temporary file, fsync'd, then renamed:
// the file is complete or absent, also after kill -9 or a power cut.
Status WriteFileDurably(const std::string& path, std::string_view bytes);
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);

// Queues a copy of `old` (a ready document) to be read again from its stored
// bytes; the copy replaces it once ready.
Status RequeueCopy(storage::Store& store, const std::string& workspace_id,
                   const storage::KnowledgeDocument& old, const std::string& old_path,
                   const std::function<std::string(const std::string&)>& path_of, int64_t now);

// A document name for a URL: its last path segment, else its host + ".html".
std::string NameFromUrl(const std::string& url);

// What is embedded for a chunk: its section titles, then its text.
std::string EmbeddingInput(const storage::StoredChunk& chunk);

}  // namespace internal
}  // namespace kiln::rag
