// The llama architecture (SmolLM2, Llama 2/3, Mistral, ...): pre-norm
// decoder blocks of RMSNorm -> grouped-query attention with rotary positions
// -> RMSNorm -> SwiGLU feed-forward, then a final RMSNorm and the output
// projection (tied to the token embedding when the file has no output.weight).
//
// GGUF converters permute Q and K so that rotary pairs are adjacent; hence
// adjacent-pair rotation (RopeAdjacentApply).
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/ops_ref.h"

namespace kiln::engine {
namespace {

struct LlamaParams {
  int64_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx, rot_dim;
  float rope_base, rms_eps;
};

struct LlamaLayer : DecoderProjections {
  std::vector<float> attn_norm;  // [n_embd]
  std::vector<float> ffn_norm;   // [n_embd]
};

Result<LlamaParams> ReadParams(const GgufFile& f) {
  LlamaParams p;
  KILN_ASSIGN_OR_RETURN(p.n_embd, f.GetInt("llama.embedding_length"));
  KILN_ASSIGN_OR_RETURN(p.n_layer, f.GetInt("llama.block_count"));
  KILN_ASSIGN_OR_RETURN(p.n_head, f.GetInt("llama.attention.head_count"));
  KILN_ASSIGN_OR_RETURN(p.n_head_kv, f.GetIntOr("llama.attention.head_count_kv", p.n_head));
  KILN_ASSIGN_OR_RETURN(p.n_ff, f.GetInt("llama.feed_forward_length"));
  KILN_ASSIGN_OR_RETURN(p.n_ctx, f.GetIntOr("llama.context_length", 2048));
  KILN_ASSIGN_OR_RETURN(double base, f.GetFloatOr("llama.rope.freq_base", 10000.0));
  KILN_ASSIGN_OR_RETURN(double eps, f.GetFloatOr("llama.attention.layer_norm_rms_epsilon", 1e-5));
  if (p.n_embd <= 0 || p.n_layer <= 0 || p.n_head <= 0 || p.n_head_kv <= 0 || p.n_ff <= 0 ||
      p.n_embd % p.n_head != 0 || p.n_head % p.n_head_kv != 0 || p.n_layer > 1000 || p.n_ctx <= 0) {
    return InvalidArgument("llama hyper-parameters are inconsistent (embedding " +
                           std::to_string(p.n_embd) + ", heads " + std::to_string(p.n_head) + "/" +
                           std::to_string(p.n_head_kv) + ")");
  }
  p.head_dim = p.n_embd / p.n_head;
  KILN_ASSIGN_OR_RETURN(p.rot_dim, f.GetIntOr("llama.rope.dimension_count", p.head_dim));
  if (p.rot_dim <= 0 || p.rot_dim > p.head_dim || p.rot_dim % 2 != 0) {
    return InvalidArgument("llama.rope.dimension_count must be even and at most the head size");
  }
  p.rope_base = static_cast<float>(base);
  p.rms_eps = static_cast<float>(eps);
  KILN_ASSIGN_OR_RETURN(p.n_vocab, VocabFromEmbedding(f));
  return p;
}

class LlamaModel final : public Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const GgufFile& f) {
    auto m = std::unique_ptr<LlamaModel>(new LlamaModel());
    KILN_ASSIGN_OR_RETURN(m->p_, ReadParams(f));
    const LlamaParams& p = m->p_;
    WeightLoader w(&f);
    KILN_ASSIGN_OR_RETURN(m->tok_embd_, w.Matrix("token_embd.weight", p.n_embd, p.n_vocab));
    KILN_ASSIGN_OR_RETURN(m->output_norm_, w.Vector("output_norm.weight", p.n_embd));
    if (w.Has("output.weight")) {
      KILN_ASSIGN_OR_RETURN(m->output_, w.Matrix("output.weight", p.n_embd, p.n_vocab));
    } else {
      m->output_ = m->tok_embd_;  // tied embeddings
    }
    for (int64_t i = 0; i < p.n_layer; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      LlamaLayer l;
      KILN_ASSIGN_OR_RETURN(l.attn_norm, w.Vector(b + "attn_norm.weight", p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.ffn_norm, w.Vector(b + "ffn_norm.weight", p.n_embd));
      KILN_RETURN_IF_ERROR(LoadDecoderProjections(w, b, DimsOf(p), &l));
      m->layers_.push_back(std::move(l));
    }
    KILN_ASSIGN_OR_RETURN(std::string name, f.GetStringOr("general.name", ""));
    m->SetDecoderInfo("llama", std::move(name), p.n_vocab, p.n_ctx, p.n_embd, p.n_layer,
                      p.n_head_kv * p.head_dim);
    return std::unique_ptr<Model>(std::move(m));
  }

