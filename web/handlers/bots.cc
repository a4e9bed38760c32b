// Bots: POST/GET /v1/bots, GET/PATCH/DELETE /v1/bots/{id}, publishing and versions.
#include <set>

#include "base/clock.h"
#include "base/random.h"
#include "storage/bot_json.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

// "Contains a non-blank character", spelled with ASCII classes so that ECMAScript
// (our validator) and Python's re (schema-driven clients and tests) agree.
constexpr const char* kNotBlank = "[^ \\t\\n\\r\\f\\v]";

json Text(int max_length) { return {{"type", "string"}, {"maxLength", max_length}}; }

json IdList(int max_items) {
  return {{"type", "array"},
          {"maxItems", max_items},
          {"uniqueItems", true},
          {"items", {{"type", "string"}, {"maxLength", 64}, {"pattern", "^[A-Za-z0-9_-]+$"}}}};
}

// Every editable field with its limits: the request schemas and the response
// schema are both derived from this.
json ConfigProperties() {
  json model_params = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
        {"top_p", {{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1}}},
        {"top_k", {{"type", "integer"}, {"minimum", 0}, {"maximum", 1000}}},
        {"max_tokens", {{"type", "integer"}, {"minimum", 1}, {"maximum", 32768}}},
        {"presence_penalty", {{"type", "number"}, {"minimum", -2}, {"maximum", 2}}},
        {"frequency_penalty", {{"type", "number"}, {"minimum", -2}, {"maximum", 2}}}}}};
  json variable = {
      {"type", "object"},
      {"required", {"name"}},
      {"additionalProperties", false},
      {"properties",
       {{"name", {{"type", "string"}, {"maxLength", 64}, {"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}}},
        {"description", Text(500)},
        {"default", Text(2000)}}}};
  return {
      {"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", kNotBlank}}},
      {"description", Text(2000)},
      {"avatar_url",
       {{"type", "string"},
        {"maxLength", 2048},
        {"pattern", "^(https?://[^ \\t\\n\\r\\f\\v]+)?$"}}},
      {"persona", Text(20000)},
      {"model",
       {{"type", "string"},
        {"minLength", 1},
        {"maxLength", 128},
        {"pattern", "^[A-Za-z0-9][A-Za-z0-9._:/-]*$"}}},
      {"model_params", model_params},
      {"opening_message", Text(2000)},
      {"suggested_questions",
       {{"type", "array"},
        {"maxItems", 10},
        {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}}}},
      {"variables", {{"type", "array"}, {"maxItems", 50}, {"items", variable}}},
      {"knowledge_ids", IdList(20)},
      {"plugin_ids", IdList(20)},
      {"history_turns", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
      {"follow_up", {{"type", "boolean"}}},
      {"inject_current_time", {{"type", "boolean"}}},
      {"guard_prompt", {{"type", "boolean"}}},
      {"no_hit_reply", Text(2000)},
      {"max_tool_steps", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10}}},
  };
}

json CreateSchema() {
  return {{"type", "object"},
          {"required", {"name"}},
          {"additionalProperties", false},
          {"properties", ConfigProperties()}};
}

json PatchSchema() {
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", ConfigProperties()}};
}

// The response schema: every config field, always present, plus the record's own.
json BotSchema() {
  json props = ConfigProperties();
  json required = json::array();
  for (auto it = props.begin(); it != props.end(); ++it) required.push_back(it.key());
  props["model_params"]["required"] = {
      "temperature", "top_p", "top_k", "max_tokens", "presence_penalty", "frequency_penalty"};
  props["id"] = {{"type", "string"}};
  props["object"] = {{"const", "bot"}};
  props["published_version"] = {{"type", {"integer", "null"}}};
  props["created_at"] = {{"type", "integer"}};
  props["updated_at"] = {{"type", "integer"}};
  for (const char* key : {"id", "object", "published_version", "created_at", "updated_at"}) {
    required.push_back(key);
  }
  return {{"type", "object"},
          {"required", required},
          {"additionalProperties", false},
          {"properties", props}};
}

json VersionSchema() {
  json config = {{"type", "object"}, {"properties", ConfigProperties()}};
  return {{"type", "object"},
          {"required", {"object", "bot_id", "version", "note", "config", "created_at"}},
          {"additionalProperties", false},
          {"properties",
           {{"object", {{"const", "bot_version"}}},
            {"bot_id", {{"type", "string"}}},
            {"version", {{"type", "integer"}, {"minimum", 1}}},
            {"note", {{"type", "string"}}},
            {"config", config},
            {"created_at", {{"type", "integer"}}}}}};
}

