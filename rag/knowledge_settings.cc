#include "rag/knowledge_settings.h"

#include <algorithm>

namespace kiln::rag {
namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& message) {
  return InvalidArgument("settings." + field + " " + message, "settings." + field);
}

Result<int64_t> Integer(const json& v, const std::string& field, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return Bad(field, "must be an integer");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) {
    return Bad(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return x;
}

Result<std::vector<Separator>> Separators(const json& v) {
  if (!v.is_array()) return Bad("separators", "must be an array");
  std::vector<Separator> out;
  for (const json& s : v) {
    Separator sep;
    if (s.is_string()) {
      sep.pattern = s.get<std::string>();
    } else if (s.is_object() && s.size() == 1 && s.contains("regex") && s["regex"].is_string()) {
      sep.pattern = s["regex"].get<std::string>();
      sep.regex = true;
    } else if (s.is_object() && s.size() == 1 && s.contains("text") && s["text"].is_string()) {
      sep.pattern = s["text"].get<std::string>();
    } else {
      return Bad("separators", "items must be strings or {\"regex\": ...} / {\"text\": ...}");
    }
    out.push_back(std::move(sep));
  }
  return out;
}

}  // namespace

ChunkOptions DefaultChunking() {
  ChunkOptions o;
  o.max_tokens = 256;
  o.overlap_tokens = 25;
  o.child_max_tokens = 64;
  return o;
}

std::string_view RetrievalModeName(RetrievalMode mode) {
  switch (mode) {
    case RetrievalMode::kSemantic:
      return "semantic";
    case RetrievalMode::kFullText:
      return "full_text";
    case RetrievalMode::kHybrid:
      return "hybrid";
  }
  return "hybrid";
}

Result<RetrievalMode> ParseRetrievalMode(std::string_view name) {
  for (RetrievalMode m :
       {RetrievalMode::kSemantic, RetrievalMode::kFullText, RetrievalMode::kHybrid}) {
    if (RetrievalModeName(m) == name) return m;
  }
  return InvalidArgument("retrieval mode must be semantic, full_text or hybrid, not '" +
                         std::string(name) + "'");
}

Result<KnowledgeSettings> ParseKnowledgeSettings(const json& object,
                                                 const KnowledgeSettings& base) {
  if (!object.is_object()) return InvalidArgument("settings must be an object", "settings");
  KnowledgeSettings s = base;
  for (const auto& [key, v] : object.items()) {
    if (key == "chunk_size") {
      KILN_ASSIGN_OR_RETURN(s.chunking.max_tokens, Integer(v, key, 16, 8192));
    } else if (key == "chunk_overlap") {
      KILN_ASSIGN_OR_RETURN(s.chunking.overlap_tokens, Integer(v, key, 0, 4096));
    } else if (key == "child_chunk_size") {
      KILN_ASSIGN_OR_RETURN(s.chunking.child_max_tokens, Integer(v, key, 8, 8192));
    } else if (key == "separators") {
      KILN_ASSIGN_OR_RETURN(s.chunking.separators, Separators(v));
    } else if (key == "parent_child") {
      if (!v.is_boolean()) return Bad(key, "must be true or false");
      s.chunking.parent_child = v.get<bool>();
    } else if (key == "retrieval_mode") {
      if (!v.is_string()) return Bad(key, "must be a string");
      Result<RetrievalMode> mode = ParseRetrievalMode(v.get<std::string>());
      if (!mode.ok()) return Bad(key, "must be semantic, full_text or hybrid");
      s.retrieval_mode = *mode;
    } else if (key == "top_k") {
      KILN_ASSIGN_OR_RETURN(int64_t k, Integer(v, key, 1, 50));
      s.top_k = static_cast<int>(k);
    } else if (key == "min_score") {
      if (!v.is_number()) return Bad(key, "must be a number");
      s.min_score = v.get<double>();
      if (!(s.min_score >= 0 && s.min_score <= 1)) return Bad(key, "must be between 0 and 1");
    } else if (key == "embedding_model") {
      if (!v.is_string() || v.get<std::string>().empty()) return Bad(key, "must be a model name");
      s.embedding_model = v.get<std::string>();
    } else {
      return Bad(key, "is not a knowledge base setting");
    }
  }
  // A new chunk size alone keeps the overlap in proportion (at most a tenth
  // of it), so that setting the size never needs the overlap too.
  if (object.contains("chunk_size") && !object.contains("chunk_overlap")) {
    s.chunking.overlap_tokens = std::min(s.chunking.overlap_tokens, s.chunking.max_tokens / 10);
  }
  if (object.contains("chunk_size") && !object.contains("child_chunk_size")) {
    s.chunking.child_max_tokens = std::min(s.chunking.child_max_tokens, s.chunking.max_tokens);
  }
  Status chunking = ValidateChunkOptions(s.chunking);
  if (!chunking.ok()) {
    return InvalidArgument(chunking.message(), "settings." + chunking.param());
  }
  return s;
}

json KnowledgeSettingsToJson(const KnowledgeSettings& s) {
  json seps = json::array();
  for (const Separator& sep : s.chunking.separators) {
    if (sep.regex) {
      seps.push_back({{"regex", sep.pattern}});
    } else {
      seps.push_back(sep.pattern);
    }
  }
  return {{"chunk_size", s.chunking.max_tokens},
          {"chunk_overlap", s.chunking.overlap_tokens},
          {"separators", seps},
          {"parent_child", s.chunking.parent_child},
          {"child_chunk_size", s.chunking.child_max_tokens},
          {"retrieval_mode", RetrievalModeName(s.retrieval_mode)},
          {"top_k", s.top_k},
          {"min_score", s.min_score},
          {"embedding_model", s.embedding_model}};
}

bool SameChunking(const KnowledgeSettings& a, const KnowledgeSettings& b) {
  return KnowledgeSettingsToJson(a)["separators"] == KnowledgeSettingsToJson(b)["separators"] &&
         a.chunking.max_tokens == b.chunking.max_tokens &&
         a.chunking.overlap_tokens == b.chunking.overlap_tokens &&
         a.chunking.parent_child == b.chunking.parent_child &&
         a.chunking.child_max_tokens == b.chunking.child_max_tokens &&
         a.embedding_model == b.embedding_model;
}

}  // namespace kiln::rag
