// The knowledge service's dependencies from the rest of the program: an
// rag::Embedder over each loaded embedding model (engine/), and document
// fetching through the plugins' guarded HTTP client. Lives in app/ because
// it is the only place that knows both sides (DESIGN.md).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/serve/served_models.h"
#include "plugins/net/http_fetch.h"
#include "rag/knowledge_service.h"

namespace kiln::app {

// rag::Embedder for one embedding model of `models`.
class EngineEmbedder final : public rag::Embedder {
 public:
  explicit EngineEmbedder(const engine::ServedModels::Entry* entry);
  const std::string& model() const override { return entry_->name; }
  int64_t dim() const override { return dim_; }
  int64_t CountTokens(std::string_view text) const override;
  int64_t max_tokens() const override { return max_tokens_; }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override;

 private:
  const engine::ServedModels::Entry* entry_;
  int64_t dim_ = 0;
  int64_t max_tokens_ = 0;
};

// Embedders for every embedding model in `models`, by name.
std::map<std::string, std::unique_ptr<rag::Embedder>> MakeEmbedders(
    const engine::ServedModels& models);

// The service's fetch function: http(s) only, no private addresses unless
// `allow_private`, the document size limit, 30 s.
std::function<Result<rag::FetchedDocument>(const std::string&, size_t)> MakeFetcher(
    const plugins::FetchOptions& guard);

}  // namespace kiln::app
