// The OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions
// (plain and streamed as Server-Sent Events), POST /v1/embeddings. Existing
// OpenAI clients work unchanged against it: same request fields, same
// response objects, same error shape (errors.h), with a Kiln API key as the
// bearer token.
//
// Generation runs on the model's Scheduler; the response is a BodyStream the
// scheduler's callbacks fill (SSE chunks, or the whole JSON body at the end),
// so no I/O thread ever waits for a model. A client that goes away cancels its
// request (BodyStream::OnCancel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>

#include "base/base64.h"
#include "base/check.h"
#include "base/random.h"
#include "engine/generate.h"
#include "engine/grammar/json_schema.h"
#include "engine/grammar/token_constraint.h"
#include "engine/serve/served_models.h"
#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

uint64_t RandomSeed() {
  uint64_t seed;
  SecureRandomBytes(&seed, sizeof(seed));
  return seed;
}

json ModelJson(const engine::ServedModels::Entry& e) {
  // "type" is Kiln's own (clients ignore fields they do not know): what the
  // editor lists as a bot's model.
  return {{"id", e.name},
          {"object", "model"},
          {"created", e.created},
          {"owned_by", "kiln"},
          {"type", e.chat() ? "chat" : "embedding"}};
}

json ModelSchema() {
  return {{"type", "object"},
          {"required", {"id", "object", "created", "owned_by"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "model"}}},
            {"created", {{"type", "integer"}}},
            {"owned_by", {{"type", "string"}}}}}};
}

Result<const engine::ServedModels::Entry*> FindModel(engine::ServedModels* models,
                                                     const std::string& name) {
  const engine::ServedModels::Entry* e = models != nullptr ? models->Find(name) : nullptr;
  if (e == nullptr) {
    std::string known;
    if (models != nullptr) {
      for (const auto& m : models->entries()) known += (known.empty() ? "" : ", ") + m->name;
    }
    return NotFound(
        "the model '" + name + "' does not exist" +
        (known.empty() ? std::string("; this server has no models loaded") : "; loaded: " + known));
  }
  return e;
}

// ---- chat completions ----

json ContentSchema() {
  // A string, or an array of text parts.
  json part = {{"type", "object"},
               {"required", {"type"}},
               {"properties", {{"type", {{"type", "string"}}}, {"text", {{"type", "string"}}}}}};
  json array = {{"type", "array"}, {"items", part}};
  return {{"anyOf", json::array({json{{"type", "string"}}, array, json{{"type", "null"}}})}};
}

json ChatRequestSchema() {
  json message = {{"type", "object"},
                  {"required", {"role"}},
                  {"properties",
                   {{"role", {{"enum", {"system", "developer", "user", "assistant", "tool"}}}},
                    {"content", ContentSchema()},
                    {"name", {{"type", "string"}}},
                    {"tool_call_id", {{"type", "string"}}},
                    {"tool_calls", {{"type", "array"}}}}}};
  json stop = {{"anyOf",
                {{{"type", "string"}},
                 {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 4}},
                 {{"type", "null"}}}}};
  return {{"type", "object"},
          {"required", {"model", "messages"}},
          {"properties",
           {{"model", {{"type", "string"}, {"minLength", 1}}},
            {"messages", {{"type", "array"}, {"minItems", 1}, {"items", message}}},
            {"max_tokens", {{"type", {"integer", "null"}}, {"minimum", 0}}},
            {"max_completion_tokens", {{"type", {"integer", "null"}}, {"minimum", 0}}},
            {"temperature", {{"type", {"number", "null"}}, {"minimum", 0}, {"maximum", 2}}},
            {"top_p", {{"type", {"number", "null"}}, {"minimum", 0}, {"maximum", 1}}},
            {"presence_penalty", {{"type", {"number", "null"}}, {"minimum", -2}, {"maximum", 2}}},
            {"frequency_penalty", {{"type", {"number", "null"}}, {"minimum", -2}, {"maximum", 2}}},
            {"seed", {{"type", {"integer", "null"}}}},
            {"n", {{"type", {"integer", "null"}}, {"minimum", 1}, {"maximum", 1}}},
            {"stop", stop},
            {"stream", {{"type", {"boolean", "null"}}}},
            {"stream_options",
             {{"type", {"object", "null"}},
              {"properties", {{"include_usage", {{"type", "boolean"}}}}}}},
            {"tools",
             {{"type", {"array", "null"}},
              {"maxItems", 64},
              {"items",
               {{"type", "object"},
                {"required", {"type", "function"}},
                {"properties",
                 {{"type", {{"const", "function"}}},
                  {"function",
                   {{"type", "object"},
                    {"required", {"name"}},
                    {"properties",
                     {{"name", {{"type", "string"}, {"pattern", "^[a-zA-Z0-9_-]{1,64}$"}}},
                      {"description", {{"type", "string"}}},
                      {"parameters", {{"type", {"object", "boolean"}}}},
                      {"strict", {{"type", {"boolean", "null"}}}}}}}}}}}}}},
            {"tool_choice",
             {{"anyOf", json::array({json{{"enum", {"none", "auto", "required"}}},
                                     json{{"type", "object"},
                                          {"required", {"type", "function"}},
                                          {"properties",
                                           {{"type", {{"const", "function"}}},
                                            {"function",
                                             {{"type", "object"},
                                              {"required", {"name"}},
                                              {"properties", {{"name", {{"type", "string"}}}}}}}}}},
                                     json{{"type", "null"}}})}}},
            {"parallel_tool_calls", {{"type", {"boolean", "null"}}}},
            {"response_format",
             {{"type", {"object", "null"}},
              {"required", {"type"}},
              {"properties",
               {{"type", {{"enum", {"text", "json_object", "json_schema"}}}},
                {"json_schema",
                 {{"type", "object"},
                  {"required", {"name"}},
                  {"properties",
                   {{"name", {{"type", "string"}}},
                    {"description", {{"type", "string"}}},
                    {"schema", {{"type", {"object", "boolean"}}}},
                    {"strict", {{"type", {"boolean", "null"}}}}}}}}}}}},
            {"logprobs", {{"type", {"boolean", "null"}}}},
            {"user", {{"type", "string"}}}}}};
}

