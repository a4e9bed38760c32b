#include "engine/model/model.h"

#include <algorithm>
#include <cmath>
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

Status Model::Decode(KvCache& cache, std::span<const int32_t> tokens, float* logits) const {
  if (tokens.empty()) return InvalidArgument("nothing to decode: no tokens");
  const int64_t end = cache.size() + static_cast<int64_t>(tokens.size());
  if (info_.causal && end > cache.n_ctx()) {  // checked whole before any batch runs
    return InvalidArgument(std::to_string(end) + " tokens do not fit in the context of " +
                           std::to_string(cache.n_ctx()) + " tokens");
  }
  for (size_t i = 0; i < tokens.size(); i += kMaxBatch) {
    const auto batch = tokens.subspan(i, std::min<size_t>(kMaxBatch, tokens.size() - i));
    const bool last = i + batch.size() == tokens.size();
    const SequenceInput one{&cache, batch, last ? logits : nullptr};
    KILN_RETURN_IF_ERROR(Forward({&one, 1}));
  }
  return Status::OK();
}

Status Model::Forward(std::span<const SequenceInput> seqs) const {
  if (!info_.causal) {
    return FailedPrecondition(info_.arch + " is an embedding model; it does not generate text");
  }
  if (seqs.empty()) return InvalidArgument("nothing to decode: no sequences");
  for (size_t i = 0; i < seqs.size(); ++i) {
    const SequenceInput& s = seqs[i];
    if (s.cache == nullptr) return InvalidArgument("a sequence has no KV cache");
    if (s.cache->kv_dim() != info_.kv_dim || s.cache->pool().n_layer() != info_.n_layer) {
      return InvalidArgument("a KV cache of another model");
    }
    for (size_t j = 0; j < i; ++j) {
      if (seqs[j].cache == s.cache) return InvalidArgument("one KV cache twice in a batch");
    }
    if (s.tokens.empty()) return InvalidArgument("nothing to decode: no tokens");
    const int64_t end = s.cache->size() + static_cast<int64_t>(s.tokens.size());
    if (end > s.cache->n_ctx()) {
      return InvalidArgument(std::to_string(end) + " tokens do not fit in the context of " +
                             std::to_string(s.cache->n_ctx()) + " tokens");
    }
    for (int32_t t : s.tokens) {
      if (t < 0 || t >= info_.n_vocab) {
        return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary of " +
                               std::to_string(info_.n_vocab));
      }
    }
  }
  for (const SequenceInput& s : seqs) {
    if (!s.cache->Reserve(s.cache->size() + static_cast<int64_t>(s.tokens.size()))) {
      return ResourceExhausted("the KV cache is full (" +
                               std::to_string(s.cache->pool().n_pages()) + " pages of " +
                               std::to_string(s.cache->pool().page_size()) + " positions)");
    }
  }
  RunBatch(seqs);
  for (const SequenceInput& s : seqs) {
    s.cache->set_size(s.cache->size() + static_cast<int64_t>(s.tokens.size()));
  }
  return Status::OK();
}

void Model::RunBatch(std::span<const SequenceInput>) const {
  KILN_CHECK(false) << "RunBatch on a model without a decoder";
}

std::unique_ptr<KvCache> Model::NewCache(int64_t n_ctx) const {
  if (!info_.causal) return nullptr;
  n_ctx = std::min(n_ctx, info_.n_ctx_train);
  return std::make_unique<KvCache>(info_.n_layer, n_ctx, info_.kv_dim);
}

std::shared_ptr<KvPool> Model::NewKvPool(int64_t n_pages) const {
  if (!info_.causal) return nullptr;
  return std::make_shared<KvPool>(info_.n_layer, info_.kv_dim, kKvPageSize, n_pages);
}

std::unique_ptr<KvCache> Model::NewCache(std::shared_ptr<KvPool> pool, int64_t n_ctx) const {
  if (!info_.causal || pool == nullptr) return nullptr;
  return std::make_unique<KvCache>(std::move(pool), std::min(n_ctx, info_.n_ctx_train));
}

Result<std::vector<float>> Model::Embed(std::span<const int32_t>) const {
  return FailedPrecondition(info_.arch + " is a text generation model, not an embedding model");
}

BatchLayout::BatchLayout(std::span<const SequenceInput> seqs) {
  begin.push_back(0);
  for (const SequenceInput& s : seqs) {
    const int64_t pos0 = s.cache->size();
    for (size_t i = 0; i < s.tokens.size(); ++i) {
      pos.push_back(pos0 + static_cast<int64_t>(i));
      ids.push_back(s.tokens[i]);
    }
    begin.push_back(static_cast<int64_t>(pos.size()));
    if (s.logits != nullptr) {
      logit_rows.push_back(begin.back() - 1);
      logit_out.push_back(s.logits);
    }
  }
}

