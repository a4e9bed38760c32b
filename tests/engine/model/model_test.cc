#include "engine/model/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/dispatch.h"
#include "tests/engine/model/tiny_models.h"

namespace kiln::engine {
namespace {

using testing::TinyLlama;
using testing::WriteTinyLlama;

std::unique_ptr<GgufFile> Open(const std::string& bytes) {
  auto file = GgufFile::FromBytes(bytes);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

TEST(Model, LoadsATinyLlama) {
  auto file = Open(WriteTinyLlama({}));
  auto model = CreateModel(*file);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().arch, "llama");
  EXPECT_EQ((*model)->info().n_vocab, 32);
  EXPECT_EQ((*model)->info().n_layer, 2);
  EXPECT_TRUE((*model)->info().causal);
}

TEST(Model, WholePromptEqualsTokenByToken) {
  auto file = Open(WriteTinyLlama({}));
  auto model = std::move(CreateModel(*file)).value();
  std::vector<int32_t> prompt = {3, 17, 5, 9, 30, 1};
  auto a = model->NewCache(64), b = model->NewCache(64);
  std::vector<float> la(32), lb(32);
  ASSERT_TRUE(model->Decode(*a, prompt, la.data()).ok());
  for (int32_t t : prompt) ASSERT_TRUE(model->Decode(*b, {&t, 1}, lb.data()).ok());
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a->size(), 6);
  for (float v : la) EXPECT_TRUE(std::isfinite(v));
  // A different history changes the next logits: attention reads the cache.
  auto c = model->NewCache(64);
  std::vector<int32_t> other = {4, 17, 5, 9, 30, 1};
  std::vector<float> lc(32);
  ASSERT_TRUE(model->Decode(*c, other, lc.data()).ok());
  EXPECT_NE(la, lc);
}

// Several sequences in one Forward give what each gives alone: bit for bit
// on the reference kernels, to float rounding on the SIMD ones (the batch's
// matmuls run on other kernels than a single token's).
TEST(Model, SequencesBatchedTogetherMatchEachAlone) {
  auto file = Open(WriteTinyLlama({}));
  auto model = std::move(CreateModel(*file)).value();
  const kernels::cpu::Isa saved = kernels::cpu::ActiveIsa();
  for (kernels::cpu::Isa isa : {kernels::cpu::Isa::kScalar, kernels::cpu::DetectedIsa()}) {
    kernels::cpu::SetActiveIsa(isa);
    SCOPED_TRACE(std::string(kernels::cpu::IsaName(isa)));
    const std::vector<std::vector<int32_t>> prompts = {
        {3, 17, 5, 9, 30, 1, 2, 8, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21}, {4, 4, 7}, {31}};
    // Alone: each prompt, then one more token.
    std::vector<std::vector<float>> alone;
    for (const auto& p : prompts) {
      auto c = model->NewCache(64);
      std::vector<float> l(32);
      ASSERT_TRUE(model->Decode(*c, p, l.data()).ok());
      const int32_t next = 6;
      ASSERT_TRUE(model->Decode(*c, {&next, 1}, l.data()).ok());
      alone.push_back(l);
    }
    // Together, in one shared pool: the prompts as one batch, then a
    // decode step of all three.
    auto pool = model->NewKvPool(16);
    std::vector<std::unique_ptr<KvCache>> caches;
    std::vector<std::vector<float>> logits(3, std::vector<float>(32));
    std::vector<SequenceInput> batch;
    for (size_t i = 0; i < 3; ++i) {
      caches.push_back(model->NewCache(pool, 64));
      batch.push_back({caches[i].get(), prompts[i], nullptr});
    }
    ASSERT_TRUE(model->Forward(batch).ok());
    const int32_t next = 6;
    for (size_t i = 0; i < 3; ++i) batch[i] = {caches[i].get(), {&next, 1}, logits[i].data()};
    ASSERT_TRUE(model->Forward(batch).ok());
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(caches[i]->size(), static_cast<int64_t>(prompts[i].size()) + 1);
      for (size_t j = 0; j < 32; ++j) {
        if (isa == kernels::cpu::Isa::kScalar) {
          ASSERT_EQ(logits[i][j], alone[i][j]) << i << "/" << j;
        } else {
          ASSERT_NEAR(logits[i][j], alone[i][j], 1e-3 * (1 + std::fabs(alone[i][j])))
              << i << "/" << j;
        }
      }
    }
  }
  kernels::cpu::SetActiveIsa(saved);
}

