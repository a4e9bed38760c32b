// Opens the real model files that scripts/setup fetches (skipped when absent).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/gguf/gguf_file.h"

namespace kiln::engine {
namespace {

using kernels::GgmlType;

std::string ModelPath(const std::string& file) {
  const char* cache = std::getenv("KILN_CACHE");
  const char* home = std::getenv("HOME");
  const std::string dir = cache != nullptr
                              ? std::string(cache)
                              : std::string(home != nullptr ? home : "") + "/.cache/kiln";
  return dir + "/models/" + file;
}

// Opens `file`, or sets `skip` when it is not there.
std::unique_ptr<GgufFile> OpenModel(const std::string& file, bool* skip) {
  const std::string path = ModelPath(file);
  *skip = !std::filesystem::exists(path);
  if (*skip) return nullptr;
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

// What every model needs: each tensor's bytes are readable (first and last byte).
void TouchAllTensors(const GgufFile& f) {
  volatile unsigned sink = 0;  // keeps the reads
  for (const GgufTensor& t : f.tensors()) {
    ASSERT_GT(t.nbytes, 0u) << t.name;
    sink = sink + t.data[0] + t.data[t.nbytes - 1];
  }
}

TEST(GgufRealModelTest, SmolLm2) {
  bool skip = false;
  auto f = OpenModel("smollm2-135m-instruct-q4_1.gguf", &skip);
  if (skip)
    GTEST_SKIP() << "smollm2-135m-instruct-q4_1.gguf not downloaded (scripts/setup fetches it)";
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(f->tensors().size(), 272u);
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens")->size(), 49152u);
  const GgufTensor* embd = f->FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->type, GgmlType::Q8_0);
  EXPECT_EQ(embd->dims, (std::vector<int64_t>{576, 49152}));
  EXPECT_EQ(*f->GetInt("llama.embedding_length"), 576);
  TouchAllTensors(*f);
}

TEST(GgufRealModelTest, Gemma3) {
  bool skip = false;
  auto f = OpenModel("gemma-3-270m-q4_k_m.gguf", &skip);
  if (skip) GTEST_SKIP() << "gemma-3-270m-q4_k_m.gguf not downloaded (scripts/setup fetches it)";
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetString("general.architecture"), "gemma3");
  EXPECT_EQ(f->tensors().size(), 236u);
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens")->size(), 262144u);
  EXPECT_EQ(f->Find("tokenizer.ggml.scores")->AsFloatArray()->size(), 262144u);
  TouchAllTensors(*f);
}

// Made by scripts/convert_minilm.py from the packaged safetensors.
TEST(GgufRealModelTest, MiniLmConverted) {
  bool skip = false;
  auto f = OpenModel("all-minilm-l6-v2-f32.gguf", &skip);
  if (skip) GTEST_SKIP() << "all-minilm-l6-v2-f32.gguf not converted (scripts/convert_minilm.py)";
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetString("general.architecture"), "bert");
  EXPECT_EQ(*f->GetInt("bert.embedding_length"), 384);
  EXPECT_EQ(*f->GetInt("bert.block_count"), 6);
  EXPECT_EQ(*f->GetInt("bert.pooling_type"), 1);
  EXPECT_FALSE(*f->GetBool("bert.attention.causal"));
  EXPECT_FLOAT_EQ(static_cast<float>(*f->GetFloat("bert.attention.layer_norm_epsilon")), 1e-12f);
  EXPECT_EQ(*f->GetString("tokenizer.ggml.model"), "bert");
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens")->size(), 30522u);
  EXPECT_EQ(*f->GetInt("tokenizer.ggml.cls_token_id"), 101);
  EXPECT_EQ(*f->GetInt("tokenizer.ggml.seperator_token_id"), 102);
  EXPECT_EQ(f->tensors().size(), 5u + 6u * 16u);
  const GgufTensor* embd = f->FindTensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->type, GgmlType::F32);
  EXPECT_EQ(embd->dims, (std::vector<int64_t>{384, 30522}));
  EXPECT_EQ(f->FindTensor("blk.5.ffn_up.weight")->dims, (std::vector<int64_t>{384, 1536}));
  EXPECT_EQ(f->FindTensor("blk.5.ffn_down.weight")->dims, (std::vector<int64_t>{1536, 384}));
  TouchAllTensors(*f);
}

}  // namespace
}  // namespace kiln::engine
