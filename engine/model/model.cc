#include "engine/model/model.h"

#include <string_view>

namespace kiln::engine {
namespace {

struct Registration {
  std::string_view arch;
  ModelFactory factory;
};

constexpr Registration kArchitectures[] = {
    {"llama", CreateLlama},
    {"gemma3", CreateGemma3},
    {"bert", CreateBert},
};

}  // namespace

Result<std::unique_ptr<Model>> CreateModel(const GgufFile& file) {
  KILN_ASSIGN_OR_RETURN(std::string arch, file.GetString("general.architecture"));
  std::string known;
  for (const Registration& r : kArchitectures) {
    if (r.arch == arch) return r.factory(file);
    known += (known.empty() ? "" : ", ") + std::string(r.arch);
  }
  return InvalidArgument("unknown model architecture '" + arch + "' (Kiln runs " + known + ")");
}

Status Model::Decode(KvCache&, std::span<const int32_t>, float*) const {
  return FailedPrecondition(info_.arch + " is an embedding model; it does not generate text");
}

std::unique_ptr<KvCache> Model::NewCache(int64_t) const { return nullptr; }

Result<std::vector<float>> Model::Embed(std::span<const int32_t>) const {
  return FailedPrecondition(info_.arch + " is a text generation model, not an embedding model");
}

Status Model::CheckDecode(const KvCache& cache, std::span<const int32_t> tokens) const {
  if (tokens.empty()) return InvalidArgument("nothing to decode: no tokens");
  if (cache.size() + static_cast<int64_t>(tokens.size()) > cache.n_ctx()) {
    return InvalidArgument(std::to_string(cache.size() + static_cast<int64_t>(tokens.size())) +
                           " tokens do not fit in the context of " + std::to_string(cache.n_ctx()) +
                           " tokens");
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= info_.n_vocab) {
      return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary of " +
                             std::to_string(info_.n_vocab));
    }
  }
  return Status::OK();
}

}  // namespace kiln::engine
