#include "engine/model/model.h"

#include <string_view>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/parallel.h"

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

kernels::cpu::RowSource NormedRows::Source() const {
  auto make = [](const void* ctx, int64_t t, float* out) {
    const auto& r = *static_cast<const NormedRows*>(ctx);
    kernels::cpu::RmsNorm(r.x + t * r.n_embd, r.w, r.eps, r.n_embd, out);
  };
  return {make, this};
}

kernels::cpu::RowSource GluRows::Source() const {
  auto make = [](const void* ctx, int64_t t, float* out) {
    const auto& r = *static_cast<const GluRows*>(ctx);
    const float* g = r.gate + t * r.n_ff;
    const float* u = r.up + t * r.n_ff;
    if (r.act == Act::kSilu) {
      kernels::cpu::SwiGlu(g, u, out, r.n_ff);
    } else {
      kernels::cpu::GeGluTanh(g, u, out, r.n_ff);
    }
  };
  return {make, this};
}

void StoreAndAttend(KvCache& cache, int64_t layer, int64_t pos0, int64_t T,
                    const AttentionShape& shape, const float* q, const float* k, const float* v,
                    int64_t window, float scale, float* out) {
  const int64_t q_dim = shape.n_head * shape.head_dim, kv_dim = cache.kv_dim();
  for (int64_t t = 0; t < T; ++t) cache.Store(layer, pos0 + t, &k[t * kv_dim], &v[t * kv_dim]);
  kernels::cpu::AttentionArgs a;
  a.q = q;
  a.q_stride = q_dim;
  a.k = cache.K(layer, 0);
  a.v = cache.V(layer, 0);
  a.kv_stride = kv_dim;
  a.n_head = shape.n_head;
  a.n_head_kv = shape.n_head_kv;
  a.head_dim = shape.head_dim;
  a.n_q = T;
  a.pos0 = pos0;
  a.window = window;
  a.scale = scale;
  a.out = out;
  a.out_stride = q_dim;
  kernels::cpu::Attention(a, &kernels::cpu::WorkerPool::Default());
}

}  // namespace kiln::engine
