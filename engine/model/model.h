// Model: one neural network architecture with its weights, loaded from a
// GGUF file. Immutable after loading and safe to share between threads;
// per-sequence state (the KvCache) belongs to the caller.
//
// Each architecture lives in its own file under engine/models/ (llama.cc,
// gemma3.cc, bert.cc) and registers a loader in registry.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/kv_cache.h"
#include "engine/model/weights.h"
#include "kernels/cpu/matmul.h"

namespace kiln::engine {

struct ModelInfo {
  std::string arch;  // general.architecture: "llama", "gemma3", "bert"
  std::string name;  // general.name
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  bool causal = true;  // a decoder that generates text; false for embedding models
  int64_t kv_dim = 0;  // K (and V) values per position per layer; 0 without a cache
};

// One sequence's part of a batch: `tokens` at positions cache->size()
// onwards; `logits` ([n_vocab]) gets the last token's logits, or null.
struct SequenceInput {
  KvCache* cache;
  std::span<const int32_t> tokens;
  float* logits = nullptr;
};

class Model {
 public:
  virtual ~Model() = default;
  const ModelInfo& info() const { return info_; }

  // Decoder models. Runs `tokens` at positions cache.size() onwards, appending
  // their keys and values to `cache`, and writes the logits of the last token
  // to `logits` ([n_vocab]). Fails (changing nothing) when the tokens would not
  // fit in the cache or a token id is out of range. Long inputs run in
  // batches of kMaxBatch tokens.
  Status Decode(KvCache& cache, std::span<const int32_t> tokens, float* logits) const;
  // Several sequences' tokens as one batch: every weight is read once for all
  // of them (each sequence attends to its own cache only). The serving
  // engine's step: a token of each decoding sequence plus a chunk of a prompt.
  // Checks everything before running anything; ResourceExhausted when a
  // cache's pool has no page left (the sequences are then unchanged, though
  // pages may have been reserved for them).
  Status Forward(std::span<const SequenceInput> seqs) const;
  // A cache for up to `n_ctx` positions (<= n_ctx_train) with its own pool.
  std::unique_ptr<KvCache> NewCache(int64_t n_ctx) const;
  // A pool of `n_pages` KV pages for many sequences (NewCache(pool, ...)).
  std::shared_ptr<KvPool> NewKvPool(int64_t n_pages) const;
  std::unique_ptr<KvCache> NewCache(std::shared_ptr<KvPool> pool, int64_t n_ctx) const;

  // Embedding models: the pooled, L2-normalised embedding of `tokens`.
  virtual Result<std::vector<float>> Embed(std::span<const int32_t> tokens) const;

  static constexpr int64_t kMaxBatch = 64;

