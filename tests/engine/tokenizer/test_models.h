// Test helpers: the real models' tokenizers, loaded once per test binary.
// Models live in $KILN_CACHE/models (default ~/.cache/kiln/models), where
// scripts/setup puts them; a missing model makes its tests skip.
#pragma once

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine::testing {

inline std::string ModelsDir() {
  if (const char* cache = std::getenv("KILN_CACHE")) return std::string(cache) + "/models";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/kiln/models";
}

inline bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// "smollm2", "gemma3" or "minilm"; nullptr when the model is not there.
// MiniLM comes from its converted GGUF when present, else from vocab.txt.
inline const Tokenizer* LoadModelTokenizer(const std::string& name) {
  static std::unique_ptr<Tokenizer> cache[3];
  const int slot = name == "smollm2" ? 0 : name == "gemma3" ? 1 : 2;
  if (cache[slot]) return cache[slot].get();
  const std::string dir = ModelsDir();
  const std::string gguf = slot == 0   ? dir + "/smollm2-135m-instruct-q4_1.gguf"
                           : slot == 1 ? dir + "/gemma-3-270m-q4_k_m.gguf"
                                       : dir + "/all-minilm-l6-v2-f32.gguf";
  if (std::ifstream(gguf).good()) {
    auto file = GgufFile::Open(gguf);
    if (!file.ok()) return nullptr;
    auto tok = Tokenizer::FromGguf(**file);
    if (!tok.ok()) return nullptr;
    cache[slot] = std::move(tok).value();
  } else if (slot == 2) {
    std::string text;
    if (!ReadFile(dir + "/all-minilm-l6-v2/vocab.txt", &text)) return nullptr;
    auto vocab = WordPieceVocabFromText(text);
    if (!vocab.ok()) return nullptr;
    auto tok = Tokenizer::FromVocab(std::move(vocab).value());
    if (!tok.ok()) return nullptr;
    cache[slot] = std::move(tok).value();
  }
  return cache[slot].get();
}

}  // namespace kiln::engine::testing
