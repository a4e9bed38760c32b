// A knowledge base's settings: how its documents are cut, embedded and
// searched. Stored as a JSON object (storage::KnowledgeBase::settings); the
// API takes the same object. Defaults follow Coze's: top-k 3, minimum score
// 0.5 on the normalised 0..1 scale (search.h says how each mode's score is
// normalised).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "rag/chunk/chunker.h"

namespace kiln::rag {

enum class RetrievalMode { kSemantic, kFullText, kHybrid };
std::string_view RetrievalModeName(RetrievalMode mode);  // "semantic", "full_text", "hybrid"
Result<RetrievalMode> ParseRetrievalMode(std::string_view name);

// The default cut: 256 tokens with 25 of overlap. all-MiniLM-L6-v2, the
// default embedding model, was trained on inputs of at most 256 word pieces
// (its model card's max_seq_length): longer chunks embed worse, and a
// Chinese character is a word piece of its own.
ChunkOptions DefaultChunking();

struct KnowledgeSettings {
  ChunkOptions chunking = DefaultChunking();  // chunk_size, chunk_overlap, separators, ...
  RetrievalMode retrieval_mode = RetrievalMode::kHybrid;
  int top_k = 3;           // 1..50
  double min_score = 0.5;  // 0..1
  std::string embedding_model;
};

// The API's JSON object, fields optional (missing ones keep `base`'s value):
//   chunk_size, chunk_overlap (tokens), separators (strings, or {"regex": ...}
//   / {"text": ...} objects), parent_child, child_chunk_size,
//   retrieval_mode, top_k, min_score, embedding_model.
// InvalidArgument names the field ("settings.chunk_size").
Result<KnowledgeSettings> ParseKnowledgeSettings(const nlohmann::json& object,
                                                 const KnowledgeSettings& base);
nlohmann::json KnowledgeSettingsToJson(const KnowledgeSettings& settings);
// Whether two settings cut documents the same way (else stored chunks are stale).
bool SameChunking(const KnowledgeSettings& a, const KnowledgeSettings& b);

}  // namespace kiln::rag
