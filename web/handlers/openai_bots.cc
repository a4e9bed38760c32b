// Bots through the OpenAI-compatible API: POST /v1/chat/completions with
// model "bot:<id>" runs the bot's published version (persona, knowledge,
// plugins) on the request's messages, so any OpenAI client can talk to a
// bot. The turn is stateless: the client sends the history, as OpenAI's API
// expects, and nothing is stored. The bot's own tool calls stay inside it;
// the client sees the answer.
#include <ctime>

#include "agent/agent.h"
#include "base/random.h"
#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

std::string Text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& part : content) {
      if (part.is_object() && part.value("type", "") == "text") text += part.value("text", "");
    }
  }
  return text;
}

struct BotCall {
  std::string id, model;
  int64_t created = 0;
  bool stream = false, include_usage = false;
};

json ChunkOf(const BotCall& call, json delta, const json& finish) {
  return {{"id", call.id},
          {"object", "chat.completion.chunk"},
          {"created", call.created},
          {"model", call.model},
          {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}}}};
}

std::string Data(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace

Result<Response> BotChatCompletion(agent::Agent* agent, RequestContext& ctx) {
  if (agent == nullptr) return Unavailable("bots are not available on this server");
  const json& body = ctx.body;
  const std::string model = body["model"].get<std::string>();
  agent::ChatTurn turn;
  turn.workspace_id = ctx.principal.workspace_id;
  turn.bot_id = model.substr(4);
  turn.stateless = true;
  turn.source = "openai";
  turn.user_id = body.contains("user") && body["user"].is_string() ? body["user"].get<std::string>()
                                                                   : "key:" + ctx.principal.key_id;
  // The last user message is the turn; the user/assistant messages before
  // it are its history (the bot's persona replaces any system message).
  const json& messages = body["messages"];
  size_t last = messages.size();
  while (last > 0 && messages[last - 1]["role"] != "user") --last;
  if (last == 0) return InvalidArgument("the messages hold no user message", "messages");
  turn.message = Text(messages[last - 1].value("content", json()));
  for (size_t i = 0; i + 1 < last; ++i) {
    const std::string role = messages[i]["role"].get<std::string>();
    if (role == "user" || role == "assistant") {
      turn.history.push_back({role, Text(messages[i].value("content", json()))});
    }
  }
  auto call = std::make_shared<BotCall>();
  call->id = "chatcmpl-" + RandomAlnum(24);
  call->model = model;
  call->created = static_cast<int64_t>(std::time(nullptr));
  call->stream = body.value("stream", false) == true;
  call->include_usage = call->stream && body.contains("stream_options") &&
                        body["stream_options"].is_object() &&
                        body["stream_options"].value("include_usage", false);
  auto out = std::make_shared<BodyStream>();
  if (call->stream)
    out->Write(Data(ChunkOf(*call, {{"role", "assistant"}, {"content", ""}}, nullptr)));
  agent::EventSink sink = [out, call](const agent::AgentEvent& e) {
    if (out->cancelled()) return false;
    if (e.type == "error") {
      if (call->stream) {
        out->Write("data: " + ErrorFromStatus(e.status, "").body + "\n\n");
        out->Close();
      } else {
        FailBody(*out, e.status);
      }
      return false;
    }
    if (e.type == "delta" && call->stream) {
      return out->Write(Data(ChunkOf(*call, {{"content", e.data["text"]}}, nullptr)));
    }
    if (e.type != "done") return true;
    const std::string reason = e.data["finish_reason"] == "length" ? "length" : "stop";
    json usage = e.data["usage"];
    if (call->stream) {
      out->Write(Data(ChunkOf(*call, json::object(), reason)));
      if (call->include_usage) {
        json u = ChunkOf(*call, json::object(), nullptr);
        u["choices"] = json::array();
        u["usage"] = usage;
        out->Write(Data(u));
      }
      out->Write("data: [DONE]\n\n");
    } else {
      out->Write(json{
          {"id", call->id},
          {"object", "chat.completion"},
          {"created", call->created},
          {"model", call->model},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", e.data["text"]}}},
             {"finish_reason", reason}}}},
          {"usage",
           usage}}.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    out->Close();
    return true;
  };
  KILN_RETURN_IF_ERROR(agent->Submit(std::move(turn), std::move(sink)));
  Response res;
  res.content_type = call->stream ? "text/event-stream" : "application/json";
  if (call->stream) res.SetHeader("Cache-Control", "no-cache");
  res.defer_status = !call->stream;
  res.stream = std::move(out);
  return res;
}

}  // namespace kiln::web