std::string TextOf(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& part : content) {
      if (part.value("type", "") == "text") text += part.value("text", "");
    }
  }
  return text;
}

struct ChatCall {
  std::string id, model;
  int64_t created = 0;
  bool stream = false, include_usage = false;
  bool tools = false;  // the answer may be a tool call
  std::string held;    // streamed text held back while it may be one
  // A content chunk's SSE bytes around its text, made once per call (Chunk()
  // with a marker for the text): per token only the text is encoded.
  std::string content_prefix, content_suffix;
};

// How the answer is shaped: a grammar (null: free text), whether it applies
// only once the answer starts with '{' (tool_choice auto), and what the
// model is told about it.
struct OutputPlan {
  std::shared_ptr<const engine::JsonGrammar> grammar;
  bool lazy = false;
  bool tools = false;
  std::string instructions;
};

// body_text: the request as sent, parsed again (with ordered_json) only for
// the schemas, to keep their properties in the order the caller wrote.
Result<OutputPlan> PlanOutput(const json& body, const std::string& body_text) {
  using ojson = nlohmann::ordered_json;
  OutputPlan plan;
  const bool has_tools =
      body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
  std::string choice = "auto";
  std::string named;
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    if (body["tool_choice"].is_string()) {
      choice = body["tool_choice"].get<std::string>();
    } else {
      choice = "named";
      named = body["tool_choice"]["function"]["name"].get<std::string>();
    }
  }
  if (has_tools && choice != "none") {
    ojson options = ojson::array();
    ojson listing = ojson::array();
    bool found = named.empty();
    const ojson raw = ojson::parse(body_text);
    for (const ojson& tool : raw["tools"]) {
      const ojson& fn = tool["function"];
      const std::string name = fn["name"].get<std::string>();
      ojson params = fn.contains("parameters") ? fn["parameters"] : ojson{{"type", "object"}};
      listing.push_back(
          {{"name", name}, {"description", fn.value("description", "")}, {"parameters", params}});
      if (!named.empty() && name != named) continue;
      found = true;
      options.push_back({{"type", "object"},
                         {"properties", {{"name", {{"const", name}}}, {"arguments", params}}},
                         {"required", {"name", "arguments"}},
                         {"additionalProperties", false}});
    }
    if (!found)
      return InvalidArgument("tool_choice names '" + named + "', which is not in tools",
                             "tool_choice");
    auto grammar = engine::JsonGrammar::Compile(ojson{{"anyOf", options}});
    if (!grammar.ok()) return InvalidArgument("tools: " + grammar.status().message(), "tools");
    plan.grammar = *grammar;
    plan.lazy = choice == "auto";
    plan.tools = true;
    plan.instructions =
        "You can call these tools:\n" + listing.dump() +
        "\nTo call a tool, reply with only a JSON object: {\"name\": <tool name>, \"arguments\": "
        "{...}}." +
        (choice == "auto" ? " Otherwise answer normally." : "");
    return plan;
  }
  if (body.contains("response_format") && body["response_format"].is_object()) {
    const std::string type = body["response_format"]["type"].get<std::string>();
    if (type == "json_object") {
      plan.grammar = engine::JsonGrammar::AnyObject();
      plan.instructions = "Answer with a JSON object.";
    } else if (type == "json_schema") {
      const ojson spec = ojson::parse(body_text)["response_format"]["json_schema"];
      const ojson schema = spec.contains("schema") ? spec["schema"] : ojson::object();
      auto grammar = engine::JsonGrammar::Compile(schema);
      if (!grammar.ok()) {
        return InvalidArgument("response_format.json_schema.schema: " + grammar.status().message(),
                               "response_format");
      }
      plan.grammar = *grammar;
      plan.instructions =
          "Answer with a JSON object that follows this JSON Schema:\n" + schema.dump();
    }
  }
  return plan;
}

