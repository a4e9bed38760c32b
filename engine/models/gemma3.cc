// The gemma3 architecture (Gemma 3 text models). Differences from llama:
// - the token embedding is scaled by sqrt(n_embd);
// - Q and K are RMS-normalised per head (QK norm) before rotary embedding,
//   which rotates split halves rather than adjacent pairs;
// - five of every six layers attend only to a sliding window of recent
//   positions and rotate with base 10,000; every sixth layer is global and
//   uses the file's base (1,000,000 for Gemma 3);
// - attention and feed-forward outputs are RMS-normalised again before the
//   residual add ("post" norms), and the feed-forward is GeGLU (tanh GELU).
// GGUF converters store Gemma's norm weights with the +1 already added, so the
// norms multiply by the stored weight as llama's do.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/ops_ref.h"

namespace kiln::engine {
namespace {

// Gemma 3 fixes these rather than storing them: the sliding-window layer
// pattern and the local layers' rotary base.
constexpr int64_t kSwaPattern = 6;
constexpr float kLocalRopeBase = 10000.0f;

struct Gemma3Params {
  int64_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx, window;
  float rope_base, rms_eps;
};

struct Gemma3Layer : DecoderProjections {
  std::vector<float> attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  bool sliding = true;
};

Result<Gemma3Params> ReadParams(const GgufFile& f) {
  Gemma3Params p;
  KILN_ASSIGN_OR_RETURN(p.n_embd, f.GetInt("gemma3.embedding_length"));
  KILN_ASSIGN_OR_RETURN(p.n_layer, f.GetInt("gemma3.block_count"));
  KILN_ASSIGN_OR_RETURN(p.n_head, f.GetInt("gemma3.attention.head_count"));
  KILN_ASSIGN_OR_RETURN(p.n_head_kv, f.GetIntOr("gemma3.attention.head_count_kv", p.n_head));
  KILN_ASSIGN_OR_RETURN(p.n_ff, f.GetInt("gemma3.feed_forward_length"));
  KILN_ASSIGN_OR_RETURN(p.n_ctx, f.GetIntOr("gemma3.context_length", 8192));
  KILN_ASSIGN_OR_RETURN(p.head_dim, f.GetIntOr("gemma3.attention.key_length", 256));
  KILN_ASSIGN_OR_RETURN(int64_t value_length,
                        f.GetIntOr("gemma3.attention.value_length", p.head_dim));
  KILN_ASSIGN_OR_RETURN(p.window, f.GetIntOr("gemma3.attention.sliding_window", 512));
  KILN_ASSIGN_OR_RETURN(double base, f.GetFloatOr("gemma3.rope.freq_base", 1000000.0));
  KILN_ASSIGN_OR_RETURN(double eps, f.GetFloatOr("gemma3.attention.layer_norm_rms_epsilon", 1e-6));
  if (p.n_embd <= 0 || p.n_layer <= 0 || p.n_layer > 1000 || p.n_head <= 0 || p.n_head_kv <= 0 ||
      p.n_head % p.n_head_kv != 0 || p.n_ff <= 0 || p.head_dim <= 0 || p.head_dim % 2 != 0 ||
      value_length != p.head_dim || p.window <= 0 || p.n_ctx <= 0) {
    return InvalidArgument("gemma3 hyper-parameters are inconsistent");
  }
  p.rope_base = static_cast<float>(base);
  p.rms_eps = static_cast<float>(eps);
  KILN_ASSIGN_OR_RETURN(p.n_vocab, VocabFromEmbedding(f));
  return p;
}

class Gemma3Model final : public Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const GgufFile& f) {
    auto m = std::unique_ptr<Gemma3Model>(new Gemma3Model());
    KILN_ASSIGN_OR_RETURN(m->p_, ReadParams(f));
    const Gemma3Params& p = m->p_;
    WeightLoader w(&f);
    KILN_ASSIGN_OR_RETURN(m->tok_embd_, w.Matrix("token_embd.weight", p.n_embd, p.n_vocab));
    KILN_ASSIGN_OR_RETURN(m->output_norm_, w.Vector("output_norm.weight", p.n_embd));
    for (int64_t i = 0; i < p.n_layer; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      Gemma3Layer l;
      KILN_ASSIGN_OR_RETURN(l.attn_norm, w.Vector(b + "attn_norm.weight", p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.q_norm, w.Vector(b + "attn_q_norm.weight", p.head_dim));
      KILN_ASSIGN_OR_RETURN(l.k_norm, w.Vector(b + "attn_k_norm.weight", p.head_dim));
      KILN_ASSIGN_OR_RETURN(l.post_attn_norm, w.Vector(b + "post_attention_norm.weight", p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.ffn_norm, w.Vector(b + "ffn_norm.weight", p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.post_ffn_norm, w.Vector(b + "post_ffw_norm.weight", p.n_embd));
      KILN_RETURN_IF_ERROR(LoadDecoderProjections(w, b, DimsOf(p), &l));
      l.sliding = i % kSwaPattern < kSwaPattern - 1;
      m->layers_.push_back(std::move(l));
    }
    KILN_ASSIGN_OR_RETURN(std::string name, f.GetStringOr("general.name", ""));
    m->SetDecoderInfo("gemma3", std::move(name), p.n_vocab, p.n_ctx, p.n_embd, p.n_layer,
                      p.n_head_kv * p.head_dim);
    return std::unique_ptr<Model>(std::move(m));
  }

  void RunBatch(std::span<const SequenceInput> seqs) const override {
    thread_local Scratch s;  // every buffer is written before it is read
    Forward(seqs, BatchLayout(seqs), s);
  }

 private:
  // The shared activations plus rotary angles for the local (sliding) and
  // global bases.
  struct Scratch : DecoderScratch {
    void Resize(const Gemma3Params& p, int64_t T, int64_t n_logits) {
      DecoderScratch::Resize(DimsOf(p), T, n_logits);
      for (auto* a : {&cos_local, &sin_local, &cos_global, &sin_global})
        a->resize(static_cast<size_t>(T * p.head_dim / 2));
    }
    std::vector<float> cos_local, sin_local, cos_global, sin_global;
  };

  void Forward(std::span<const SequenceInput> seqs, const BatchLayout& b, Scratch& s) const {
    namespace cpu = kernels::cpu;
    const int64_t T = b.tokens(), E = p_.n_embd, F = p_.n_ff;
    const int64_t half = p_.head_dim / 2;
    const int64_t n_logits = static_cast<int64_t>(b.logit_rows.size());
    s.Resize(p_, T, n_logits);
    const float embd_scale = std::sqrt(static_cast<float>(E));
    for (int64_t t = 0; t < T; ++t) {
      GetRow(tok_embd_, b.ids[static_cast<size_t>(t)], &s.x[t * E]);
      for (int64_t i = 0; i < E; ++i) s.x[t * E + i] *= embd_scale;
      const int64_t pos = b.pos[static_cast<size_t>(t)];
      cpu::RopeAnglesRef(p_.head_dim, pos, kLocalRopeBase, &s.cos_local[t * half],
                         &s.sin_local[t * half]);
      cpu::RopeAnglesRef(p_.head_dim, pos, p_.rope_base, &s.cos_global[t * half],
                         &s.sin_global[t * half]);
    }
    for (int64_t il = 0; il < p_.n_layer; ++il) {
      const Gemma3Layer& l = layers_[static_cast<size_t>(il)];
      Attention(seqs, b, l, il, NormedRows{s.x.data(), l.attn_norm.data(), p_.rms_eps, E}, s);
      Project({{&l.wo, s.o.data()}}, s.attn.data(), T);
      for (int64_t t = 0; t < T; ++t) {
        float* o = &s.o[t * E];
        cpu::RmsNorm(o, l.post_attn_norm.data(), p_.rms_eps, E, o);
        for (int64_t i = 0; i < E; ++i) s.x[t * E + i] += o[i];
      }
      Project({{&l.gate, s.g.data()}, {&l.up, s.u.data()}},
              NormedRows{s.x.data(), l.ffn_norm.data(), p_.rms_eps, E}.Source(), T);
      Project({{&l.down, s.o.data()}},
              GluRows{s.g.data(), s.u.data(), F, GluRows::Act::kGeluTanh}.Source(), T);
      for (int64_t t = 0; t < T; ++t) {
        float* o = &s.o[t * E];
        cpu::RmsNorm(o, l.post_ffn_norm.data(), p_.rms_eps, E, o);
        for (int64_t i = 0; i < E; ++i) s.x[t * E + i] += o[i];
      }
    }
    WriteLogits(b, DimsOf(p_), output_norm_.data(), p_.rms_eps, tok_embd_, s);  // tied output
  }

  void Attention(std::span<const SequenceInput> seqs, const BatchLayout& b, const Gemma3Layer& l,
                 int64_t il, const NormedRows& input, Scratch& s) const {
    namespace cpu = kernels::cpu;
    const int64_t T = b.tokens();
    const int64_t hd = p_.head_dim, half = hd / 2;
    const int64_t q_dim = p_.n_head * hd, kv_dim = p_.n_head_kv * hd;
    Project({{&l.wq, s.q.data()}, {&l.wk, s.k.data()}, {&l.wv, s.v.data()}}, input.Source(), T);
    const std::vector<float>& cos = l.sliding ? s.cos_local : s.cos_global;
    const std::vector<float>& sin = l.sliding ? s.sin_local : s.sin_global;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    for (int64_t t = 0; t < T; ++t) {
      const float* c = &cos[t * half];
      const float* sn = &sin[t * half];
      for (int64_t h = 0; h < p_.n_head; ++h) {
        float* qh = &s.q[t * q_dim + h * hd];
        cpu::RmsNorm(qh, l.q_norm.data(), p_.rms_eps, hd, qh);
        cpu::RopeHalvesApply(qh, hd, c, sn);
        // Gemma scales the query itself (llama.cpp too), before it meets the keys.
        for (int64_t d = 0; d < hd; ++d) qh[d] *= scale;
      }
      for (int64_t h = 0; h < p_.n_head_kv; ++h) {
        float* kh = &s.k[t * kv_dim + h * hd];
        cpu::RmsNorm(kh, l.k_norm.data(), p_.rms_eps, hd, kh);
        cpu::RopeHalvesApply(kh, hd, c, sn);
      }
    }
    // A sliding layer sees the last `window` positions, each query its own.
    StoreAndAttend(seqs, b, il, {p_.n_head, p_.n_head_kv, hd}, s.q.data(), s.k.data(), s.v.data(),
                   l.sliding ? p_.window : 0, 1.0f, s.attn.data());
  }

  Gemma3Params p_{};
  Weight tok_embd_;                 // [n_vocab, n_embd], also the output projection
  std::vector<float> output_norm_;  // [n_embd]
  std::vector<Gemma3Layer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> CreateGemma3(const GgufFile& file) {
  return Gemma3Model::Load(file);
}

}  // namespace kiln::engine