  void RunBatch(std::span<const SequenceInput> seqs) const override {
    thread_local Scratch s;  // every buffer is written before it is read
    Forward(seqs, BatchLayout(seqs), s);
  }

 private:
  // The shared activations plus the rotary angles of each token.
  struct Scratch : DecoderScratch {
    void Resize(const LlamaParams& p, int64_t T, int64_t n_logits) {
      DecoderScratch::Resize(DimsOf(p), T, n_logits);
      cos.resize(static_cast<size_t>(T * p.rot_dim / 2));
      sin.resize(static_cast<size_t>(T * p.rot_dim / 2));
    }
    std::vector<float> cos, sin;
  };

  // The batch's tokens (of one or more sequences): the whole network as a
  // recipe of named steps, each over all T tokens at once; attention per
  // sequence, over its own cache.
  void Forward(std::span<const SequenceInput> seqs, const BatchLayout& b, Scratch& s) const {
    namespace cpu = kernels::cpu;
    const int64_t T = b.tokens(), E = p_.n_embd, F = p_.n_ff;
    const int64_t n_logits = static_cast<int64_t>(b.logit_rows.size());
    s.Resize(p_, T, n_logits);
    for (int64_t t = 0; t < T; ++t) GetRow(tok_embd_, b.ids[static_cast<size_t>(t)], &s.x[t * E]);
    const int64_t half = p_.rot_dim / 2;
    for (int64_t t = 0; t < T; ++t) {
      cpu::RopeAnglesRef(p_.rot_dim, b.pos[static_cast<size_t>(t)], p_.rope_base, &s.cos[t * half],
                         &s.sin[t * half]);
    }
    for (int64_t il = 0; il < p_.n_layer; ++il) {
      const LlamaLayer& l = layers_[static_cast<size_t>(il)];
      Attention(seqs, b, l, il, NormedRows{s.x.data(), l.attn_norm.data(), p_.rms_eps, E}, s);
      Project({{&l.wo, s.o.data()}}, s.attn.data(), T);
      for (int64_t i = 0; i < T * E; ++i) s.x[i] += s.o[i];
      Project({{&l.gate, s.g.data()}, {&l.up, s.u.data()}},
              NormedRows{s.x.data(), l.ffn_norm.data(), p_.rms_eps, E}.Source(), T);
      Project({{&l.down, s.o.data()}},
              GluRows{s.g.data(), s.u.data(), F, GluRows::Act::kSilu}.Source(), T);
      for (int64_t i = 0; i < T * E; ++i) s.x[i] += s.o[i];
    }
    WriteLogits(b, DimsOf(p_), output_norm_.data(), p_.rms_eps, output_, s);
  }

  // Q, K, V of the normed input; each sequence's K and V go into its cache
  // and its queries attend to it; s.attn gets the heads' outputs.
  void Attention(std::span<const SequenceInput> seqs, const BatchLayout& b, const LlamaLayer& l,
                 int64_t il, const NormedRows& input, Scratch& s) const {
    namespace cpu = kernels::cpu;
    const int64_t T = b.tokens();
    const int64_t hd = p_.head_dim, q_dim = p_.n_head * hd, kv_dim = p_.n_head_kv * hd;
    const int64_t half = p_.rot_dim / 2;
    Project({{&l.wq, s.q.data()}, {&l.wk, s.k.data()}, {&l.wv, s.v.data()}}, input.Source(), T);
    for (int64_t t = 0; t < T; ++t) {
      const float* c = &s.cos[t * half];
      const float* sn = &s.sin[t * half];
      for (int64_t h = 0; h < p_.n_head; ++h) {
        cpu::RopeAdjacentApply(&s.q[t * q_dim + h * hd], p_.rot_dim, c, sn);
      }
      for (int64_t h = 0; h < p_.n_head_kv; ++h) {
        cpu::RopeAdjacentApply(&s.k[t * kv_dim + h * hd], p_.rot_dim, c, sn);
      }
    }
    StoreAndAttend(seqs, b, il, {p_.n_head, p_.n_head_kv, hd}, s.q.data(), s.k.data(), s.v.data(),
                   0, 1.0f / std::sqrt(static_cast<float>(hd)), s.attn.data());
  }

  LlamaParams p_{};
  Weight tok_embd_;                 // [n_vocab, n_embd]
  Weight output_;                   // [n_vocab, n_embd]
  std::vector<float> output_norm_;  // [n_embd]
  std::vector<LlamaLayer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> CreateLlama(const GgufFile& file) { return LlamaModel::Load(file); }

}  // namespace kiln::engine
