#include "engine/loaded_model.h"

#include <malloc.h>

namespace kiln::engine {

Result<std::unique_ptr<LoadedModel>> LoadModel(const std::string& path) {
  auto m = std::make_unique<LoadedModel>();
  m->path = path;
  KILN_ASSIGN_OR_RETURN(m->file, GgufFile::Open(path));
  KILN_ASSIGN_OR_RETURN(m->model, CreateModel(*m->file));
  auto tokenizer = Tokenizer::FromGguf(*m->file);
  if (!tokenizer.ok()) return tokenizer.status().Annotate(path + ": tokenizer");
  m->tokenizer = std::move(tokenizer).value();
  // The tokenizer holds its own copy of the vocabulary: free the file's parsed
  // arrays (tens of MB for a 262k vocabulary) so that resident memory is the
  // weights, the KV cache and little else.
  for (const char* key : {"tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                          "tokenizer.ggml.token_type", "tokenizer.ggml.merges"}) {
    m->file->DropMetadata(key);
  }
  malloc_trim(0);  // hand the freed pages back (glibc keeps them otherwise)
  if (m->tokenizer->n_vocab() < m->model->info().n_vocab) {
    return InvalidArgument(
        path + ": the vocabulary has " + std::to_string(m->tokenizer->n_vocab()) +
        " tokens but the model outputs " + std::to_string(m->model->info().n_vocab));
  }
  if (m->model->info().causal) {
    KILN_ASSIGN_OR_RETURN(std::string source, m->file->GetStringOr("tokenizer.chat_template", ""));
    m->chat_template = SelectChatTemplate(source, m->model->info().arch);
    m->template_context.bos_token = m->tokenizer->TokenText(m->tokenizer->bos_id());
    m->template_context.eos_token = m->tokenizer->TokenText(m->tokenizer->eos_id());
  }
  return m;
}

Result<std::vector<int32_t>> LoadedModel::EncodeChat(const std::vector<ChatMessage>& messages,
                                                     bool add_generation_prompt) const {
  KILN_ASSIGN_OR_RETURN(std::string text,
                        chat_template.Render(messages, add_generation_prompt, template_context));
  // The rendered text carries the turn markers as text; parse them as the
  // special tokens they are. A template that writes the BOS itself must not get
  // a second one from the tokenizer.
  const std::string& bos = template_context.bos_token;
  bool has_bos = !bos.empty() && text.compare(0, bos.size(), bos) == 0;
  return tokenizer->Encode(text, /*add_special=*/!has_bos, /*parse_special=*/true);
}

}  // namespace kiln::engine
