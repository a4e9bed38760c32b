// Route registration for each group of endpoints, and the small helpers the
// handlers share. Internal to web/.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "agent/agent.h"
#include "engine/serve/served_models.h"
#include "rag/knowledge_service.h"
#include "storage/store.h"
#include "web/auth.h"
#include "web/metrics.h"
#include "web/router.h"

namespace kiln::web {

struct SystemDeps {
  const Router* router;
  std::function<Metrics*()> metrics;  // built after the routes, so fetched lazily
  std::string version;
  MonoClock::time_point started;
};

void AddSystemRoutes(Router& router, SystemDeps deps);
void AddKeyRoutes(Router& router, storage::Store* store, Authenticator* auth, size_t body_limit);
void AddBotRoutes(Router& router, storage::Store* store, size_t body_limit);
// /v1/models, /v1/chat/completions, /v1/embeddings; `models` may be null (no
// models loaded: every model is unknown).
// `agent` (may be null) answers model "bot:<id>" with the bot's published version.
void AddOpenAiRoutes(Router& router, engine::ServedModels* models, agent::Agent* agent,
                     size_t body_limit);
// A chat completion answered by a bot (model "bot:<id>"; openai_bots.cc).
Result<Response> BotChatCompletion(agent::Agent* agent, RequestContext& ctx);
// GET / and /editor/{file}: the browser editor (web/editor/, embedded).
void AddEditorRoutes(Router& router);
// POST /v1/bots/{id}/chat and /v1/conversations...; `agent` null: 503.
void AddChatRoutes(Router& router, agent::Agent* agent, storage::Store* store, size_t body_limit);
// /v1/plugins...; `agent` null: the routes that make tools answer 503.
void AddPluginRoutes(Router& router, agent::Agent* agent, storage::Store* store,
                     size_t body_limit);
// /v1/knowledge...; `knowledge` may be null (no embedding model: the routes
// that need it answer 503). Uploads may be `upload_limit` bytes.
// A bot's chat-app channels (web/channels/ answers their webhooks).
void AddChannelRoutes(Router& router, storage::Store* store, std::string public_url,
                      size_t body_limit);
namespace channels {
class Dispatcher;
}
// POST /hooks/{cid}: chat apps' deliveries (dispatcher null: answered 503).
void AddHookRoutes(Router& router, storage::Store* store, channels::Dispatcher* dispatcher);
void AddKnowledgeRoutes(Router& router, rag::KnowledgeService* knowledge, storage::Store* store,
                        size_t body_limit, size_t upload_limit);

// ---- helpers shared by handlers ----

// A route with its identity filled in; the caller adds schemas and the handler.
Route NewRoute(std::string method, std::string pattern, std::string operation_id,
               std::string summary, std::string tag, Access access = Access::kKey);

Response JsonResponse(int status, const nlohmann::json& body);

// The {"data": [...], "has_more": ..., "next_cursor": ...} list envelope.
nlohmann::json ListEnvelope(nlohmann::json data, bool has_more, const std::string& next_cursor);

// A 200 list response of one page, each item rendered by `to_json`.
template <typename T, typename ToJson>
Response PageResponse(const storage::Page<T>& page, ToJson to_json) {
  nlohmann::json data = nlohmann::json::array();
  for (const T& item : page.items) data.push_back(to_json(item));
  return JsonResponse(200, ListEnvelope(std::move(data), page.has_more, page.next_cursor));
}

// `limit` (1..100, default 20) and `cursor` query parameters, documented once.
std::vector<ParamDoc> PaginationParams();
// Reads them from a request whose parameters the pipeline already validated.
storage::ListOptions ListOptionsFrom(const Request& request);

// The schema of a list response whose items follow `item_schema`.
nlohmann::json ListSchema(const nlohmann::json& item_schema);

// The schema of {"id", "object": <object>, "deleted": true}.
nlohmann::json DeletedSchema(const char* object);

// Ends a deferred body (Response::defer_status) with the error envelope of
// `status` and its HTTP status.
void FailBody(BodyStream& out, const Status& status);

// A path parameter that holds an opaque id.
ParamDoc IdParam(const std::string& name, const std::string& description);

}  // namespace kiln::web
