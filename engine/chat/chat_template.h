// Chat templates: turning a conversation into the prompt text a model was
// trained on.
//
// Most GGUF files carry the model's Hugging Face template (Jinja2 source) in
// `tokenizer.chat_template`; ChatTemplate::Parse compiles it with Kiln's own
// interpreter for the Jinja2 subset real templates use (internal/). Models
// whose GGUF has none (Gemma 3) get a built-in template, written in the same
// Jinja subset and rendered by the same interpreter.
//
// A ChatTemplate is immutable after construction and cheap to copy (the parsed
// tree is shared); Render may be called from any number of threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::engine {

namespace chat::internal {
struct Program;
}  // namespace chat::internal

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool", ...
  std::string content;
};

// Variables a template sees besides `messages` and `add_generation_prompt`.
struct TemplateContext {
  std::string bos_token;
  std::string eos_token;
  // JSON array of tool schemas, exposed as `tools`; null leaves `tools` undefined.
  nlohmann::ordered_json tools = nullptr;
  // Further variables (an object), e.g. {"enable_thinking": false}.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // Compiles Jinja2 source. InvalidArgument, naming the line, for syntax errors
  // and for anything outside the supported subset (unknown tags, filters, tests).
  static Result<ChatTemplate> Parse(std::string_view source);

  // A built-in template: "chatml" or "gemma" (see BuiltinNames()). Any other
  // name is a programming error and aborts.
  static ChatTemplate Builtin(std::string_view name);
  static std::vector<std::string> BuiltinNames();

  // Renders `messages`. InvalidArgument when the template rejects the
  // conversation (raise_exception, e.g. roles that do not alternate) or fails
  // on its data; ResourceExhausted when it runs past the loop/output caps.
  Result<std::string> Render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                             const TemplateContext& ctx) const;

  // Renders with every variable supplied by the caller (an object holding
  // `messages`, `add_generation_prompt`, ...): for messages with tool calls or
  // structured content that ChatMessage cannot carry.
  Result<std::string> RenderVariables(const nlohmann::ordered_json& variables) const;

  // End-of-turn markers that appear literally in the template ("<|im_end|>",
  // "<end_of_turn>", "<|eot_id|>", ...): hints for stopping generation.
  std::vector<std::string> StopStrings() const;

  // "gguf" for a parsed template, else the built-in's name.
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }

 private:
  ChatTemplate(std::string name, std::string source,
               std::shared_ptr<const chat::internal::Program> program);

  std::string name_;
  std::string source_;
  std::shared_ptr<const chat::internal::Program> program_;
};

// Picks the template for a model: the GGUF's own `tokenizer.chat_template`
// when present and supported, else the built-in for its `general.architecture`
// ("gemma", "gemma2", "gemma3" -> "gemma"), else "chatml". A GGUF template
// that fails to parse is logged as a warning and replaced by the built-in.
ChatTemplate SelectChatTemplate(std::string_view gguf_chat_template, std::string_view architecture);

}  // namespace kiln::engine
