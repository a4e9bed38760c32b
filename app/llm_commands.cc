#include "app/llm_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "base/clock.h"
#include "engine/generate.h"
#include "engine/loaded_model.h"

namespace kiln::app {
namespace {

Result<std::unique_ptr<engine::LoadedModel>> Load(const LlmOptions& options) {
  auto loaded = engine::LoadModel(options.model_path);
  if (!loaded.ok()) {
    return Status(
        loaded.status().code(),
        loaded.status().message() + (access(options.model_path.c_str(), R_OK) != 0
                                         ? " (run scripts/setup to fetch the default models)"
                                         : ""));
  }
  return loaded;
}

engine::GenerateOptions GenerateOptionsFrom(const LlmOptions& options,
                                            const engine::LoadedModel& m) {
  engine::GenerateOptions g;
  g.sampling = options.sampling;
  g.max_tokens = options.max_tokens;
  g.n_ctx = options.n_ctx;
  g.stop = m.chat_template.StopStrings();
  return g;
}

bool PrintPiece(std::string_view piece) {
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fflush(stdout);
  return true;
}

void PrintStats(const engine::GenerateResult& r) {
  double prefill_rate = r.prefill_seconds > 0 ? r.prompt_tokens / r.prefill_seconds : 0;
  double decode_rate = r.decode_seconds > 0 ? r.tokens.size() / r.decode_seconds : 0;
  std::fprintf(
      stderr, "\n[%d prompt tokens, %.1f tokens/s; %zu generated, %.1f tokens/s; finish: %s]\n",
      r.prompt_tokens, prefill_rate, r.tokens.size(), decode_rate, r.finish_reason.c_str());
}

}  // namespace

Status RunGenerate(const LlmOptions& options) {
  KILN_ASSIGN_OR_RETURN(auto m, Load(options));
  std::vector<int32_t> prompt;
  if (options.use_template) {
    std::vector<engine::ChatMessage> messages;
    if (!options.system.empty()) messages.push_back({"system", options.system});
    messages.push_back({"user", options.prompt});
    KILN_ASSIGN_OR_RETURN(prompt, m->EncodeChat(messages, true));
  } else {
    prompt = m->tokenizer->Encode(options.prompt, /*add_special=*/true, /*parse_special=*/false);
  }
  engine::GenerateOptions g = GenerateOptionsFrom(options, *m);
  if (!options.use_template) g.stop.clear();
  KILN_ASSIGN_OR_RETURN(auto result,
                        engine::Generate(*m->model, *m->tokenizer, prompt, g, PrintPiece));
  PrintStats(result);
  return Status::OK();
}

Status RunChat(const LlmOptions& options) {
  KILN_ASSIGN_OR_RETURN(auto m, Load(options));
  const bool tty = isatty(STDIN_FILENO);
  if (tty) {
    std::fprintf(stderr, "kiln chat: %s. Type a message; /reset starts over, /exit ends.\n",
                 m->model->info().name.c_str());
  }
  std::vector<engine::ChatMessage> messages;
  if (!options.system.empty()) messages.push_back({"system", options.system});
  const size_t keep = messages.size();
  std::string line;
  while (true) {
    if (tty) std::fprintf(stderr, "\n> ");
    if (!std::getline(std::cin, line)) break;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      messages.resize(keep);
      continue;
    }
    if (line.empty()) continue;
    messages.push_back({"user", line});
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, m->EncodeChat(messages, true));
    auto result = engine::Generate(*m->model, *m->tokenizer, prompt,
                                   GenerateOptionsFrom(options, *m), PrintPiece);
    if (!result.ok()) {
      std::fprintf(stderr, "\nerror: %s\n", result.status().message().c_str());
      messages.pop_back();
      continue;
    }
    std::fputc('\n', stdout);
    messages.push_back({"assistant", result->text});
    if (tty) PrintStats(*result);
  }
  return Status::OK();
}

Status RunEmbed(const LlmOptions& options) {
  KILN_ASSIGN_OR_RETURN(auto m, Load(options));
  std::vector<std::string> texts = options.texts;
  if (texts.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) texts.push_back(line);
  }
  for (const std::string& text : texts) {
    std::vector<int32_t> tokens = m->tokenizer->Encode(text, /*add_special=*/true, false);
    KILN_ASSIGN_OR_RETURN(std::vector<float> embedding, m->model->Embed(tokens));
    std::string out = "[";
    char buf[32];
    for (size_t i = 0; i < embedding.size(); ++i) {
      std::snprintf(buf, sizeof(buf), "%s%.7g", i ? ", " : "", embedding[i]);
      out += buf;
    }
    std::printf("%s]\n", out.c_str());
  }
  return Status::OK();
}

}  // namespace kiln::app
