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
#include <cmath>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/weights.h"
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

struct Gemma3Layer {
  std::vector<float> attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  Weight wq;    // [n_head * head_dim, n_embd]
  Weight wk;    // [n_head_kv * head_dim, n_embd]
  Weight wv;    // [n_head_kv * head_dim, n_embd]
  Weight wo;    // [n_embd, n_head * head_dim]
  Weight gate;  // [n_ff, n_embd]
  Weight up;    // [n_ff, n_embd]
  Weight down;  // [n_embd, n_ff]
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
  const GgufTensor* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr || embd->dims.size() != 2) {
    return InvalidArgument("the model has no 2-D tensor 'token_embd.weight'");
  }
  p.n_vocab = embd->dims[1];
  return p;
}

class Gemma3Model final : public Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const GgufFile& f) {
    auto m = std::unique_ptr<Gemma3Model>(new Gemma3Model());
    KILN_ASSIGN_OR_RETURN(m->p_, ReadParams(f));
    const Gemma3Params& p = m->p_;
    WeightLoader w(&f);
    const int64_t q_dim = p.n_head * p.head_dim, kv_dim = p.n_head_kv * p.head_dim;
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
      KILN_ASSIGN_OR_RETURN(l.wq, w.Matrix(b + "attn_q.weight", p.n_embd, q_dim));
      KILN_ASSIGN_OR_RETURN(l.wk, w.Matrix(b + "attn_k.weight", p.n_embd, kv_dim));
      KILN_ASSIGN_OR_RETURN(l.wv, w.Matrix(b + "attn_v.weight", p.n_embd, kv_dim));
      KILN_ASSIGN_OR_RETURN(l.wo, w.Matrix(b + "attn_output.weight", q_dim, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.gate, w.Matrix(b + "ffn_gate.weight", p.n_embd, p.n_ff));
      KILN_ASSIGN_OR_RETURN(l.up, w.Matrix(b + "ffn_up.weight", p.n_embd, p.n_ff));
      KILN_ASSIGN_OR_RETURN(l.down, w.Matrix(b + "ffn_down.weight", p.n_ff, p.n_embd));
      l.sliding = i % kSwaPattern < kSwaPattern - 1;
      m->layers_.push_back(std::move(l));
    }
    KILN_ASSIGN_OR_RETURN(std::string name, f.GetStringOr("general.name", ""));
    m->SetDecoderInfo("gemma3", std::move(name), p.n_vocab, p.n_ctx, p.n_embd, p.n_layer);
    return std::unique_ptr<Model>(std::move(m));
  }

  std::unique_ptr<KvCache> NewCache(int64_t n_ctx) const override {
    return std::make_unique<KvCache>(p_.n_layer, std::min(n_ctx, p_.n_ctx),
                                     p_.n_head_kv * p_.head_dim);
  }

  Status Decode(KvCache& cache, std::span<const int32_t> tokens, float* logits) const override {
    Scratch s(p_);
    return DecodeEachToken(cache, tokens, logits, [&](int32_t token, int64_t pos, float* out) {
      Forward(cache, token, pos, s, out);
    });
  }

 private:
  struct Scratch {
    explicit Scratch(const Gemma3Params& p)
        : x(p.n_embd),
          h(p.n_embd),
          q(p.n_head * p.head_dim),
          k(p.n_head_kv * p.head_dim),
          v(p.n_head_kv * p.head_dim),
          attn(p.n_head * p.head_dim),
          o(p.n_embd),
          g(p.n_ff),
          u(p.n_ff) {}
    std::vector<float> x, h, q, k, v, attn, o, g, u;
  };

  void Forward(KvCache& cache, int32_t token, int64_t pos, Scratch& s, float* logits) const {
    GetRow(tok_embd_, token, s.x.data());
    const float embd_scale = std::sqrt(static_cast<float>(p_.n_embd));
    for (float& v : s.x) v *= embd_scale;
    for (int64_t il = 0; il < p_.n_layer; ++il) {
      const Gemma3Layer& l = layers_[static_cast<size_t>(il)];
      kernels::cpu::RmsNormRef(s.x.data(), l.attn_norm.data(), p_.rms_eps, p_.n_embd, s.h.data());
      Attention(cache, l, il, pos, s);
      MatVec(l.wo, s.attn.data(), s.o.data());
      kernels::cpu::RmsNormRef(s.o.data(), l.post_attn_norm.data(), p_.rms_eps, p_.n_embd,
                               s.o.data());
      for (int64_t i = 0; i < p_.n_embd; ++i) s.x[i] += s.o[i];
      kernels::cpu::RmsNormRef(s.x.data(), l.ffn_norm.data(), p_.rms_eps, p_.n_embd, s.h.data());
      MatVec(l.gate, s.h.data(), s.g.data());
      MatVec(l.up, s.h.data(), s.u.data());
      for (int64_t i = 0; i < p_.n_ff; ++i) s.g[i] = kernels::cpu::GeluTanhF16Ref(s.g[i]) * s.u[i];
      MatVec(l.down, s.g.data(), s.o.data());
      kernels::cpu::RmsNormRef(s.o.data(), l.post_ffn_norm.data(), p_.rms_eps, p_.n_embd,
                               s.o.data());
      for (int64_t i = 0; i < p_.n_embd; ++i) s.x[i] += s.o[i];
    }
    if (logits == nullptr) return;
    kernels::cpu::RmsNormRef(s.x.data(), output_norm_.data(), p_.rms_eps, p_.n_embd, s.h.data());
    MatVec(tok_embd_, s.h.data(), logits);  // tied output projection
  }

  void Attention(KvCache& cache, const Gemma3Layer& l, int64_t il, int64_t pos, Scratch& s) const {
    const int64_t hd = p_.head_dim;
    MatVec(l.wq, s.h.data(), s.q.data());
    MatVec(l.wk, s.h.data(), s.k.data());
    MatVec(l.wv, s.h.data(), s.v.data());
    const float base = l.sliding ? kLocalRopeBase : p_.rope_base;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    for (int64_t h = 0; h < p_.n_head; ++h) {
      float* qh = &s.q[h * hd];
      kernels::cpu::RmsNormRef(qh, l.q_norm.data(), p_.rms_eps, hd, qh);
      kernels::cpu::RopeHalvesRef(qh, hd, hd, pos, base);
      // Gemma scales the query itself (llama.cpp too), before it meets the keys.
      for (int64_t d = 0; d < hd; ++d) qh[d] *= scale;
    }
    for (int64_t h = 0; h < p_.n_head_kv; ++h) {
      float* kh = &s.k[h * hd];
      kernels::cpu::RmsNormRef(kh, l.k_norm.data(), p_.rms_eps, hd, kh);
      kernels::cpu::RopeHalvesRef(kh, hd, hd, pos, base);
    }
    cache.Store(il, pos, s.k.data(), s.v.data());
    // A sliding layer sees the last `window` positions, this one included.
    const int64_t first = l.sliding ? std::max<int64_t>(0, pos - p_.window + 1) : 0;
    const int64_t group = p_.n_head / p_.n_head_kv;
    for (int64_t h = 0; h < p_.n_head; ++h) {
      const int64_t kvh = h / group;
      kernels::cpu::AttentionF16Ref(&s.q[h * hd], cache.K(il, first) + kvh * hd,
                                    cache.V(il, first) + kvh * hd, pos + 1 - first, hd,
                                    cache.kv_dim(), 1.0f, &s.attn[h * hd]);
    }
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
