// ServedModels: the models a server loads at start, by name. A decoder gets
// a Scheduler (its own KV pool, queue and batch); an embedding model is run
// on a small pool of worker threads. Immutable after Load; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/thread_pool.h"
#include "engine/grammar/token_constraint.h"
#include "engine/loaded_model.h"
#include "engine/serve/scheduler.h"

namespace kiln::engine {

struct ModelSpec {
  std::string name;  // what the API's "model" field says
  std::string path;  // GGUF file
};

// Parses "NAME=PATH" (the serve command's --model).
Result<ModelSpec> ParseModelSpec(const std::string& text);

class ServedModels {
 public:
  struct Entry {
    std::string name;
    int64_t created = 0;  // unix seconds when loaded
    std::unique_ptr<LoadedModel> model;
    std::unique_ptr<Scheduler> scheduler;          // decoders only
    std::shared_ptr<const TokenVocabulary> vocab;  // decoders: for constrained output
    bool chat() const { return scheduler != nullptr; }
  };

  // Loads every model; the first failure names the model and file.
  static Result<std::unique_ptr<ServedModels>> Load(const std::vector<ModelSpec>& specs,
                                                    const ServeOptions& options);
  ~ServedModels();

  // The model called `name`, or null.
  const Entry* Find(const std::string& name) const;
  const std::vector<std::unique_ptr<Entry>>& entries() const { return entries_; }

  // Runs `work` on the embedding workers (off the server's I/O threads).
  void RunEmbedding(std::function<void()> work);

 private:
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unique_ptr<ThreadPool> embed_workers_;
};

}  // namespace kiln::engine
