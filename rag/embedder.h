// Embedder: what the knowledge pipeline needs from an embedding model. rag/
// declares it and app/ hands it one backed by the engine (DESIGN.md: neither
// knows the other); tests can give a simple one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::rag {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // The model's name as knowledge settings name it ("all-minilm-l6-v2").
  virtual const std::string& model() const = 0;
  virtual int64_t dim() const = 0;
  // Tokens of `text` for this model (chunk sizes are counted with it).
  virtual int64_t CountTokens(std::string_view text) const = 0;
  // Inputs longer than this many tokens are cut to it.
  virtual int64_t max_tokens() const = 0;
  // L2-normalised embeddings of `texts`, dim() floats each, in order. Runs
  // the model on the caller's thread (or waits for its workers).
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
};

}  // namespace kiln::rag
