// The plugins API: POST/GET /v1/plugins, GET/PATCH/DELETE /v1/plugins/{id},
// GET /v1/plugins/{id}/tools, POST /v1/plugins/{id}/tools/{name}/invoke.
//
// A plugin is checked by making its tools (the OpenAPI document parsed, the
// MCP server started or reached and asked for its tools) before it is
// stored, and that work may block, so it runs on the agent's workers and the
// answer follows through a deferred BodyStream. Credentials (auth) are
// stored apart from the config and never returned, only whether they are
// set. Starting a program (an MCP server over stdio) is an admin's call.
#include <chrono>

#include "agent/agent.h"
#include "agent/tool_catalog.h"
#include "base/json_schema.h"
#include "base/random.h"
#include "plugins/openapi/openapi.h"
#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

json StringList(int max_items) {
  return {{"type", "array"},
          {"maxItems", max_items},
          {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 500}}}};
}

json PluginProperties() {
  return {{"name",
           {{"type", "string"},
            {"minLength", 1},
            {"maxLength", 64},
            {"pattern", "^[^\\u0000-\\u001f]+$"}}},
          {"description", {{"type", "string"}, {"maxLength", 2000}}},
          {"spec", {{"type", {"object", "string"}}, {"maxLength", 2097152}}},
          {"base_url", {{"type", "string"}, {"maxLength", 2048}}},
          {"auth", {{"type", "object"}}},
          {"mcp",
           {{"type", "object"},
            {"additionalProperties", false},
            {"properties",
             {{"command", {{"type", "string"}, {"minLength", 1}, {"maxLength", 1024}}},
              {"args", StringList(64)},
              {"url", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}}}}}}},
          {"tools", StringList(32)}};
}

json CreateSchema() {
  json props = PluginProperties();
  props["kind"] = {{"enum", {"builtin", "openapi", "mcp"}}};
  return {{"type", "object"},
          {"required", {"kind", "name"}},
          {"additionalProperties", false},
          {"properties", props}};
}

json PatchSchema() {
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", PluginProperties()}};
}

json ToolSpecJson(const plugins::ToolSpec& s) {
  return {{"name", s.name}, {"description", s.description}, {"parameters", s.parameters}};
}

json PluginJson(const storage::Plugin& p, bool with_spec) {
  json config = json::parse(p.config, nullptr, false);
  json secrets = json::parse(p.secrets, nullptr, false);
  json tools = json::parse(p.tools, nullptr, false);
  if (!config.is_object()) config = json::object();
  json out = {{"id", p.id},
              {"object", "plugin"},
              {"kind", p.kind},
              {"name", p.name},
              {"description", p.description},
              {"tools", tools.is_array() ? tools : json::array()},
              {"created_at", p.created_at},
              {"updated_at", p.updated_at}};
  // What credentials there are, never their values.
  json auth = {{"configured", false}};
  if (secrets.is_object() && secrets.contains("auth") && secrets["auth"].is_object()) {
    auth = {{"configured", true}, {"type", secrets["auth"].value("type", "")}};
  }
  out["auth"] = auth;
  if (config.contains("mcp")) out["mcp"] = config["mcp"];
  if (config.contains("base_url")) out["base_url"] = config["base_url"];
  if (config.contains("tools")) out["enabled_tools"] = config["tools"];
  if (with_spec && config.contains("spec")) out["spec"] = config["spec"];
  return out;
}

json PluginSchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "kind", "name", "description", "tools", "auth", "created_at",
            "updated_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "plugin"}}},
            {"kind", {{"enum", {"builtin", "openapi", "mcp"}}}},
            {"name", {{"type", "string"}}},
            {"description", {{"type", "string"}}},
            {"tools", {{"type", "array"}}},
            {"auth", {{"type", "object"}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

// Applies the request's fields to the record (config and secrets as JSON
// text). The OpenAPI text is parsed here; the tools are made later.
Status Apply(const json& body, const Principal& who, storage::Plugin& p) {
  json config = json::parse(p.config, nullptr, false);
  json secrets = json::parse(p.secrets, nullptr, false);
  if (!config.is_object()) config = json::object();
  if (!secrets.is_object()) secrets = json::object();
  if (body.contains("name")) p.name = body["name"].get<std::string>();
  if (body.contains("description")) p.description = body["description"].get<std::string>();
  if (body.contains("spec")) {
    if (p.kind != "openapi") return InvalidArgument("only openapi plugins take a spec", "spec");
    if (body["spec"].is_string()) {
      Result<json> doc = plugins::ParseOpenApiText(body["spec"].get<std::string>());
      if (!doc.ok()) return InvalidArgument(doc.status().message(), "spec");
      config["spec"] = *doc;
    } else {
      config["spec"] = body["spec"];
    }
  }
  if (body.contains("base_url")) config["base_url"] = body["base_url"];
  if (body.contains("tools")) config["tools"] = body["tools"];
  if (body.contains("mcp")) {
    if (p.kind != "mcp") return InvalidArgument("only mcp plugins take mcp", "mcp");
    const json& mcp = body["mcp"];
    const bool command = mcp.contains("command"), url = mcp.contains("url");
    if (command == url) return InvalidArgument("mcp takes either command or url", "mcp");
    if (command && !who.admin) {
      return PermissionDenied("only an admin key may register an MCP server that runs a command");
    }
    config["mcp"] = mcp;
  }
  if (body.contains("auth")) {
    const json& auth = body["auth"];
    if (p.kind != "builtin" && auth.is_object() && auth.size() == 1 &&
        auth.value("type", "") == "none") {
      // {"type": "none"} removes the credentials.
      secrets.erase("auth");
      secrets.erase("headers");
    } else if (p.kind == "openapi") {
      Result<plugins::OpenApiAuth> parsed = plugins::ParseOpenApiAuth(auth);
      if (!parsed.ok()) return InvalidArgument(parsed.status().message(), "auth");
      secrets["auth"] = auth;
    } else if (p.kind == "mcp") {
      // Bearer token or raw headers for an MCP server over HTTP.
      json headers = json::object();
      if (auth.value("type", "") == "bearer" && auth.contains("token") &&
          auth["token"].is_string()) {
        headers["Authorization"] = "Bearer " + auth["token"].get<std::string>();
      } else if (auth.contains("headers") && auth["headers"].is_object()) {
        for (auto it = auth["headers"].begin(); it != auth["headers"].end(); ++it) {
          if (!it->is_string())
            return InvalidArgument("auth.headers values must be strings", "auth");
          headers[it.key()] = *it;
        }
      } else {
        return InvalidArgument("mcp auth is {\"type\": \"bearer\", \"token\"} or {\"headers\"}",
                               "auth");
      }
      secrets["auth"] = {{"type", headers.contains("Authorization") ? "bearer" : "headers"}};
      secrets["headers"] = headers;
    } else {
      return InvalidArgument("builtin plugins take no auth", "auth");
    }
  }
  if (p.kind == "openapi" && !config.contains("spec")) {
    return InvalidArgument("an openapi plugin needs its OpenAPI document in spec", "spec");
  }
  if (p.kind == "mcp" && !config.contains("mcp")) {
    return InvalidArgument("an mcp plugin needs mcp: {command, args} or {url}", "mcp");
  }
  if (p.kind == "builtin" && config.contains("tools")) {
    for (const json& t : config["tools"]) {
      const std::vector<std::string> known = agent::ToolCatalog::BuiltinNames();
      if (std::find(known.begin(), known.end(), t.get<std::string>()) == known.end()) {
        return InvalidArgument("there is no built-in tool '" + t.get<std::string>() + "'", "tools");
      }
    }
  }
  p.config = config.dump(-1, ' ', false, json::error_handler_t::replace);
  p.secrets = secrets.dump(-1, ' ', false, json::error_handler_t::replace);
  return Status::OK();
}

// The tools' specs as stored and returned.
Result<std::string> ToolsText(agent::Agent* agent, const storage::Plugin& p) {
  KILN_ASSIGN_OR_RETURN(plugins::ToolList tools, agent->PluginTools(p));
  json specs = json::array();
  for (const auto& t : tools) specs.push_back(ToolSpecJson(t->spec()));
  return specs.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Answer(BodyStream& out, int status, const json& body) {
  out.SetStatus(status);
  out.Write(body.dump(-1, ' ', false, json::error_handler_t::replace));
  out.Close();
}

// On the agent's workers: makes the plugin's tools (which checks it), then
// stores it with them through `store` and answers `status` with the record.
void StoreWithTools(agent::Agent* agent, std::shared_ptr<BodyStream> out, storage::Plugin p,
                    int status,
                    std::function<Result<storage::Plugin>(const storage::Plugin&)> store) {
  agent->RunInBackground([agent, out, p = std::move(p), status, store]() mutable {
    Result<std::string> tools = ToolsText(agent, p);
    agent->ForgetPlugin(p.id);  // whatever was cached came from the old record
    if (!tools.ok()) {
      return FailBody(*out,
                      Status(StatusCode::kUnprocessable,
                             "the plugin's tools could not be made: " + tools.status().message()));
    }
    p.tools = *tools;
    Result<storage::Plugin> stored = store(p);
    if (!stored.ok()) return FailBody(*out, stored.status());
    Answer(*out, status, PluginJson(*stored, false));
  });
}

Response Deferred(std::shared_ptr<BodyStream> out) {
  Response res;
  res.stream = std::move(out);
  res.defer_status = true;
  return res;
}

}  // namespace

void AddPluginRoutes(Router& router, agent::Agent* agent, storage::Store* store,
                     size_t body_limit) {
  storage::PluginRepository* repo = &store->plugins();
  auto need_agent = [agent]() -> Status {
    return agent != nullptr ? Status::OK() : Unavailable("plugins need the agent (no models)");
  };

  Route create = NewRoute("POST", "/v1/plugins", "createPlugin",
                          "Register a plugin: built-in tools, an OpenAPI service, or an MCP server",
                          "plugins");
  create.body_limit = std::max<size_t>(body_limit, 4 << 20);
  create.request_schema = CreateSchema();
  create.responses = {{201, "The plugin, with its tools.", PluginSchema()}};
  create.errors = {403, 409, 503};
  create.handler = [agent, repo, need_agent](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(need_agent());
    storage::Plugin p;
    p.id = NewId("plg");
    p.workspace_id = ctx.principal.workspace_id;
    p.kind = ctx.body["kind"].get<std::string>();
    p.created_at = p.updated_at = UnixSeconds();
    KILN_RETURN_IF_ERROR(Apply(ctx.body, ctx.principal, p));
    auto out = std::make_shared<BodyStream>();
    StoreWithTools(agent, out, p, 201,
                   [repo](const storage::Plugin& made) -> Result<storage::Plugin> {
                     KILN_RETURN_IF_ERROR(repo->Create(made));
                     return made;
                   });
    return Deferred(out);
  };
  router.Add(std::move(create));

  Route list = NewRoute("GET", "/v1/plugins", "listPlugins",
                        "The workspace's plugins, newest first", "plugins");
  list.query_params = PaginationParams();
  list.responses = {{200, "A page of plugins.", ListSchema(PluginSchema())}};
  list.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto page,
                          repo->List(ctx.principal.workspace_id, ListOptionsFrom(ctx.request)));
    return PageResponse(page, [](const storage::Plugin& p) { return PluginJson(p, false); });
  };
  router.Add(std::move(list));

  Route get =
      NewRoute("GET", "/v1/plugins/{id}", "getPlugin", "One plugin, with its document", "plugins");
  get.path_params = {IdParam("id", "The plugin's id.")};
  get.responses = {{200, "The plugin.", PluginSchema()}};
  get.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto p, repo->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    return JsonResponse(200, PluginJson(p, true));
  };
  router.Add(std::move(get));

  Route patch = NewRoute("PATCH", "/v1/plugins/{id}", "updatePlugin",
                         "Change a plugin (its tools are made again)", "plugins");
  patch.body_limit = std::max<size_t>(body_limit, 4 << 20);
  patch.request_schema = PatchSchema();
  patch.path_params = {IdParam("id", "The plugin's id.")};
  patch.responses = {{200, "The plugin.", PluginSchema()}};
  patch.errors = {403, 409, 503};
  patch.handler = [agent, repo, need_agent](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(need_agent());
    KILN_ASSIGN_OR_RETURN(storage::Plugin p,
                          repo->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    KILN_RETURN_IF_ERROR(Apply(ctx.body, ctx.principal, p));
    p.updated_at = std::max(UnixSeconds(), p.updated_at + 1);  // the catalog rebuilds on change
    auto out = std::make_shared<BodyStream>();
    StoreWithTools(agent, out, p, 200, [repo](const storage::Plugin& made) {
      return repo->Modify(made.workspace_id, made.id, [&](storage::Plugin& row) {
        row = made;
        return Status::OK();
      });
    });
    return Deferred(out);
  };
  router.Add(std::move(patch));

  Route remove =
      NewRoute("DELETE", "/v1/plugins/{id}", "deletePlugin", "Delete a plugin", "plugins");
  remove.path_params = {IdParam("id", "The plugin's id.")};
  remove.responses = {{200, "Deleted.", DeletedSchema("plugin")}};
  remove.handler = [agent, repo](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(repo->Delete(ctx.principal.workspace_id, ctx.PathParam("id")));
    if (agent != nullptr) agent->ForgetPlugin(ctx.PathParam("id"));
    return JsonResponse(200,
                        {{"id", ctx.PathParam("id")}, {"object", "plugin"}, {"deleted", true}});
  };
  router.Add(std::move(remove));

  Route tools =
      NewRoute("GET", "/v1/plugins/{id}/tools", "listPluginTools",
               "The plugin's tools as they are now (an MCP server is asked again)", "plugins");
  tools.path_params = {IdParam("id", "The plugin's id.")};
  tools.responses = {{200, "The tools.", ListSchema({{"type", "object"}})}};
  tools.errors = {422, 503};
  tools.handler = [agent, repo, need_agent](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(need_agent());
    KILN_ASSIGN_OR_RETURN(storage::Plugin p,
                          repo->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    auto out = std::make_shared<BodyStream>();
    agent->RunInBackground([agent, out, p] {
      Result<plugins::ToolList> made = agent->PluginTools(p);
      if (!made.ok())
        return FailBody(*out, Status(StatusCode::kUnprocessable, made.status().message()));
      json data = json::array();
      for (const auto& t : *made) data.push_back(ToolSpecJson(t->spec()));
      Answer(*out, 200, ListEnvelope(std::move(data), false, ""));
    });
    return Deferred(out);
  };
  router.Add(std::move(tools));

  Route invoke =
      NewRoute("POST", "/v1/plugins/{id}/tools/{name}/invoke", "invokePluginTool",
               "Try one of a plugin's tools with arguments (as the editor's try-it)", "plugins");
  invoke.body_limit = body_limit;
  invoke.body_optional = true;
  invoke.request_schema = {{"type", "object"},
                           {"additionalProperties", false},
                           {"properties", {{"arguments", {{"type", "object"}}}}}};
  invoke.path_params = {
      IdParam("id", "The plugin's id."),
      {"name", "The tool's name.", {{"type", "string"}, {"maxLength", 64}}, true}};
  invoke.responses = {{200,
                       "What the tool returned.",
                       {{"type", "object"},
                        {"required", {"output", "is_error", "truncated", "duration_ms"}},
                        {"properties",
                         {{"output", {{"type", "string"}}},
                          {"is_error", {{"type", "boolean"}}},
                          {"truncated", {{"type", "boolean"}}},
                          {"duration_ms", {{"type", "number"}}}}}}}};
  invoke.errors = {422, 503, 504};
  invoke.handler = [agent, repo, need_agent](RequestContext& ctx) -> Result<Response> {
    KILN_RETURN_IF_ERROR(need_agent());
    KILN_ASSIGN_OR_RETURN(storage::Plugin p,
                          repo->Get(ctx.principal.workspace_id, ctx.PathParam("id")));
    const json args = ctx.body.contains("arguments") ? ctx.body["arguments"] : json::object();
    auto out = std::make_shared<BodyStream>();
    agent->RunInBackground([agent, out, p, args, name = ctx.PathParam("name")] {
      Result<plugins::ToolList> made = agent->PluginTools(p);
      if (!made.ok())
        return FailBody(*out, Status(StatusCode::kUnprocessable, made.status().message()));
      std::shared_ptr<plugins::Tool> tool;
      for (const auto& t : *made) {
        if (t->spec().name == name) tool = t;
      }
      if (tool == nullptr) return FailBody(*out, NotFound("the plugin has no tool '" + name + "'"));
      if (Status valid = ValidateJson(args, tool->spec().parameters); !valid.ok()) {
        return FailBody(*out, InvalidArgument(valid.message(), "arguments." + valid.param()));
      }
      plugins::ToolCallOptions options;
      options.timeout_ms = agent->options().tool_timeout_ms;
      options.max_output_bytes = 64 * 1024;
      const auto start = std::chrono::steady_clock::now();
      Result<plugins::ToolResult> r = tool->Invoke(args, options);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!r.ok()) return FailBody(*out, r.status());
      Answer(*out, 200,
             {{"output", r->output},
              {"is_error", r->is_error},
              {"truncated", r->truncated},
              {"duration_ms", std::round(ms * 10) / 10}});
    });
    return Deferred(out);
  };
  router.Add(std::move(invoke));
}

}  // namespace kiln::web
