#include "engine/chat/chat_template.h"

#include <array>
#include <new>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "engine/chat/internal/evaluator.h"
#include "engine/chat/internal/parser.h"

namespace kiln::engine {
namespace {

// ChatML as Qwen and SmolLM use it, without a default system prompt.
constexpr std::string_view kChatMl = R"({%- for message in messages -%}
{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|im_start|>assistant\n' -}}
{%- endif -%})";

// Gemma's turn format, following Google's Hugging Face template: no system
// role, so a leading system message is prepended (with a blank line) to the
// first user message; "assistant" is written "model"; contents are trimmed.
// No <bos>: Gemma's tokenizer adds it (tokenizer.ggml.add_bos_token). Unlike
// Google's template this one does not insist on user/model alternation, and a
// system message with no user message to carry it becomes a user turn.
constexpr std::string_view kGemma = R"({%- set ns = namespace(prefix='', pending=false) -%}
{%- if messages and messages[0]['role'] == 'system' -%}
  {%- set ns.prefix = messages[0]['content'] + '\n\n' -%}
  {%- set loop_messages = messages[1:] -%}
  {%- if loop_messages | selectattr('role', 'equalto', 'user') | list | length > 0 -%}
    {%- set ns.pending = true -%}
  {%- else -%}
    {{- '<start_of_turn>user\n' + messages[0]['content'] | trim + '<end_of_turn>\n' -}}
  {%- endif -%}
{%- else -%}
  {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
  {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
  {%- set role = 'user' if role == 'system' else role -%}
  {%- set content = message['content'] | trim -%}
  {%- if ns.pending and role == 'user' -%}
    {%- set content = ns.prefix + content -%}
    {%- set ns.pending = false -%}
  {%- endif -%}
  {{- '<start_of_turn>' + role + '\n' + content + '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<start_of_turn>model\n' -}}
{%- endif -%})";

constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kBuiltins = {{
    {"chatml", kChatMl},
    {"gemma", kGemma},
}};

}  // namespace

ChatTemplate::ChatTemplate(std::string name, std::string source,
                           std::shared_ptr<const chat::internal::Program> program)
    : name_(std::move(name)), source_(std::move(source)), program_(std::move(program)) {}

Result<ChatTemplate> ChatTemplate::Parse(std::string_view source) {
  try {
    KILN_ASSIGN_OR_RETURN(auto program, chat::internal::ParseProgram(source));
    return ChatTemplate("gguf", std::string(source), std::move(program));
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("chat template: out of memory while parsing");
  }
}

ChatTemplate ChatTemplate::Builtin(std::string_view name) {
  for (const auto& [builtin_name, source] : kBuiltins) {
    if (builtin_name != name) continue;
    Result<ChatTemplate> parsed = Parse(source);
    KILN_CHECK(parsed.ok()) << "built-in template " << name << ": " << parsed.status().ToString();
    ChatTemplate t = std::move(parsed).value();
    t.name_ = std::string(name);
    return t;
  }
  KILN_CHECK(false) << "no built-in chat template named '" << name << "'";
  return Builtin("chatml");  // unreachable
}

std::vector<std::string> ChatTemplate::BuiltinNames() {
  std::vector<std::string> names;
  for (const auto& entry : kBuiltins) names.emplace_back(entry.first);
  return names;
}

Result<std::string> ChatTemplate::Render(const std::vector<ChatMessage>& messages,
                                         bool add_generation_prompt,
                                         const TemplateContext& ctx) const {
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  if (ctx.extra.is_object()) vars = ctx.extra;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
  vars["messages"] = std::move(list);
  vars["add_generation_prompt"] = add_generation_prompt;
  vars["bos_token"] = ctx.bos_token;
  vars["eos_token"] = ctx.eos_token;
  if (!ctx.tools.is_null()) vars["tools"] = ctx.tools;
  return RenderVariables(vars);
}

Result<std::string> ChatTemplate::RenderVariables(const nlohmann::ordered_json& variables) const {
  if (!variables.is_object()) return InvalidArgument("chat template variables must be an object");
  // The interpreter reports failures as Status; nlohmann's accessors and
  // allocation are the only sources of exceptions, caught here at the boundary.
  try {
    return chat::internal::RenderProgram(*program_, variables);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("chat template: out of memory while rendering");
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("chat template: ") + e.what());
  }
}

std::vector<std::string> ChatTemplate::StopStrings() const {
  static constexpr std::string_view kMarkers[] = {"<|im_end|>", "<end_of_turn>", "<|eot_id|>",
                                                  "<|end|>",    "<|endoftext|>", "<|eom_id|>"};
  std::vector<std::string> stops;
  for (std::string_view marker : kMarkers) {
    if (source_.find(marker) != std::string::npos) stops.emplace_back(marker);
  }
  return stops;
}

ChatTemplate SelectChatTemplate(std::string_view gguf_chat_template,
                                std::string_view architecture) {
  if (!gguf_chat_template.empty()) {
    Result<ChatTemplate> parsed = ChatTemplate::Parse(gguf_chat_template);
    if (parsed.ok()) return std::move(parsed).value();
    KILN_LOG(WARNING) << "model chat template not supported, using a built-in one: "
                      << parsed.status().ToString();
  }
  bool gemma = architecture == "gemma" || architecture == "gemma2" || architecture == "gemma3";
  return ChatTemplate::Builtin(gemma ? "gemma" : "chatml");
}

}  // namespace kiln::engine