json BotJson(const storage::Bot& bot) {
  json j = storage::BotConfigToJson(bot.config);
  j["id"] = bot.id;
  j["object"] = "bot";
  j["published_version"] = bot.latest_version > 0 ? json(bot.latest_version) : json(nullptr);
  j["created_at"] = bot.created_at;
  j["updated_at"] = bot.updated_at;
  return j;
}

json VersionJson(const storage::BotVersion& v) {
  return {{"object", "bot_version"},
          {"bot_id", v.bot_id},
          {"version", v.version},
          {"note", v.note},
          {"config", storage::BotConfigToJson(v.config)},
          {"created_at", v.created_at}};
}

// Checks that span fields, which a schema cannot say.
Status CheckConfig(const storage::BotConfig& config) {
  std::set<std::string> names;
  for (size_t i = 0; i < config.variables.size(); ++i) {
    if (!names.insert(config.variables[i].name).second) {
      return InvalidArgument("variable '" + config.variables[i].name + "' is declared twice",
                             "variables[" + std::to_string(i) + "].name");
    }
  }
  return Status::OK();
}

// A merge of `patch` into `current` (both config JSON): top-level fields
// replace, model_params merges field by field.
json MergeConfig(json current, const json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key() == "model_params") {
      for (auto p = it->begin(); p != it->end(); ++p) current["model_params"][p.key()] = p.value();
    } else {
      current[it.key()] = it.value();
    }
  }
  return current;
}

ParamDoc BotIdParam() { return IdParam("id", "The bot's id."); }

// Attached knowledge bases and plugins must exist in the bot's workspace.
Status CheckReferences(storage::Store* store, const std::string& workspace_id,
                       const storage::BotConfig& config) {
  for (size_t i = 0; i < config.plugin_ids.size(); ++i) {
    Result<storage::Plugin> p = store->plugins().Get(workspace_id, config.plugin_ids[i]);
    if (p.status().code() == StatusCode::kNotFound) {
      return InvalidArgument("plugin " + config.plugin_ids[i] + " does not exist",
                             "plugin_ids[" + std::to_string(i) + "]");
    }
    KILN_RETURN_IF_ERROR(p.status());
  }
  for (size_t i = 0; i < config.knowledge_ids.size(); ++i) {
    Result<storage::KnowledgeBase> kb =
        store->knowledge().GetBase(workspace_id, config.knowledge_ids[i]);
    if (kb.status().code() == StatusCode::kNotFound) {
      return InvalidArgument("knowledge base " + config.knowledge_ids[i] + " does not exist",
                             "knowledge_ids[" + std::to_string(i) + "]");
    }
    KILN_RETURN_IF_ERROR(kb.status());
  }
  return Status::OK();
}

}  // namespace

