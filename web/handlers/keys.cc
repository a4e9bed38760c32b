// API keys: POST/GET/DELETE /v1/keys (admin only) and GET /v1/me.
#include "base/clock.h"
#include "base/random.h"
#include "base/sha256.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

const json& WorkspaceSchema() {
  static const json schema = {
      {"type", "string"},
      {"minLength", 1},
      {"maxLength", 63},
      {"pattern", "^[a-z0-9][a-z0-9_-]*$"},
      {"description", "Workspace name: lower-case letters, digits, - and _."}};
  return schema;
}

json KeySchema(bool with_secret) {
  json props = {{"id", {{"type", "string"}}},         {"object", {{"const", "api_key"}}},
                {"name", {{"type", "string"}}},       {"workspace", {{"type", "string"}}},
                {"prefix", {{"type", "string"}}},     {"admin", {{"type", "boolean"}}},
                {"created_at", {{"type", "integer"}}}};
  json required = {"id", "object", "name", "workspace", "prefix", "admin", "created_at"};
  if (with_secret) {
    props["key"] = {{"type", "string"}, {"description", "The secret. Shown only this once."}};
    required.push_back("key");
  }
  return {{"type", "object"},
          {"required", required},
          {"additionalProperties", false},
          {"properties", props}};
}

json KeyJson(const storage::ApiKey& key) {
  return {{"id", key.id},
          {"object", "api_key"},
          {"name", key.name},
          {"workspace", key.workspace_id},
          {"prefix", key.prefix},
          {"admin", key.admin},
          {"created_at", key.created_at}};
}

}  // namespace

void AddKeyRoutes(Router& router, storage::Store* store, Authenticator* auth, size_t body_limit) {
  storage::KeyRepository* keys = &store->keys();

  Route create = NewRoute("POST", "/v1/keys", "createKey",
                          "Create an API key for a workspace; the secret is returned only once",
                          "keys", Access::kAdmin);
  create.body_limit = body_limit;
  create.request_schema = {{"type", "object"},
                           {"required", {"name", "workspace"}},
                           {"additionalProperties", false},
                           {"properties",
                            {{"name",
                              {{"type", "string"},
                               {"minLength", 1},
                               {"maxLength", 100},
                               {"pattern", "[^ \\t\\n\\r\\f\\v]"}}},
                             {"workspace", WorkspaceSchema()},
                             {"admin", {{"type", "boolean"}, {"default", false}}}}}};
  create.responses = {{201, "The new key, with its secret.", KeySchema(true)}};
  create.handler = [keys](RequestContext& ctx) -> Result<Response> {
    std::string secret = Authenticator::NewSecret();
    storage::ApiKey key{NewId("key"),
                        ctx.body["name"].get<std::string>(),
                        ctx.body["workspace"].get<std::string>(),
                        Authenticator::DisplayPrefix(secret),
                        ctx.body.value("admin", false),
                        UnixSeconds()};
    KILN_RETURN_IF_ERROR(keys->Create(key, Sha256Hex(secret)));
    json out = KeyJson(key);
    out["key"] = secret;
    return JsonResponse(201, out);
  };
  router.Add(std::move(create));

  Route list = NewRoute("GET", "/v1/keys", "listKeys",
                        "List live API keys (secrets are never returned)", "keys", Access::kAdmin);
  list.query_params = PaginationParams();
  list.responses = {{200, "A page of keys.", ListSchema(KeySchema(false))}};
  list.handler = [keys](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto page, keys->List(ListOptionsFrom(ctx.request)));
    return PageResponse(page, KeyJson);
  };
  router.Add(std::move(list));

  Route get = NewRoute("GET", "/v1/keys/{id}", "getKey", "One API key", "keys", Access::kAdmin);
  get.path_params = {IdParam("id", "The key's id.")};
  get.responses = {{200, "The key.", KeySchema(false)}};
  get.handler = [keys](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto key, keys->Get(ctx.PathParam("id")));
    return JsonResponse(200, KeyJson(key));
  };
  router.Add(std::move(get));

  Route remove = NewRoute("DELETE", "/v1/keys/{id}", "deleteKey",
                          "Revoke an API key; it stops working at once", "keys", Access::kAdmin);
  remove.path_params = {IdParam("id", "The key's id.")};
  remove.errors = {409};
  remove.responses = {{200, "The key was revoked.", DeletedSchema("api_key")}};
  remove.handler = [keys, auth](RequestContext& ctx) -> Result<Response> {
    const std::string& id = ctx.PathParam("id");
    KILN_RETURN_IF_ERROR(keys->Delete(id));
    auth->Forget(id);
    return JsonResponse(200, {{"id", id}, {"object", "api_key"}, {"deleted", true}});
  };
  router.Add(std::move(remove));

  Route me = NewRoute("GET", "/v1/me", "getMe",
                      "The key making this request: its workspace and whether it is an admin",
                      "keys", Access::kKey);
  me.responses = {{200, "The calling key.", KeySchema(false)}};
  me.handler = [keys](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto key, keys->Get(ctx.principal.key_id));
    return JsonResponse(200, KeyJson(key));
  };
  router.Add(std::move(me));
}

}  // namespace kiln::web
