// The chat API: POST /v1/bots/{id}/chat (a turn with a bot: Server-Sent
// Events with named events, or one JSON object), and the conversations it
// keeps (GET /v1/conversations, GET/DELETE /v1/conversations/{id}, GET
// /v1/conversations/{id}/messages).
//
// The turn runs on the agent's workers (agent/agent.h); events are written
// to the response's BodyStream as they come, so no I/O thread waits. A
// client that hangs up ends its turn (the sink answers false).
#include "agent/agent.h"
#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

json ChatRequestSchema() {
  return {{"type", "object"},
          {"required", {"message"}},
          {"additionalProperties", false},
          {"properties",
           {{"message", {{"type", "string"}, {"minLength", 1}, {"maxLength", 32768}}},
            {"conversation_id", {{"type", "string"}, {"minLength", 1}, {"maxLength", 64}}},
            {"variables",
             {{"type", "object"},
              {"maxProperties", 50},
              {"additionalProperties", {{"type", "string"}, {"maxLength", 2000}}}}},
            {"stream", {{"type", "boolean"}}},
            {"draft", {{"type", "boolean"}}},
            {"user", {{"type", "string"}, {"minLength", 1}, {"maxLength", 128}}}}}};
}

std::string SseEvent(const agent::AgentEvent& e) {
  return "event: " + e.type +
         "\ndata: " + e.data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

// A non-streamed turn's answer: the events folded into one object.
struct Collected {
  json body = json::object();
  std::string text;
};

void Fold(Collected& c, const agent::AgentEvent& e) {
  if (e.type == "conversation") {
    c.body["conversation_id"] = e.data["id"];
    if (e.data.contains("opening_message")) {
      c.body["opening_message"] = e.data["opening_message"];
      c.body["suggested_questions"] = e.data["suggested_questions"];
    }
  } else if (e.type == "knowledge") {
    c.body["knowledge"] = e.data["chunks"];
  } else if (e.type == "follow_up") {
    c.body["follow_up"] = e.data["questions"];
  } else if (e.type == "done") {
    for (const char* key : {"message_id", "conversation_id", "text", "citations", "tool_calls",
                            "usage", "timing", "finish_reason"}) {
      c.body[key] = e.data[key];
    }
  }
}

Result<Response> Chat(agent::Agent* agent, RequestContext& ctx) {
  if (agent == nullptr) return Unavailable("chat is not available on this server (no models)");
  const json& body = ctx.body;
  agent::ChatTurn turn;
  turn.workspace_id = ctx.principal.workspace_id;
  turn.bot_id = ctx.PathParam("id");
  turn.message = body["message"].get<std::string>();
  turn.conversation_id = body.value("conversation_id", "");
  turn.draft = body.value("draft", false);
  turn.source = turn.draft ? "preview" : "api";
  // Without "user", the calling key is the end user.
  turn.user_id = body.value("user", "key:" + ctx.principal.key_id);
  if (body.contains("variables")) {
    for (auto it = body["variables"].begin(); it != body["variables"].end(); ++it) {
      turn.variables[it.key()] = it->get<std::string>();
    }
  }
  const bool stream = body.value("stream", false);
  auto out = std::make_shared<BodyStream>();
  agent::EventSink sink;
  if (stream) {
    sink = [out](const agent::AgentEvent& e) {
      const bool ok = out->Write(SseEvent(e));
      if (e.type == "done" || e.type == "error") out->Close();
      return ok;
    };
  } else {
    auto collected = std::make_shared<Collected>();
    sink = [out, collected](const agent::AgentEvent& e) {
      if (out->cancelled()) return false;
      if (e.type == "error") {
        FailBody(*out, e.status);
        return false;
      }
      Fold(*collected, e);
      if (e.type == "done") {
        out->Write(collected->body.dump(-1, ' ', false, json::error_handler_t::replace));
        out->Close();
      }
      return true;
    };
  }
  KILN_RETURN_IF_ERROR(agent->Submit(std::move(turn), std::move(sink)));
  Response res;
  res.content_type = stream ? "text/event-stream" : "application/json";
  if (stream) res.SetHeader("Cache-Control", "no-cache");
  res.defer_status = !stream;
  res.stream = std::move(out);
  return res;
}

json ConversationJson(const storage::Conversation& c) {
  return {{"id", c.id},
          {"object", "conversation"},
          {"bot_id", c.bot_id},
          {"user", c.user_id},
          {"source", c.source},
          {"draft", c.draft},
          {"title", c.title},
          {"message_count", c.message_count},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json ConversationSchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "bot_id", "user", "source", "draft", "title", "message_count",
            "created_at", "updated_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "conversation"}}},
            {"bot_id", {{"type", "string"}}},
            {"user", {{"type", "string"}}},
            {"source", {{"enum", {"api", "preview", "openai", "channel"}}}},
            {"draft", {{"type", "boolean"}}},
            {"title", {{"type", "string"}}},
            {"message_count", {{"type", "integer"}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

json MessageJson(const storage::Message& m) {
  json trace = json::parse(m.trace, nullptr, /*allow_exceptions=*/false);
  json out = {{"id", m.id},
              {"object", "message"},
              {"conversation_id", m.conversation_id},
              {"seq", m.seq},
              {"role", m.role},
              {"content", m.content},
              {"created_at", m.created_at}};
  if (m.role == "assistant") out["trace"] = trace.is_object() ? trace : json::object();
  return out;
}

json MessageSchema() {
  return {{"type", "object"},
          {"required", {"id", "object", "conversation_id", "seq", "role", "content", "created_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "message"}}},
            {"conversation_id", {{"type", "string"}}},
            {"seq", {{"type", "integer"}}},
            {"role", {{"enum", {"user", "assistant"}}}},
            {"content", {{"type", "string"}}},
            {"trace", {{"type", "object"}}},
            {"created_at", {{"type", "integer"}}}}}};
}

}  // namespace

void AddChatRoutes(Router& router, agent::Agent* agent, storage::Store* store, size_t body_limit) {
  Route chat = NewRoute("POST", "/v1/bots/{id}/chat", "chatWithBot",
                        "A turn with a bot (stream: Server-Sent Events conversation, knowledge, "
                        "tool_call, tool_result, delta, follow_up, done, error)",
                        "chat");
  chat.body_limit = std::max<size_t>(body_limit, 64 << 10);
  chat.request_schema = ChatRequestSchema();
  chat.path_params = {IdParam("id", "The bot's id.")};
  chat.responses = {
      {200, "The answer; with stream, text/event-stream of named events.", {{"type", "object"}}}};
  chat.errors = {404, 409, 429, 503};
  chat.handler = [agent](RequestContext& ctx) { return Chat(agent, ctx); };
  router.Add(std::move(chat));

  storage::ConversationRepository* conversations = &store->conversations();
  Route list = NewRoute("GET", "/v1/conversations", "listConversations",
                        "The workspace's conversations, newest first", "chat");
  list.query_params = PaginationParams();
  list.query_params.push_back(
      {"bot_id", "Only this bot's.", {{"type", "string"}, {"maxLength", 64}}});
  list.query_params.push_back(
      {"user", "Only this end user's.", {{"type", "string"}, {"maxLength", 128}}});
  list.responses = {{200, "A page of conversations.", ListSchema(ConversationSchema())}};
  list.handler = [conversations](RequestContext& ctx) -> Result<Response> {
    const std::string* bot = ctx.request.Query("bot_id");
    const std::string* user = ctx.request.Query("user");
    KILN_ASSIGN_OR_RETURN(auto page,
                          conversations->List(ctx.principal.workspace_id, bot ? *bot : "",
                                              user ? *user : "", ListOptionsFrom(ctx.request)));
    return PageResponse(page, ConversationJson);
  };
  router.Add(std::move(list));

  Route get =
      NewRoute("GET", "/v1/conversations/{id}", "getConversation", "One conversation", "chat");
  get.path_params = {IdParam("id", "The conversation's id.")};
  get.responses = {{200, "The conversation.", ConversationSchema()}};
  get.handler = [conversations](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto c,
                          conversations->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    return JsonResponse(200, ConversationJson(c));
  };
  router.Add(std::move(get));

  Route messages = NewRoute("GET", "/v1/conversations/{id}/messages", "listMessages",
                            "A conversation's messages, oldest first, with the tool and "
                            "knowledge trace of each answer",
                            "chat");
  messages.path_params = {IdParam("id", "The conversation's id.")};
  messages.query_params = PaginationParams();
  messages.responses = {{200, "A page of messages.", ListSchema(MessageSchema())}};
  messages.handler = [conversations](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(
        auto page, conversations->ListMessages(ctx.principal.workspace_id, ctx.PathParam("id"),
                                               ListOptionsFrom(ctx.request)));
    return PageResponse(page, MessageJson);
  };
  router.Add(std::move(messages));

  Route remove = NewRoute("DELETE", "/v1/conversations/{id}", "deleteConversation",
                          "Delete a conversation and its messages", "chat");
  remove.path_params = {IdParam("id", "The conversation's id.")};
  remove.responses = {{200, "Deleted.", DeletedSchema("conversation")}};
  remove.handler = [conversations](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(conversations->Delete(ctx.principal.workspace_id, ctx.PathParam("id")));
    return JsonResponse(
        200, {{"id", ctx.PathParam("id")}, {"object", "conversation"}, {"deleted", true}});
  };
  router.Add(std::move(remove));
}

}  // namespace kiln::web