json Usage(const engine::Completion& c) {
  const int completion = static_cast<int>(c.tokens.size());
  return {{"prompt_tokens", c.prompt_tokens},
          {"completion_tokens", completion},
          {"total_tokens", c.prompt_tokens + completion},
          {"prompt_tokens_details", {{"cached_tokens", c.cached_tokens}}}};
}

std::string Sse(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

json Chunk(const ChatCall& call, json delta, const json& finish_reason) {
  return {{"id", call.id},
          {"object", "chat.completion.chunk"},
          {"created", call.created},
          {"model", call.model},
          {"system_fingerprint", "kiln"},
          {"choices",
           {{{"index", 0},
             {"delta", std::move(delta)},
             {"logprobs", nullptr},
             {"finish_reason", finish_reason}}}}};
}

// Fills call.content_prefix/suffix (call's id, created and model set).
void PrepareContentChunks(ChatCall& call) {
  const std::string marker = "\"\\u0001kiln\\u0001\"";  // the marker text as JSON
  const std::string whole = Sse(Chunk(call, {{"content", "\x01kiln\x01"}}, nullptr));
  const size_t at = whole.find(marker);
  KILN_CHECK(at != std::string::npos);
  call.content_prefix = whole.substr(0, at);
  call.content_suffix = whole.substr(at + marker.size());
}

// The SSE chunk of one piece of content: the bytes Sse(Chunk(...)) gives.
std::string ContentChunk(const ChatCall& call, std::string_view text) {
  return call.content_prefix +
         json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace) +
         call.content_suffix;
}

// The error of a failed completion, in the API's shape.
std::string ErrorBody(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()), StatusCodeName(status.code()),
                       status.message(), "", "")
      .body;
}

