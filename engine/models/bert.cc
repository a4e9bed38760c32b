// The bert architecture as an embedding model (all-MiniLM-L6-v2): token +
// position + token-type embeddings -> LayerNorm, then post-norm encoder
// blocks (bidirectional attention -> add & LayerNorm -> GELU feed-forward ->
// add & LayerNorm), mean pooling over the tokens and L2 normalisation, as
// the model card prescribes. Tensor names follow llama.cpp's BERT GGUFs,
// which scripts/convert_minilm.py writes.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/ops_ref.h"
#include "kernels/cpu/parallel.h"

namespace kiln::engine {
namespace {

struct BertParams {
  int64_t n_embd, n_layer, n_head, head_dim, n_ff, n_vocab, n_ctx, n_token_types;
  float eps;
};

struct Affine {  // a linear layer with bias
  Weight w;
  std::vector<float> b;
  void Apply(const float* x, float* y) const {
    MatVec(w, x, y);
    for (int64_t i = 0; i < w.rows; ++i) y[i] += b[static_cast<size_t>(i)];
  }
};

struct Norm {
  std::vector<float> w, b;
};

struct BertLayer {
  Affine q, k, v, o;  // [n_embd, n_embd] each
  Norm attn_out_norm;
  Affine up;    // [n_ff, n_embd]
  Affine down;  // [n_embd, n_ff]
  Norm out_norm;
};

Result<Affine> LoadAffine(const WeightLoader& w, const std::string& name, int64_t cols,
                          int64_t rows) {
  Affine a;
  KILN_ASSIGN_OR_RETURN(a.w, w.Matrix(name + ".weight", cols, rows));
  KILN_ASSIGN_OR_RETURN(a.b, w.Vector(name + ".bias", rows));
  return a;
}

Result<Norm> LoadNorm(const WeightLoader& w, const std::string& name, int64_t n) {
  Norm norm;
  KILN_ASSIGN_OR_RETURN(norm.w, w.Vector(name + ".weight", n));
  KILN_ASSIGN_OR_RETURN(norm.b, w.Vector(name + ".bias", n));
  return norm;
}

class BertModel final : public Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const GgufFile& f) {
    auto m = std::unique_ptr<BertModel>(new BertModel());
    BertParams& p = m->p_;
    KILN_ASSIGN_OR_RETURN(p.n_embd, f.GetInt("bert.embedding_length"));
    KILN_ASSIGN_OR_RETURN(p.n_layer, f.GetInt("bert.block_count"));
    KILN_ASSIGN_OR_RETURN(p.n_head, f.GetInt("bert.attention.head_count"));
    KILN_ASSIGN_OR_RETURN(p.n_ff, f.GetInt("bert.feed_forward_length"));
    KILN_ASSIGN_OR_RETURN(p.n_ctx, f.GetIntOr("bert.context_length", 512));
    KILN_ASSIGN_OR_RETURN(double eps, f.GetFloatOr("bert.attention.layer_norm_epsilon", 1e-12));
    if (p.n_embd <= 0 || p.n_layer <= 0 || p.n_layer > 1000 || p.n_head <= 0 ||
        p.n_embd % p.n_head != 0 || p.n_ff <= 0 || p.n_ctx <= 0) {
      return InvalidArgument("bert hyper-parameters are inconsistent");
    }
    p.head_dim = p.n_embd / p.n_head;
    p.eps = static_cast<float>(eps);
    const GgufTensor* embd = f.FindTensor("token_embd.weight");
    const GgufTensor* types = f.FindTensor("token_types.weight");
    if (embd == nullptr || embd->dims.size() != 2 || types == nullptr || types->dims.size() != 2) {
      return InvalidArgument("the model lacks 2-D token_embd.weight or token_types.weight");
    }
    p.n_vocab = embd->dims[1];
    p.n_token_types = types->dims[1];
    WeightLoader w(&f);
    KILN_ASSIGN_OR_RETURN(m->tok_embd_, w.Matrix("token_embd.weight", p.n_embd, p.n_vocab));
    KILN_ASSIGN_OR_RETURN(m->pos_embd_, w.Matrix("position_embd.weight", p.n_embd, p.n_ctx));
    KILN_ASSIGN_OR_RETURN(m->type_embd_, w.Matrix("token_types.weight", p.n_embd, p.n_token_types));
    KILN_ASSIGN_OR_RETURN(m->embd_norm_, LoadNorm(w, "token_embd_norm", p.n_embd));
    for (int64_t i = 0; i < p.n_layer; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      BertLayer l;
      KILN_ASSIGN_OR_RETURN(l.q, LoadAffine(w, b + "attn_q", p.n_embd, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.k, LoadAffine(w, b + "attn_k", p.n_embd, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.v, LoadAffine(w, b + "attn_v", p.n_embd, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.o, LoadAffine(w, b + "attn_output", p.n_embd, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.attn_out_norm, LoadNorm(w, b + "attn_output_norm", p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.up, LoadAffine(w, b + "ffn_up", p.n_embd, p.n_ff));
      KILN_ASSIGN_OR_RETURN(l.down, LoadAffine(w, b + "ffn_down", p.n_ff, p.n_embd));
      KILN_ASSIGN_OR_RETURN(l.out_norm, LoadNorm(w, b + "layer_output_norm", p.n_embd));
      m->layers_.push_back(std::move(l));
    }
    KILN_ASSIGN_OR_RETURN(m->info_.name, f.GetStringOr("general.name", ""));
    m->info_.arch = "bert";
    m->info_.n_vocab = p.n_vocab;
    m->info_.n_ctx_train = p.n_ctx;
    m->info_.n_embd = p.n_embd;
    m->info_.n_layer = p.n_layer;
    m->info_.causal = false;
    return std::unique_ptr<Model>(std::move(m));
  }

  Result<std::vector<float>> Embed(std::span<const int32_t> tokens) const override {
    const int64_t n = static_cast<int64_t>(tokens.size()), d = p_.n_embd;
    if (n == 0) return InvalidArgument("nothing to embed: no tokens");
    if (n > p_.n_ctx) {
      return InvalidArgument(std::to_string(n) + " tokens exceed the model's limit of " +
                             std::to_string(p_.n_ctx));
    }
    for (int32_t t : tokens) {
      if (t < 0 || t >= p_.n_vocab) {
        return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary");
      }
    }
    std::vector<float> x(static_cast<size_t>(n * d));  // [n, d] hidden states
    std::vector<float> row(static_cast<size_t>(d)), extra(static_cast<size_t>(d));
    for (int64_t i = 0; i < n; ++i) {
      float* xi = &x[static_cast<size_t>(i * d)];
      GetRow(tok_embd_, tokens[static_cast<size_t>(i)], xi);
      GetRow(pos_embd_, i, row.data());
      GetRow(type_embd_, 0, extra.data());
      for (int64_t j = 0; j < d; ++j) xi[j] += row[j] + extra[j];
      kernels::cpu::LayerNormRef(xi, embd_norm_.w.data(), embd_norm_.b.data(), p_.eps, d, xi);
    }
    for (const BertLayer& l : layers_) Layer(l, n, x);
    std::vector<float> pooled(static_cast<size_t>(d), 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < d; ++j) pooled[j] += x[static_cast<size_t>(i * d + j)];
    }
    for (float& v : pooled) v /= static_cast<float>(n);
    L2Normalize(pooled);
    return pooled;
  }

 private:
  // One encoder block over all n positions of x ([n, d]), in place. Every
  // product is a batched matmul over all positions on the worker pool (the
  // weights are read once per block, not once per token).
  void Layer(const BertLayer& l, int64_t n, std::vector<float>& x) const {
    const int64_t d = p_.n_embd;
    std::vector<float> q(x.size()), k(x.size()), v(x.size()), attn(x.size());
    Project({{&l.q.w, q.data()}, {&l.k.w, k.data()}, {&l.v.w, v.data()}}, x.data(), n);
    AddBias(l.q, n, q.data());
    AddBias(l.k, n, k.data());
    AddBias(l.v, n, v.data());
    Attend(n, q, k, v, attn);
    std::vector<float> o(x.size()), up(static_cast<size_t>(n * p_.n_ff));
    Project({{&l.o.w, o.data()}}, attn.data(), n);
    AddBias(l.o, n, o.data());
    for (int64_t i = 0; i < n; ++i) {
      float* xi = &x[static_cast<size_t>(i * d)];
      for (int64_t j = 0; j < d; ++j) xi[j] += o[static_cast<size_t>(i * d + j)];
      kernels::cpu::LayerNormRef(xi, l.attn_out_norm.w.data(), l.attn_out_norm.b.data(), p_.eps, d,
                                 xi);
    }
    Project({{&l.up.w, up.data()}}, x.data(), n);
    AddBias(l.up, n, up.data());
    for (float& u : up) u = kernels::cpu::GeluErfRef(u);
    Project({{&l.down.w, o.data()}}, up.data(), n);
    AddBias(l.down, n, o.data());
    for (int64_t i = 0; i < n; ++i) {
      float* xi = &x[static_cast<size_t>(i * d)];
      for (int64_t j = 0; j < d; ++j) xi[j] += o[static_cast<size_t>(i * d + j)];
      kernels::cpu::LayerNormRef(xi, l.out_norm.w.data(), l.out_norm.b.data(), p_.eps, d, xi);
    }
  }

  // Bidirectional attention of every head over all n positions: S = Q K^T
  // (each head's K rows as the "weights"), a softmax per row, then O = P V
  // (V^T's rows as the "weights"), written into attn ([n, d]) at the head's
  // columns. All heads' products go to the pool as one parallel step each:
  // a query of a dozen tokens would otherwise spend more time handing 24
  // small jobs per layer to the workers than computing them.
  void Attend(int64_t n, const std::vector<float>& q, const std::vector<float>& k,
              const std::vector<float>& v, std::vector<float>& attn) const {
    using kernels::GgmlType;
    using kernels::cpu::MatMulJob;
    using kernels::cpu::QuantizedRows;
    const int64_t d = p_.n_embd, hd = p_.head_dim, heads = p_.n_head;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    std::vector<float> kh(static_cast<size_t>(heads * n * hd));  // [heads][n, hd]
    std::vector<float> vt(kh.size());                            // [heads][hd, n]
    for (int64_t h = 0; h < heads; ++h) {
      float* kd = &kh[static_cast<size_t>(h * n * hd)];
      float* vd = &vt[static_cast<size_t>(h * n * hd)];
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < hd; ++j) {
          const size_t src = static_cast<size_t>(i * d + h * hd + j);
          kd[i * hd + j] = k[src];
          vd[j * n + i] = v[src];
        }
      }
    }
    std::vector<float> scores(static_cast<size_t>(heads * n * n));  // [heads][n, n]
    std::vector<QuantizedRows> inputs(static_cast<size_t>(heads));
    std::vector<MatMulJob> jobs(static_cast<size_t>(heads));
    for (int64_t h = 0; h < heads; ++h) {
      // Head h's query rows, read in place from q with stride d.
      inputs[h].Quantize(GgmlType::F32, q.data() + h * hd, n, hd, d);
      jobs[h] = MatMulJob{GgmlType::F32, &kh[static_cast<size_t>(h * n * hd)], n, &inputs[h],
                          &scores[static_cast<size_t>(h * n * n)], n};
    }
    auto* pool = &kernels::cpu::WorkerPool::Default();
    kernels::cpu::MatMul(jobs, pool);
    for (int64_t r = 0; r < heads * n; ++r) Softmax(&scores[static_cast<size_t>(r * n)], n, scale);
    for (int64_t h = 0; h < heads; ++h) {
      inputs[h].Quantize(GgmlType::F32, &scores[static_cast<size_t>(h * n * n)], n, n, n);
      jobs[h] = MatMulJob{GgmlType::F32, &vt[static_cast<size_t>(h * n * hd)], hd, &inputs[h],
                          attn.data() + h * hd, d};
    }
    kernels::cpu::MatMul(jobs, pool);
  }

  // y[i] += b for each of the n rows of y ([n, a.w.rows]).
  static void AddBias(const Affine& a, int64_t n, float* y) {
    const int64_t r = a.w.rows;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < r; ++j) y[i * r + j] += a.b[static_cast<size_t>(j)];
    }
  }

  // Row-wise softmax of s[0..n) * scale, in place.
  static void Softmax(float* s, int64_t n, float scale) {
    float m = -INFINITY;
    for (int64_t j = 0; j < n; ++j) m = std::max(m, s[j] * scale);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      s[j] = std::exp(s[j] * scale - m);
      sum += s[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < n; ++j) s[j] *= inv;
  }

  BertParams p_{};
  Weight tok_embd_;   // [n_vocab, n_embd]
  Weight pos_embd_;   // [n_ctx, n_embd]
  Weight type_embd_;  // [n_token_types, n_embd]
  Norm embd_norm_;
  std::vector<BertLayer> layers_;
};

}  // namespace

Result<std::unique_ptr<Model>> CreateBert(const GgufFile& file) { return BertModel::Load(file); }

}  // namespace kiln::engine
