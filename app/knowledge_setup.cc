#include "app/knowledge_setup.h"

#include "engine/model/model.h"
#include "plugins/net/http_fetch.h"

namespace kiln::app {

EngineEmbedder::EngineEmbedder(const engine::ServedModels::Entry* entry) : entry_(entry) {
  const engine::ModelInfo& info = entry_->model->model->info();
  max_tokens_ = info.n_ctx_train;
  // The width is what the model gives: embed a word once.
  auto probe = entry_->model->model->Embed(
      entry_->model->tokenizer->Encode("kiln", /*add_special=*/true, /*parse_special=*/false));
  dim_ = probe.ok() ? static_cast<int64_t>(probe->size()) : 0;
}

int64_t EngineEmbedder::CountTokens(std::string_view text) const {
  return static_cast<int64_t>(
      entry_->model->tokenizer->Encode(text, /*add_special=*/false, /*parse_special=*/false)
          .size());
}

Result<std::vector<std::vector<float>>> EngineEmbedder::Embed(
    const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const std::string& text : texts) {
    std::vector<int32_t> tokens =
        entry_->model->tokenizer->Encode(text, /*add_special=*/true, /*parse_special=*/false);
    if (static_cast<int64_t>(tokens.size()) > max_tokens_ && max_tokens_ > 1) {
      // Cut to the model's length, keeping the closing special token.
      const int32_t last = tokens.back();
      tokens.resize(static_cast<size_t>(max_tokens_ - 1));
      tokens.push_back(last);
    }
    if (tokens.empty()) return InvalidArgument("nothing to embed");
    KILN_ASSIGN_OR_RETURN(std::vector<float> v, entry_->model->model->Embed(tokens));
    out.push_back(std::move(v));
  }
  return out;
}

std::map<std::string, std::unique_ptr<rag::Embedder>> MakeEmbedders(
    const engine::ServedModels& models) {
  std::map<std::string, std::unique_ptr<rag::Embedder>> out;
  for (const auto& e : models.entries()) {
    if (!e->chat()) out[e->name] = std::make_unique<EngineEmbedder>(e.get());
  }
  return out;
}

std::function<Result<rag::FetchedDocument>(const std::string&, size_t)> MakeFetcher(
    const plugins::FetchOptions& guard) {
  return [guard](const std::string& url, size_t max_bytes) -> Result<rag::FetchedDocument> {
    plugins::FetchOptions options = guard;
    options.max_response_bytes = max_bytes;
    options.timeout_ms = 30000;
    KILN_ASSIGN_OR_RETURN(plugins::FetchResponse r, plugins::HttpFetch(url, options));
    if (r.status < 200 || r.status >= 300) {
      return Unavailable(url + " answered HTTP " + std::to_string(r.status));
    }
    return rag::FetchedDocument{std::move(r.body), r.Header("content-type"), r.final_url};
  };
}

}  // namespace kiln::app
