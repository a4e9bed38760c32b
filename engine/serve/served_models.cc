#include "engine/serve/served_models.h"

#include <ctime>

namespace kiln::engine {

Result<ModelSpec> ParseModelSpec(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("--model takes NAME=PATH, not '" + text + "'");
  }
  ModelSpec spec{text.substr(0, eq), text.substr(eq + 1)};
  for (char c : spec.name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
    if (!ok)
      return InvalidArgument("model name '" + spec.name +
                             "' has a character other than A-Z a-z 0-9 - _ . : /");
  }
  return spec;
}

Result<std::unique_ptr<ServedModels>> ServedModels::Load(const std::vector<ModelSpec>& specs,
                                                         const ServeOptions& options) {
  auto served = std::unique_ptr<ServedModels>(new ServedModels());
  for (const ModelSpec& spec : specs) {
    if (served->Find(spec.name) != nullptr) {
      return InvalidArgument("two models are called '" + spec.name + "'");
    }
    auto loaded = LoadModel(spec.path);
    if (!loaded.ok()) {
      return Status(loaded.status().code(),
                    "model '" + spec.name + "' (" + spec.path + "): " + loaded.status().message());
    }
    auto entry = std::make_unique<Entry>();
    entry->name = spec.name;
    entry->created = static_cast<int64_t>(std::time(nullptr));
    entry->model = std::move(loaded).value();
    if (entry->model->model->info().causal) {
      entry->scheduler = std::make_unique<Scheduler>(*entry->model, options);
      entry->vocab = std::make_shared<const TokenVocabulary>(*entry->model->tokenizer);
    }
    served->entries_.push_back(std::move(entry));
  }
  served->embed_workers_ = std::make_unique<ThreadPool>(1);
  return served;
}

ServedModels::~ServedModels() {
  embed_workers_.reset();  // finish embedding work before the models go
  for (auto& e : entries_) e->scheduler.reset();
}

const ServedModels::Entry* ServedModels::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

void ServedModels::RunEmbedding(std::function<void()> work) {
  // Past shutdown the pool refuses work: run it here so that its stream ends.
  auto shared = std::make_shared<std::function<void()>>(std::move(work));
  if (!embed_workers_->Submit([shared] { (*shared)(); })) (*shared)();
}

}  // namespace kiln::engine