Result<Response> ChatCompletions(engine::ServedModels* models, RequestContext& ctx) {
  const json& body = ctx.body;
  KILN_ASSIGN_OR_RETURN(const engine::ServedModels::Entry* entry,
                        FindModel(models, body["model"].get<std::string>()));
  if (!entry->chat()) {
    return InvalidArgument("'" + entry->name + "' is an embedding model; use /v1/embeddings",
                           "model");
  }
  if (body.contains("logprobs") && body["logprobs"] == true) {
    return InvalidArgument("logprobs are not supported", "logprobs");
  }
  KILN_ASSIGN_OR_RETURN(OutputPlan plan, PlanOutput(body, ctx.request.body));
  std::vector<engine::ChatMessage> messages;
  for (const json& m : body["messages"]) {
    std::string role = m["role"].get<std::string>();
    std::string text = TextOf(m.value("content", json()));
    if (role == "developer") role = "system";
    if (role == "assistant" && m.contains("tool_calls") && m["tool_calls"].is_array()) {
      // Earlier calls, shown to the model as it writes them.
      for (const json& call : m["tool_calls"]) {
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) {
          return InvalidArgument("tool_calls entries need a function", "messages");
        }
        const json& fn = call["function"];
        json args = json::parse(fn.value("arguments", "{}"), nullptr, false);
        if (args.is_discarded()) args = fn.value("arguments", "");
        text += (text.empty() ? "" : "\n") +
                json{{"name", fn.value("name", "")}, {"arguments", args}}.dump();
      }
    }
    if (role == "tool") {
      // Results go back as a user turn: every chat template has one.
      role = "user";
      text = "Result of tool call " + m.value("tool_call_id", std::string()) + ":\n" + text;
    }
    messages.push_back({role, text});
  }
  if (!plan.instructions.empty()) {
    if (!messages.empty() && messages[0].role == "system") {
      messages[0].content += "\n\n" + plan.instructions;
    } else {
      messages.insert(messages.begin(), {"system", plan.instructions});
    }
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, entry->model->EncodeChat(messages, true));

  engine::ServeRequest req;
  req.prompt = std::move(prompt);
  engine::SamplingParams& s = req.sampling;
  // OpenAI's defaults: temperature 1, top_p 1; no top-k or min-p. (The
  // schema has checked every type: a field is its type, null, or absent.)
  auto number = [&body](const char* key, float def) {
    return body.contains(key) && body[key].is_number() ? body[key].get<float>() : def;
  };
  s.temperature = number("temperature", 1.0f);
  s.top_p = number("top_p", 1.0f);
  s.top_k = 0;
  s.min_p = 0;
  s.presence_penalty = number("presence_penalty", 0.0f);
  s.frequency_penalty = number("frequency_penalty", 0.0f);
  s.seed = body.contains("seed") && body["seed"].is_number_integer()
               ? static_cast<uint64_t>(body["seed"].get<int64_t>())
               : RandomSeed();
  int max_tokens = -1;
  for (const char* f : {"max_completion_tokens", "max_tokens"}) {
    if (max_tokens < 0 && body.contains(f) && body[f].is_number_integer()) {
      max_tokens = static_cast<int>(std::min<int64_t>(body[f].get<int64_t>(), 1 << 30));
    }
  }
  const int64_t n_ctx = entry->scheduler->options().n_ctx;
  KILN_RETURN_IF_ERROR(engine::CheckPromptFits(static_cast<int64_t>(req.prompt.size()), n_ctx));
  const int64_t room = n_ctx - static_cast<int64_t>(req.prompt.size());
  req.max_tokens = max_tokens >= 0 ? max_tokens : static_cast<int>(room);
  if (body.contains("stop")) {
    if (body["stop"].is_string()) req.stop.push_back(body["stop"].get<std::string>());
    if (body["stop"].is_array()) {
      for (const json& st : body["stop"]) req.stop.push_back(st.get<std::string>());
    }
  }

  engine::JsonTokenConstraint* constraint = nullptr;
  if (plan.grammar != nullptr) {
    auto c = std::make_unique<engine::JsonTokenConstraint>(entry->vocab, plan.grammar, plan.lazy);
    constraint = c.get();
    req.constraint = std::move(c);
  }

  auto call = std::make_shared<ChatCall>();
  call->tools = plan.tools;
  call->id = "chatcmpl-" + RandomAlnum(24);
  call->model = entry->name;
  call->created = static_cast<int64_t>(std::time(nullptr));
  call->stream =
      body.contains("stream") && body["stream"].is_boolean() && body["stream"].get<bool>();
  call->include_usage = call->stream && body.contains("stream_options") &&
                        body["stream_options"].is_object() &&
                        body["stream_options"].contains("include_usage") &&
                        body["stream_options"]["include_usage"].get<bool>();
  auto out = std::make_shared<BodyStream>();
  if (call->stream) {
    PrepareContentChunks(*call);
    out->Write(Sse(Chunk(*call, {{"role", "assistant"}, {"content", ""}}, nullptr)));
    req.on_text = [out, call, constraint](std::string_view piece) {
      if (call->tools && constraint != nullptr && !constraint->off()) {
        // Maybe a tool call: nothing is shown until it is clear.
        call->held += piece;
        return !out->cancelled();
      }
      std::string text = std::move(call->held) + std::string(piece);
      call->held.clear();
      return out->Write(ContentChunk(*call, text));
    };
  }
  req.on_done = [out, call, constraint](engine::Completion c) {
    if (!c.status.ok()) {
      if (!call->stream) out->SetStatus(HttpStatusFor(c.status.code()));
      out->Write(call->stream ? "data: " + ErrorBody(c.status) + "\n\n" : ErrorBody(c.status));
      out->Close();
      return;
    }
    std::string reason = c.finish_reason == "length" ? "length" : "stop";
    json tool_calls;  // null: a plain answer
    if (call->tools && constraint != nullptr && constraint->active()) {
      const json parsed = json::parse(c.text, nullptr, false);
      if (parsed.is_object() && parsed.contains("name") && parsed.contains("arguments")) {
        tool_calls = json::array({json{
            {"id", "call_" + RandomAlnum(24)},
            {"type", "function"},
            {"function", {{"name", parsed["name"]}, {"arguments", parsed["arguments"].dump()}}}}});
        reason = "tool_calls";
      }
    }
    if (call->stream) {
      if (!tool_calls.is_null()) {
        json delta_calls = tool_calls;
        delta_calls[0]["index"] = 0;
        out->Write(Sse(Chunk(*call, {{"tool_calls", delta_calls}}, nullptr)));
      } else if (!call->held.empty()) {
        out->Write(ContentChunk(*call, call->held));
      }
      out->Write(Sse(Chunk(*call, json::object(), reason)));
      if (call->include_usage) {
        json usage = Chunk(*call, json::object(), nullptr);
        usage["choices"] = json::array();
        usage["usage"] = Usage(c);
        out->Write(Sse(usage));
      }
      out->Write("data: [DONE]\n\n");
    } else {
      json message = {{"role", "assistant"},
                      {"content", tool_calls.is_null() ? json(c.text) : json(nullptr)},
                      {"refusal", nullptr}};
      if (!tool_calls.is_null()) message["tool_calls"] = tool_calls;
      out->Write(json{
          {"id", call->id},
          {"object", "chat.completion"},
          {"created", call->created},
          {"model", call->model},
          {"system_fingerprint", "kiln"},
          {"choices",
           {{{"index", 0},
             {"message", message},
             {"logprobs", nullptr},
             {"finish_reason", reason}}}},
          {"usage",
           Usage(c)}}.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    out->Close();
  };
  engine::Scheduler* scheduler = entry->scheduler.get();
  KILN_ASSIGN_OR_RETURN(uint64_t id, scheduler->Submit(std::move(req)));
  out->OnCancel([scheduler, id] { scheduler->Cancel(id); });
  Response res;
  res.content_type = call->stream ? "text/event-stream" : "application/json";
  if (call->stream) res.SetHeader("Cache-Control", "no-cache");
  res.defer_status = !call->stream;  // a failed completion answers with its own status
  res.stream = std::move(out);
  return res;
}

// ---- embeddings ----

json EmbeddingsRequestSchema() {
  return {{"type", "object"},
          {"required", {"model", "input"}},
          {"properties",
           {{"model", {{"type", "string"}, {"minLength", 1}}},
            {"input",
             {{"anyOf",
               {{{"type", "string"}},
                {{"type", "array"},
                 {"minItems", 1},
                 {"maxItems", 2048},
                 {"items", {{"type", "string"}}}},
                {{"type", "array"}, {"minItems", 1}, {"items", {{"type", "integer"}}}},
                {{"type", "array"},
                 {"minItems", 1},
                 {"maxItems", 2048},
                 {"items", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}}}},
            {"encoding_format", {{"enum", {"float", "base64"}}}},
            {"dimensions", {{"type", "integer"}, {"minimum", 1}}},
            {"user", {{"type", "string"}}}}}};
}

std::string Base64(const std::vector<float>& v) {
  std::string bytes(v.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian float32, as OpenAI's
  return Base64Encode(bytes);
}

Result<Response> Embeddings(engine::ServedModels* models, RequestContext& ctx) {
  const json& body = ctx.body;
  KILN_ASSIGN_OR_RETURN(const engine::ServedModels::Entry* entry,
                        FindModel(models, body["model"].get<std::string>()));
  if (entry->chat()) {
    return InvalidArgument(
        "'" + entry->name + "' generates text; /v1/embeddings needs an embedding model", "model");
  }
  const engine::LoadedModel& m = *entry->model;
  const int64_t n_ctx = m.model->info().n_ctx_train;
  // Token lists, checked here so that bad input is a 400 before any work.
  std::vector<std::vector<int32_t>> inputs;
  const json& input = body["input"];
  auto add_text = [&](const std::string& text) {
    inputs.push_back(m.tokenizer->Encode(text, /*add_special=*/true, /*parse_special=*/false));
  };
  if (input.is_string()) {
    add_text(input.get<std::string>());
  } else if (input[0].is_string()) {
    for (const json& t : input) add_text(t.get<std::string>());
  } else if (input[0].is_number()) {
    inputs.push_back(input.get<std::vector<int32_t>>());
  } else {
    for (const json& t : input) inputs.push_back(t.get<std::vector<int32_t>>());
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int64_t n = static_cast<int64_t>(inputs[i].size());
    if (n == 0) return InvalidArgument("input " + std::to_string(i) + " is empty", "input");
    if (n > n_ctx) {
      return InvalidArgument("input " + std::to_string(i) + " has " + std::to_string(n) +
                                 " tokens; the model reads at most " + std::to_string(n_ctx),
                             "input");
    }
    for (int32_t t : inputs[i]) {
      if (t < 0 || t >= m.model->info().n_vocab) {
        return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary",
                               "input");
      }
    }
  }
  const bool base64 = body.value("encoding_format", "float") == "base64";
  const int64_t dims = body.value("dimensions", int64_t{0});
  auto out = std::make_shared<BodyStream>();
  models->RunEmbedding([out, inputs = std::move(inputs), base64, dims, entry] {
    json data = json::array();
    int64_t tokens = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (out->cancelled()) return;
      auto e = entry->model->model->Embed(inputs[i]);
      if (!e.ok()) {
        out->Write(ErrorBody(e.status()));
        out->Close();
        return;
      }
      std::vector<float> v = std::move(e).value();
      if (dims > 0 && dims < static_cast<int64_t>(v.size())) {
        // Shortened and renormalised, as OpenAI does for "dimensions".
        v.resize(static_cast<size_t>(dims));
        engine::L2Normalize(v);
      }
      tokens += static_cast<int64_t>(inputs[i].size());
      data.push_back({{"object", "embedding"},
                      {"index", i},
                      {"embedding", base64 ? json(Base64(v)) : json(v)}});
    }
    out->Write(json{{"object", "list"},
                    {"data", std::move(data)},
                    {"model", entry->name},
                    {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}}
                   .dump());
    out->Close();
  });
  Response res;
  res.stream = std::move(out);
  return res;
}

}  // namespace

void AddOpenAiRoutes(Router& router, engine::ServedModels* models, agent::Agent* agent,
                     size_t body_limit) {
  Route list = NewRoute("GET", "/v1/models", "listModels", "The models this server runs", "openai");
  list.responses = {{200,
                     "The loaded models (OpenAI's list shape).",
                     {{"type", "object"},
                      {"required", {"object", "data"}},
                      {"properties",
                       {{"object", {{"const", "list"}}},
                        {"data", {{"type", "array"}, {"items", ModelSchema()}}}}}}}};
  list.handler = [models](RequestContext&) -> Result<Response> {
    json data = json::array();
    if (models != nullptr) {
      for (const auto& e : models->entries()) data.push_back(ModelJson(*e));
    }
    return JsonResponse(200, {{"object", "list"}, {"data", std::move(data)}});
  };
  router.Add(std::move(list));

  Route one = NewRoute("GET", "/v1/models/{model}", "getModel", "One model", "openai");
  one.path_params = {{"model", "The model's name.", {{"type", "string"}, {"minLength", 1}}, true}};
  one.responses = {{200, "The model.", ModelSchema()}};
  one.handler = [models](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(const engine::ServedModels::Entry* e,
                          FindModel(models, ctx.PathParam("model")));
    return JsonResponse(200, ModelJson(*e));
  };
  router.Add(std::move(one));

  Route chat =
      NewRoute("POST", "/v1/chat/completions", "createChatCompletion",
               "A chat completion (OpenAI-compatible; stream: Server-Sent Events)", "openai");
  chat.body_limit = std::max<size_t>(body_limit, 4 << 20);
  chat.request_schema = ChatRequestSchema();
  chat.responses = {{200,
                     "The completion; with stream, text/event-stream of chat.completion.chunk "
                     "objects ending in data: [DONE].",
                     {{"type", "object"}}}};
  chat.errors = {404, 429};
  chat.handler = [models, agent](RequestContext& ctx) {
    if (ctx.body["model"].get<std::string>().starts_with("bot:")) {
      return BotChatCompletion(agent, ctx);
    }
    return ChatCompletions(models, ctx);
  };
  router.Add(std::move(chat));

  Route embed = NewRoute("POST", "/v1/embeddings", "createEmbedding",
                         "Embeddings of texts or token lists (OpenAI-compatible)", "openai");
  embed.body_limit = std::max<size_t>(body_limit, 8 << 20);
  embed.request_schema = EmbeddingsRequestSchema();
  embed.responses = {{200, "The embeddings (OpenAI's list shape).", {{"type", "object"}}}};
  embed.errors = {404};
  embed.handler = [models](RequestContext& ctx) { return Embeddings(models, ctx); };
  router.Add(std::move(embed));
}

}  // namespace kiln::web