TEST(Model, ForwardRejectsBadBatchesAndAFullPool) {
  auto file = Open(WriteTinyLlama({}));
  auto model = std::move(CreateModel(*file)).value();
  auto pool = model->NewKvPool(2);  // 32 positions
  auto a = model->NewCache(pool, 64), b = model->NewCache(pool, 64);
  const std::vector<int32_t> t20(20, 3), t1 = {1};
  std::vector<SequenceInput> same = {{a.get(), t1, nullptr}, {a.get(), t1, nullptr}};
  EXPECT_EQ(model->Forward(same).code(), StatusCode::kInvalidArgument);
  const std::vector<int32_t> bad = {32};
  const SequenceInput out_of_vocab{a.get(), bad, nullptr};
  EXPECT_EQ(model->Forward({&out_of_vocab, 1}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(model->Decode(*a, t20, nullptr).ok());  // 2 pages
  const Status full = model->Decode(*b, t20, nullptr);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted) << full.ToString();
  EXPECT_EQ(b->size(), 0);
  // A cache of another model's shape.
  TinyLlama wide;
  wide.n_embd = 64;
  auto other_file = Open(WriteTinyLlama(wide));
  auto other = std::move(CreateModel(*other_file)).value();
  auto foreign = other->NewCache(16);
  const SequenceInput f{foreign.get(), t1, nullptr};
  EXPECT_EQ(model->Forward({&f, 1}).code(), StatusCode::kInvalidArgument);
}

TEST(Model, EveryQuantizedMatrixTypeRuns) {
  for (auto type : {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::BF16,
                    kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0, kernels::GgmlType::Q4_1,
                    kernels::GgmlType::Q5_0, kernels::GgmlType::Q5_1}) {
    TinyLlama t;
    t.matrix_type = type;
    auto file = Open(WriteTinyLlama(t));
    auto model = CreateModel(*file);
    ASSERT_TRUE(model.ok()) << kernels::TypeName(type) << ": " << model.status().ToString();
    auto cache = (*model)->NewCache(16);
    std::vector<float> logits(32);
    int32_t tokens[] = {1, 2, 3};
    ASSERT_TRUE((*model)->Decode(*cache, tokens, logits.data()).ok());
    for (float v : logits) EXPECT_TRUE(std::isfinite(v)) << kernels::TypeName(type);
  }
}

TEST(Model, BadFilesAreClearErrors) {
  {
    auto file = Open(WriteTinyLlama({}, "blk.1.ffn_up.weight"));
    auto model = CreateModel(*file);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find("blk.1.ffn_up.weight"), std::string::npos)
        << model.status().message();
  }
  {
    auto file = Open(WriteTinyLlama({}, "", "mamba"));
    auto model = CreateModel(*file);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find("unknown model architecture 'mamba'"),
              std::string::npos);
  }
  {
    TinyLlama t;
    t.n_head = 5;  // 32 is not divisible by 5
    auto file = Open(WriteTinyLlama(t));
    EXPECT_FALSE(CreateModel(*file).ok());
  }
  {
    // Tensors of a model with n_ff 48 under metadata that says 64.
    TinyLlama t;
    t.n_ff = 48;
    auto f2 = Open(WriteTinyLlama(t));
    ASSERT_TRUE(f2 != nullptr);
    GgufWriter mixed;
    mixed.SetString("general.architecture", "llama");
    mixed.SetUint32("llama.block_count", 1);
    mixed.SetUint32("llama.embedding_length", 32);
    mixed.SetUint32("llama.feed_forward_length", 64);
    mixed.SetUint32("llama.attention.head_count", 4);
    for (const GgufTensor& tensor : f2->tensors()) {
      if (tensor.name.rfind("blk.1.", 0) == 0) continue;
      ASSERT_TRUE(
          mixed
              .AddTensor(tensor.name, tensor.type, tensor.dims,
                         std::string(reinterpret_cast<const char*>(tensor.data), tensor.nbytes))
              .ok());
    }
    auto f3 = Open(mixed.Serialize());
    auto model = CreateModel(*f3);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find("has shape"), std::string::npos)
        << model.status().message();
  }
}

TEST(Model, ContextAndVocabularyLimits) {
  auto file = Open(WriteTinyLlama({}));
  auto model = std::move(CreateModel(*file)).value();
  auto cache = model->NewCache(8);
  std::vector<float> logits(32);
  std::vector<int32_t> too_long(9, 1);
  Status st = model->Decode(*cache, too_long, logits.data());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("do not fit in the context of 8"), std::string::npos);
  EXPECT_EQ(cache->size(), 0) << "a refused call changes nothing";
  int32_t bad[] = {1, 32};
  EXPECT_NE(model->Decode(*cache, bad, logits.data()).message().find("outside the vocabulary"),
            std::string::npos);
  int32_t negative[] = {-1};
  EXPECT_FALSE(model->Decode(*cache, negative, logits.data()).ok());
  EXPECT_FALSE(model->Decode(*cache, {}, logits.data()).ok());
  EXPECT_FALSE(model->Embed(std::vector<int32_t>{1}).ok()) << "a decoder does not embed";
}

}  // namespace
}  // namespace kiln::engine