void AddBotRoutes(Router& router, storage::Store* store, size_t body_limit) {
  storage::BotRepository* bots = &store->bots();

  Route create = NewRoute("POST", "/v1/bots", "createBot", "Create a bot (its draft)", "bots");
  create.body_limit = body_limit;
  create.request_schema = CreateSchema();
  create.responses = {{201, "The new bot.", BotSchema()}};
  create.handler = [bots, store](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(storage::BotConfig config, storage::BotConfigFromJson(ctx.body));
    KILN_RETURN_IF_ERROR(CheckConfig(config));
    KILN_RETURN_IF_ERROR(CheckReferences(store, ctx.principal.workspace_id, config));
    storage::Bot bot;
    bot.id = NewId("bot");
    bot.workspace_id = ctx.principal.workspace_id;
    bot.config = std::move(config);
    bot.revision = 1;
    bot.created_at = bot.updated_at = UnixSeconds();
    KILN_RETURN_IF_ERROR(bots->Create(bot));
    return JsonResponse(201, BotJson(bot));
  };
  router.Add(std::move(create));

  Route list =
      NewRoute("GET", "/v1/bots", "listBots", "List the workspace's bots, newest first", "bots");
  list.query_params = PaginationParams();
  list.query_params.push_back(
      {"q", "Only bots whose name contains this text.", {{"type", "string"}, {"maxLength", 100}}});
  list.responses = {{200, "A page of bots.", ListSchema(BotSchema())}};
  list.handler = [bots](RequestContext& ctx) -> Result<Response> {
    const std::string* q = ctx.request.Query("q");
    KILN_ASSIGN_OR_RETURN(auto page,
                          bots->List(ctx.principal.workspace_id, ListOptionsFrom(ctx.request),
                                     q ? std::string_view(*q) : std::string_view()));
    return PageResponse(page, BotJson);
  };
  router.Add(std::move(list));

  Route get = NewRoute("GET", "/v1/bots/{id}", "getBot", "One bot's draft", "bots");
  get.path_params = {BotIdParam()};
  get.responses = {{200, "The bot.", BotSchema()}};
  get.handler = [bots](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto bot, bots->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    return JsonResponse(200, BotJson(bot));
  };
  router.Add(std::move(get));

  Route patch =
      NewRoute("PATCH", "/v1/bots/{id}", "updateBot",
               "Change some of a bot's fields; model_params merges field by field", "bots");
  patch.body_limit = body_limit;
  patch.request_schema = PatchSchema();
  patch.path_params = {BotIdParam()};
  patch.responses = {{200, "The updated bot.", BotSchema()}};
  patch.handler = [bots, store](RequestContext& ctx) -> Result<Response> {
    // References are checked before the write lock is taken.
    if (ctx.body.contains("knowledge_ids") || ctx.body.contains("plugin_ids")) {
      storage::BotConfig ids;
      if (ctx.body.contains("knowledge_ids")) {
        ids.knowledge_ids = ctx.body["knowledge_ids"].get<std::vector<std::string>>();
      }
      if (ctx.body.contains("plugin_ids")) {
        ids.plugin_ids = ctx.body["plugin_ids"].get<std::vector<std::string>>();
      }
      KILN_RETURN_IF_ERROR(CheckReferences(store, ctx.principal.workspace_id, ids));
    }
    // Merged under the store's write lock, so concurrent edits of one bot
    // never conflict and none is lost.
    KILN_ASSIGN_OR_RETURN(
        auto bot,
        bots->Modify(ctx.principal.workspace_id, ctx.PathParam("id"),
                     [&](storage::Bot& bot) -> Status {
                       json merged = MergeConfig(storage::BotConfigToJson(bot.config), ctx.body);
                       KILN_ASSIGN_OR_RETURN(bot.config, storage::BotConfigFromJson(merged));
                       KILN_RETURN_IF_ERROR(CheckConfig(bot.config));
                       bot.updated_at = UnixSeconds();
                       return Status::OK();
                     }));
    return JsonResponse(200, BotJson(bot));
  };
  router.Add(std::move(patch));

  Route remove =
      NewRoute("DELETE", "/v1/bots/{id}", "deleteBot", "Delete a bot and all its versions", "bots");
  remove.path_params = {BotIdParam()};
  remove.responses = {{200, "The bot was deleted.", DeletedSchema("bot")}};
  remove.handler = [bots](RequestContext& ctx) -> Result<Response> {
    const std::string& id = ctx.PathParam("id");
    KILN_RETURN_IF_ERROR(bots->Delete(ctx.principal.workspace_id, id));
    return JsonResponse(200, {{"id", id}, {"object", "bot"}, {"deleted", true}});
  };
  router.Add(std::move(remove));

  Route publish =
      NewRoute("POST", "/v1/bots/{id}/publish", "publishBot",
               "Freeze the current draft as the next numbered, immutable version", "bots");
  publish.body_limit = body_limit;
  publish.body_optional = true;
  publish.request_schema = {
      {"type", "object"}, {"additionalProperties", false}, {"properties", {{"note", Text(500)}}}};
  publish.path_params = {BotIdParam()};
  publish.responses = {{201, "The new version.", VersionSchema()}};
  publish.handler = [bots](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto version,
                          bots->Publish(ctx.principal.workspace_id, ctx.PathParam("id"),
                                        ctx.body.value("note", ""), UnixSeconds()));
    return JsonResponse(201, VersionJson(version));
  };
  router.Add(std::move(publish));

  Route versions = NewRoute("GET", "/v1/bots/{id}/versions", "listBotVersions",
                            "The bot's published versions, newest first", "bots");
  versions.path_params = {BotIdParam()};
  versions.query_params = PaginationParams();
  versions.responses = {{200, "A page of versions.", ListSchema(VersionSchema())}};
  versions.handler = [bots](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto page,
                          bots->ListVersions(ctx.principal.workspace_id, ctx.PathParam("id"),
                                             ListOptionsFrom(ctx.request)));
    return PageResponse(page, VersionJson);
  };
  router.Add(std::move(versions));

  Route version = NewRoute("GET", "/v1/bots/{id}/versions/{version}", "getBotVersion",
                           "One published version", "bots");
  version.path_params = {BotIdParam(),
                         {"version",
                          "The version number.",
                          {{"type", "integer"}, {"minimum", 1}, {"maximum", 2147483647}},
                          true}};
  version.responses = {{200, "The version.", VersionSchema()}};
  version.handler = [bots](RequestContext& ctx) -> Result<Response> {
    int number = std::stoi(ctx.PathParam("version"));  // validated by the pipeline
    KILN_ASSIGN_OR_RETURN(
        auto v, bots->GetVersion(ctx.principal.workspace_id, ctx.PathParam("id"), number));
    return JsonResponse(200, VersionJson(v));
  };
  router.Add(std::move(version));
}

}  // namespace kiln::web