 protected:
  ModelInfo info_;
  // Decoder models: runs a checked batch (pages reserved; positions from each
  // cache's size(), which the caller advances afterwards).
  virtual void RunBatch(std::span<const SequenceInput> seqs) const;
  // Fills info_ for a decoder model.
  void SetDecoderInfo(std::string arch, std::string name, int64_t n_vocab, int64_t n_ctx,
                      int64_t n_embd, int64_t n_layer, int64_t kv_dim) {
    info_ = ModelInfo{std::move(arch), std::move(name), n_vocab, n_ctx, n_embd, n_layer, true};
    info_.kv_dim = kv_dim;
  }
};

// ---- used by the architecture files ----

// A batch's tokens flattened: token t (of all sequences, in order) belongs
// to segment seg[t] at position pos[t]; segment i covers rows
// [begin[i], begin[i + 1]).
struct BatchLayout {
  explicit BatchLayout(std::span<const SequenceInput> seqs);
  int64_t tokens() const { return static_cast<int64_t>(pos.size()); }
  std::vector<int64_t> pos, begin;
  std::vector<int32_t> ids;
  // Rows whose logits are wanted, and where they go.
  std::vector<int64_t> logit_rows;
  std::vector<float*> logit_out;
};

// Builds the model for `file`'s general.architecture. `file` must outlive the model.
Result<std::unique_ptr<Model>> CreateModel(const GgufFile& file);

// ---- used by the architecture files ----

// The attention step of a batch, once the Q, K and V rows of its T tokens
// ([T, n_head * head_dim], [T, n_head_kv * head_dim], in BatchLayout order)
// are projected and rotated: stores each sequence's K and V in its cache at
// layer `layer` from position cache->size(), then every query attends to its
// own sequence's cached positions (the last `window` of them when window > 0),
// all sequences as one parallel step on the executor's worker pool; out is
// [T, n_head * head_dim].
struct AttentionShape {
  int64_t n_head, n_head_kv, head_dim;
};
void StoreAndAttend(std::span<const SequenceInput> seqs, const BatchLayout& b, int64_t layer,
                    const AttentionShape& shape, const float* q, const float* k, const float* v,
                    int64_t window, float scale, float* out);

// The activations every decoder architecture keeps for a batch of T tokens,
// row-major [T, width]; architectures add their rotary tables.
struct DecoderDims {
  int64_t n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab;
};
struct DecoderScratch {
  void Resize(const DecoderDims& d, int64_t T, int64_t n_logits);
  std::vector<float> x, q, k, v, attn, o, g, u;
  std::vector<float> h, logits;  // the normed rows whose logits are wanted, and those logits
};

// A decoder model's dimensions from its hyper-parameters (any struct with
// these fields).
template <typename Params>
DecoderDims DimsOf(const Params& p) {
  return {p.n_embd, p.n_head, p.n_head_kv, p.head_dim, p.n_ff, p.n_vocab};
}

// The seven projections of a pre-norm decoder block, as GGUF names them
// (blk.N.attn_q/k/v/output, ffn_gate/up/down).
struct DecoderProjections {
  Weight wq;    // [n_head * head_dim, n_embd]
  Weight wk;    // [n_head_kv * head_dim, n_embd]
  Weight wv;    // [n_head_kv * head_dim, n_embd]
  Weight wo;    // [n_embd, n_head * head_dim]
  Weight gate;  // [n_ff, n_embd]
  Weight up;    // [n_ff, n_embd]
  Weight down;  // [n_embd, n_ff]
};
// Loads them for the block whose tensor names start with `prefix` ("blk.3.").
Status LoadDecoderProjections(WeightLoader& w, const std::string& prefix, const DecoderDims& d,
                              DecoderProjections* out);

// The vocabulary size: the rows of the 2-D token_embd.weight.
Result<int64_t> VocabFromEmbedding(const GgufFile& file);

// The logits of the batch's rows that want them (b.logit_rows): the final
// RMSNorm of each such row of s.x, then `output` ([n_vocab, n_embd]) for all
// of them as one product, copied to each sequence's logits.
void WriteLogits(const BatchLayout& b, const DecoderDims& d, const float* norm, float eps,
                 const Weight& output, DecoderScratch& s);

// v / |v| (the sum of squares in double); zeros stay zeros.
void L2Normalize(std::span<float> v);

// Row t = RMSNorm(x[t], w): a Project input fused with its normalisation.
struct NormedRows {
  const float* x;  // [n, n_embd]
  const float* w;  // [n_embd]
  float eps;
  int64_t n_embd;
  kernels::cpu::RowSource Source() const;
};

// Row t = act(gate[t]) * up[t], act = SiLU (SwiGLU) or tanh-GELU (GeGLU): the
// down projection's input fused with the gate.
struct GluRows {
  enum class Act { kSilu, kGeluTanh };
  const float* gate;  // [n, n_ff]
  const float* up;    // [n, n_ff]
  int64_t n_ff;
  Act act;
  kernels::cpu::RowSource Source() const;
};

using ModelFactory = Result<std::unique_ptr<Model>> (*)(const GgufFile& file);
Result<std::unique_ptr<Model>> CreateLlama(const GgufFile& file);
Result<std::unique_ptr<Model>> CreateGemma3(const GgufFile& file);
Result<std::unique_ptr<Model>> CreateBert(const GgufFile& file);

}  // namespace kiln::engine
