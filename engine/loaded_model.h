// LoadedModel: everything needed to run one model file: the mapped GGUF, its
// tokenizer, its chat template and the network. Immutable after loading and
// shareable between threads (per-sequence state lives in KvCache/Sampler).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "engine/chat/chat_template.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine {

struct LoadedModel {
  std::string path;
  std::unique_ptr<GgufFile> file;  // owns the mapping the weights point into
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<Model> model;
  ChatTemplate chat_template = ChatTemplate::Builtin("chatml");  // for decoder models
  TemplateContext template_context;  // bos/eos texts the template may use

  // Renders `messages` with the chat template and tokenizes the result
  // (special tokens in the template are parsed as such).
  Result<std::vector<int32_t>> EncodeChat(const std::vector<ChatMessage>& messages,
                                          bool add_generation_prompt) const;
};

// Opens, validates and prepares `path`. Every problem (unreadable or hostile
// file, unknown architecture or tensor type, missing tensor, wrong shape)
// comes back as a Status naming it.
Result<std::unique_ptr<LoadedModel>> LoadModel(const std::string& path);

}  // namespace kiln::engine