Status LoadDecoderProjections(WeightLoader& w, const std::string& b, const DecoderDims& d,
                              DecoderProjections* out) {
  const int64_t q_dim = d.n_head * d.head_dim, kv_dim = d.n_head_kv * d.head_dim;
  KILN_ASSIGN_OR_RETURN(out->wq, w.Matrix(b + "attn_q.weight", d.n_embd, q_dim));
  KILN_ASSIGN_OR_RETURN(out->wk, w.Matrix(b + "attn_k.weight", d.n_embd, kv_dim));
  KILN_ASSIGN_OR_RETURN(out->wv, w.Matrix(b + "attn_v.weight", d.n_embd, kv_dim));
  KILN_ASSIGN_OR_RETURN(out->wo, w.Matrix(b + "attn_output.weight", q_dim, d.n_embd));
  KILN_ASSIGN_OR_RETURN(out->gate, w.Matrix(b + "ffn_gate.weight", d.n_embd, d.n_ff));
  KILN_ASSIGN_OR_RETURN(out->up, w.Matrix(b + "ffn_up.weight", d.n_embd, d.n_ff));
  KILN_ASSIGN_OR_RETURN(out->down, w.Matrix(b + "ffn_down.weight", d.n_ff, d.n_embd));
  return Status::OK();
}

Result<int64_t> VocabFromEmbedding(const GgufFile& file) {
  const GgufTensor* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr || embd->dims.size() != 2) {
    return InvalidArgument("the model has no 2-D tensor 'token_embd.weight'");
  }
  return embd->dims[1];
}

void DecoderScratch::Resize(const DecoderDims& d, int64_t T, int64_t n_logits) {
  const auto n = [T](int64_t width) { return static_cast<size_t>(T * width); };
  x.resize(n(d.n_embd));
  q.resize(n(d.n_head * d.head_dim));
  k.resize(n(d.n_head_kv * d.head_dim));
  v.resize(n(d.n_head_kv * d.head_dim));
  attn.resize(n(d.n_head * d.head_dim));
  o.resize(n(d.n_embd));
  g.resize(n(d.n_ff));
  u.resize(n(d.n_ff));
  h.resize(static_cast<size_t>(n_logits * d.n_embd));
  logits.resize(static_cast<size_t>(n_logits * d.n_vocab));
}

void WriteLogits(const BatchLayout& b, const DecoderDims& d, const float* norm, float eps,
                 const Weight& output, DecoderScratch& s) {
  const int64_t n = static_cast<int64_t>(b.logit_rows.size()), E = d.n_embd;
  if (n == 0) return;
  for (int64_t i = 0; i < n; ++i) {
    kernels::cpu::RmsNorm(&s.x[b.logit_rows[static_cast<size_t>(i)] * E], norm, eps, E,
                          &s.h[i * E]);
  }
  Project({{&output, s.logits.data()}}, s.h.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(&s.logits[i * d.n_vocab], d.n_vocab, b.logit_out[static_cast<size_t>(i)]);
  }
}

void L2Normalize(std::span<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
  for (float& x : v) x *= inv;
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

void StoreAndAttend(std::span<const SequenceInput> seqs, const BatchLayout& b, int64_t layer,
                    const AttentionShape& shape, const float* q, const float* k, const float* v,
                    int64_t window, float scale, float* out) {
  const int64_t q_dim = shape.n_head * shape.head_dim, kv_dim = shape.n_head_kv * shape.head_dim;
  std::vector<kernels::cpu::AttentionArgs> args(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    KvCache& cache = *seqs[i].cache;
    const int64_t t0 = b.begin[i], T = b.begin[i + 1] - t0, pos0 = cache.size();
    for (int64_t t = 0; t < T; ++t) {
      cache.Store(layer, pos0 + t, &k[(t0 + t) * kv_dim], &v[(t0 + t) * kv_dim]);
    }
    kernels::cpu::AttentionArgs& a = args[i];
    const KvPool& pool = cache.pool();
    a.q = q + t0 * q_dim;
    a.q_stride = q_dim;
    a.k = pool.LayerK(layer);
    a.v = pool.LayerV(layer);
    a.kv_stride = kv_dim;
    a.pages = cache.pages().data();
    a.page_size = pool.page_size();
    a.page_stride = pool.page_elems();
    a.n_head = shape.n_head;
    a.n_head_kv = shape.n_head_kv;
    a.head_dim = shape.head_dim;
    a.n_q = T;
    a.pos0 = pos0;
    a.window = window;
    a.scale = scale;
    a.out = out + t0 * q_dim;
    a.out_stride = q_dim;
  }
  kernels::cpu::AttentionBatch(args, &kernels::cpu::WorkerPool::Default());
}

}  // namespace kiln::engine
