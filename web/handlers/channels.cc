// The channels API: a bot's chat-app channels (Telegram, Slack, Discord,
// Feishu/Lark, LINE, WeCom, a generic signed webhook) and their delivery log.
// The platform credentials in `config` are write-only: stored, checked for the
// fields each platform needs, and never returned (the API says which are set).
// Each channel gets its webhook URL, /hooks/{id}, on the server's public URL.
#include <algorithm>
#include <map>
#include <vector>

#include "base/json_schema.h"
#include "base/random.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using json = nlohmann::json;

struct FieldRule {
  const char* name;
  const char* pattern;  // empty: any non-blank text
  const char* what;     // how a bad value is described
  bool optional = false;
};

// The credentials each platform needs (all required), with the shape the
// platform gives them in, so that a pasted value with a typo is caught here
// rather than at the first delivery.
const std::map<std::string, std::vector<FieldRule>>& Platforms() {
  static const auto* platforms = new std::map<std::string, std::vector<FieldRule>>{
      {"telegram",
       {{"bot_token", "^[0-9]{1,20}:[A-Za-z0-9_-]{20,200}$", "a token such as 123456:ABC-DEF..."},
        // Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -.
        {"secret_token", "^[A-Za-z0-9_-]{1,256}$", "1-256 of A-Z, a-z, 0-9, _ and -"},
        // Groups are answered when this name is @mentioned (any mention without it).
        {"bot_username", "^@?[A-Za-z0-9_]{5,64}$", "the bot's @username", true}}},
      {"slack",
       {{"bot_token", "^xoxb-[A-Za-z0-9-]{8,}$", "a bot token starting xoxb-"},
        {"signing_secret", "^[0-9a-f]{16,128}$", "the app's signing secret (hex)"}}},
      {"discord",
       {{"public_key", "^[0-9a-fA-F]{64}$", "the application's Ed25519 public key, 64 hex digits"},
        {"application_id", "^[0-9]{5,25}$", "the application's numeric id"},
        {"bot_token", "", ""}}},
      {"feishu",
       {{"app_id", "^cli_[A-Za-z0-9]{4,64}$", "an app id starting cli_"},
        {"app_secret", "", ""},
        {"verification_token", "", ""},
        {"encrypt_key", "", ""}}},
      {"line",
       {{"channel_secret", "^[0-9a-f]{32}$", "the channel secret, 32 hex digits"},
        {"channel_access_token", "", ""}}},
      {"wecom",
       {{"corp_id", "^[A-Za-z0-9]{4,64}$", "the corporation id"},
        {"agent_id", "^[0-9]{1,20}$", "the app's numeric AgentId"},
        {"secret", "", ""},
        {"token", "^[A-Za-z0-9]{1,32}$", "the callback Token: up to 32 letters and digits"},
        // 43 base64 characters: 32 bytes of AES key without the trailing '='.
        {"encoding_aes_key", "^[A-Za-z0-9+/]{43}$", "the EncodingAESKey: 43 letters and digits"}}},
      {"webhook",
       {{"secret", "^.{16,512}$", "at least 16 characters"},
        {"callback_url", "^https?://[^\\s]{1,2000}$", "an http(s) URL"}}},
  };
  return *platforms;
}

json TypeSchema() {
  json types = json::array();
  for (const auto& [type, rules] : Platforms()) types.push_back(type);
  return {{"enum", types}};
}

json ConfigSchema() {
  return {{"type", "object"},
          {"maxProperties", 16},
          {"additionalProperties", {{"type", {"string", "null"}}, {"maxLength", 4096}}}};
}

json BaseUrlSchema() {
  return {{"type", "string"}, {"maxLength", 2048}, {"pattern", "^(https?://[^\\s?#]+)?$"}};
}

json CreateSchema() {
  return {{"type", "object"},
          {"required", {"type", "config"}},
          {"additionalProperties", false},
          {"properties",
           {{"type", TypeSchema()},
            {"config", ConfigSchema()},
            {"enabled", {{"type", "boolean"}}},
            {"api_base_url", BaseUrlSchema()}}}};
}

json PatchSchema() {
  return {{"type", "object"},
          {"additionalProperties", false},
          {"properties",
           {{"config", ConfigSchema()},
            {"enabled", {{"type", "boolean"}}},
            {"api_base_url", BaseUrlSchema()}}}};
}

json ChannelSchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "bot_id", "type", "enabled", "api_base_url", "webhook_url",
            "configured", "created_at", "updated_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "channel"}}},
            {"bot_id", {{"type", "string"}}},
            {"type", TypeSchema()},
            {"enabled", {{"type", "boolean"}}},
            {"api_base_url", {{"type", "string"}}},
            {"webhook_url", {{"type", "string"}}},
            {"configured", {{"type", "array"}, {"items", {{"type", "string"}}}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

json DeliverySchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "event_id", "status", "attempts", "http_status", "last_error", "target",
            "created_at", "updated_at"}},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"object", {{"const", "channel_delivery"}}},
            {"event_id", {{"type", "string"}}},
            {"status", {{"enum", {"pending", "sent", "failed"}}}},
            {"attempts", {{"type", "integer"}}},
            {"http_status", {{"type", "integer"}}},
            {"last_error", {{"type", "string"}}},
            {"target", {{"type", "string"}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

// Applies the request's config fields to the stored secrets (a null removes
// one), then checks the result has every field the platform needs, each in
// its platform's shape.
Status MergeConfig(const std::string& type, const json& given, json& secrets) {
  const std::vector<FieldRule>& rules = Platforms().at(type);
  for (auto it = given.begin(); it != given.end(); ++it) {
    const bool known = std::any_of(rules.begin(), rules.end(),
                                   [&](const FieldRule& r) { return it.key() == r.name; });
    if (!known) {
      return InvalidArgument(
          "a " + type + " channel takes no config field '" + it.key().substr(0, 64) + "'",
          "config." + it.key().substr(0, 64));
    }
    if (it->is_null()) {
      secrets.erase(it.key());
    } else {
      secrets[it.key()] = *it;
    }
  }
  for (const FieldRule& rule : rules) {
    const std::string param = std::string("config.") + rule.name;
    if (rule.optional && !secrets.contains(rule.name)) continue;
    if (!secrets.contains(rule.name) || !secrets[rule.name].is_string() ||
        secrets[rule.name].get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos) {
      return InvalidArgument(param + " is required for a " + type + " channel", param);
    }
    if (*rule.pattern != '\0') {
      Status shape =
          ValidateJson(secrets[rule.name], {{"type", "string"}, {"pattern", rule.pattern}});
      if (!shape.ok()) return InvalidArgument(param + " must be " + rule.what, param);
    }
  }
  return Status::OK();
}

// The server's address as chat apps see it: the operator's --public-url, or
// this request's Host (when it looks like a host name).
std::string PublicBase(const std::string& public_url, const Request& request) {
  if (!public_url.empty()) return public_url;
  std::string_view host = request.Header("host");
  const bool plain = !host.empty() && host.size() <= 255 &&
                     host.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789.-:[]") == std::string_view::npos;
  return "http://" + std::string(plain ? host : "127.0.0.1");
}

json ChannelJson(const storage::Channel& c, const std::string& base) {
  json secrets = json::parse(c.secrets, nullptr, false);
  json configured = json::array();
  if (secrets.is_object()) {
    for (auto it = secrets.begin(); it != secrets.end(); ++it) configured.push_back(it.key());
  }
  return {{"id", c.id},
          {"object", "channel"},
          {"bot_id", c.bot_id},
          {"type", c.type},
          {"enabled", c.enabled},
          {"api_base_url", c.api_base_url},
          {"webhook_url", base + "/hooks/" + c.id},
          {"configured", configured},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json DeliveryJson(const storage::ChannelDelivery& d) {
  return {{"id", d.id},
          {"object", "channel_delivery"},
          {"event_id", d.event_id},
          {"status", d.status},
          {"attempts", d.attempts},
          {"http_status", d.http_status},
          {"last_error", d.last_error},
          {"target", d.target},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at}};
}

ParamDoc ChannelIdParam() { return IdParam("cid", "The channel's id."); }

}  // namespace

void AddChannelRoutes(Router& router, storage::Store* store, std::string public_url,
                      size_t body_limit) {
  storage::ChannelRepository* repo = &store->channels();

  Route create =
      NewRoute("POST", "/v1/bots/{id}/channels", "createChannel",
               "Publish the bot to a chat app: a channel with its credentials", "channels");
  create.body_limit = body_limit;
  create.request_schema = CreateSchema();
  create.path_params = {IdParam("id", "The bot's id.")};
  create.responses = {{201, "The channel, with its webhook URL.", ChannelSchema()}};
  create.handler = [repo, public_url](RequestContext& ctx) -> Result<Response> {
    storage::Channel c;
    c.id = NewId("chn");
    c.workspace_id = ctx.principal.workspace_id;
    c.bot_id = ctx.PathParam("id");
    c.type = ctx.body["type"].get<std::string>();
    c.enabled = ctx.body.value("enabled", true);
    c.api_base_url = ctx.body.value("api_base_url", "");
    while (c.api_base_url.ends_with("/")) c.api_base_url.pop_back();
    json secrets = json::object();
    KILN_RETURN_IF_ERROR(MergeConfig(c.type, ctx.body["config"], secrets));
    c.secrets = secrets.dump(-1, ' ', false, json::error_handler_t::replace);
    c.created_at = c.updated_at = UnixSeconds();
    KILN_RETURN_IF_ERROR(repo->Create(c));
    return JsonResponse(201, ChannelJson(c, PublicBase(public_url, ctx.request)));
  };
  router.Add(std::move(create));

  Route list = NewRoute("GET", "/v1/bots/{id}/channels", "listChannels",
                        "The bot's channels, newest first", "channels");
  list.path_params = {IdParam("id", "The bot's id.")};
  list.query_params = PaginationParams();
  list.responses = {{200, "A page of channels.", ListSchema(ChannelSchema())}};
  list.handler = [store, repo, public_url](RequestContext& ctx) -> Result<Response> {
    // A bot of another workspace is not found, rather than an empty list.
    KILN_RETURN_IF_ERROR(
        store->bots().Get(ctx.principal.workspace_id, ctx.PathParam("id")).status());
    KILN_ASSIGN_OR_RETURN(auto page,
                          repo->ListForBot(ctx.principal.workspace_id, ctx.PathParam("id"),
                                           ListOptionsFrom(ctx.request)));
    const std::string base = PublicBase(public_url, ctx.request);
    return PageResponse(page, [&](const storage::Channel& c) { return ChannelJson(c, base); });
  };
  router.Add(std::move(list));

  Route get = NewRoute("GET", "/v1/channels/{cid}", "getChannel", "One channel", "channels");
  get.path_params = {ChannelIdParam()};
  get.responses = {{200, "The channel.", ChannelSchema()}};
  get.handler = [repo, public_url](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto c, repo->Get(ctx.principal.workspace_id, ctx.PathParam("cid")));
    return JsonResponse(200, ChannelJson(c, PublicBase(public_url, ctx.request)));
  };
  router.Add(std::move(get));

  Route patch = NewRoute("PATCH", "/v1/channels/{cid}", "updateChannel",
                         "Change a channel: credentials (merged field by field; null removes "
                         "one), enabled, api_base_url",
                         "channels");
  patch.body_limit = body_limit;
  patch.request_schema = PatchSchema();
  patch.path_params = {ChannelIdParam()};
  patch.responses = {{200, "The channel.", ChannelSchema()}};
  patch.handler = [repo, public_url](RequestContext& ctx) -> Result<Response> {
    const json& body = ctx.body;
    KILN_ASSIGN_OR_RETURN(
        auto c, repo->Modify(ctx.principal.workspace_id, ctx.PathParam("cid"),
                             [&](storage::Channel& c) -> Status {
                               if (body.contains("config")) {
                                 json secrets = json::parse(c.secrets, nullptr, false);
                                 if (!secrets.is_object()) secrets = json::object();
                                 KILN_RETURN_IF_ERROR(MergeConfig(c.type, body["config"], secrets));
                                 c.secrets =
                                     secrets.dump(-1, ' ', false, json::error_handler_t::replace);
                               }
                               if (body.contains("enabled"))
                                 c.enabled = body["enabled"].get<bool>();
                               if (body.contains("api_base_url")) {
                                 c.api_base_url = body["api_base_url"].get<std::string>();
                                 while (c.api_base_url.ends_with("/")) c.api_base_url.pop_back();
                               }
                               c.updated_at = UnixSeconds();
                               return Status::OK();
                             }));
    return JsonResponse(200, ChannelJson(c, PublicBase(public_url, ctx.request)));
  };
  router.Add(std::move(patch));

  Route remove = NewRoute("DELETE", "/v1/channels/{cid}", "deleteChannel",
                          "Remove a channel (its webhook stops answering)", "channels");
  remove.path_params = {ChannelIdParam()};
  remove.responses = {{200, "The channel was removed.", DeletedSchema("channel")}};
  remove.handler = [repo](RequestContext& ctx) -> Result<Response> {
    const std::string& id = ctx.PathParam("cid");
    KILN_RETURN_IF_ERROR(repo->Delete(ctx.principal.workspace_id, id));
    return JsonResponse(200, {{"id", id}, {"object", "channel"}, {"deleted", true}});
  };
  router.Add(std::move(remove));

  Route deliveries =
      NewRoute("GET", "/v1/channels/{cid}/deliveries", "listChannelDeliveries",
               "The channel's outbound replies, newest first, with failures", "channels");
  deliveries.path_params = {ChannelIdParam()};
  deliveries.query_params = PaginationParams();
  deliveries.responses = {{200, "A page of deliveries.", ListSchema(DeliverySchema())}};
  deliveries.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto c, repo->Get(ctx.principal.workspace_id, ctx.PathParam("cid")));
    KILN_ASSIGN_OR_RETURN(auto page, repo->ListDeliveries(c.id, ListOptionsFrom(ctx.request)));
    return PageResponse(page, DeliveryJson);
  };
  router.Add(std::move(deliveries));
}

}  // namespace kiln::web
