// Operational endpoints: /healthz, /metrics, /openapi.json.
#include "web/handlers/handlers.h"
#include "web/openapi.h"

namespace kiln::web {

using nlohmann::json;

void AddSystemRoutes(Router& router, SystemDeps deps) {
  Route health =
      NewRoute("GET", "/healthz", "health", "Liveness and version", "system", Access::kPublic);
  health.responses = {{200,
                       "The server is up.",
                       {{"type", "object"},
                        {"required", {"status", "version", "uptime_seconds"}},
                        {"properties",
                         {{"status", {{"const", "ok"}}},
                          {"version", {{"type", "string"}}},
                          {"uptime_seconds", {{"type", "number"}}}}}}}};
  health.handler = [deps](RequestContext&) -> Result<Response> {
    return JsonResponse(200, {{"status", "ok"},
                              {"version", deps.version},
                              {"uptime_seconds", SecondsSince(deps.started)}});
  };
  router.Add(std::move(health));

  Route metrics =
      NewRoute("GET", "/metrics", "metrics", "Prometheus metrics", "system", Access::kPublic);
  metrics.content_type = "text/plain; version=0.0.4";
  metrics.responses = {{200, "Metrics in Prometheus text format.", {{"type", "string"}}}};
  metrics.handler = [deps](RequestContext&) -> Result<Response> {
    Response res;
    res.content_type = "text/plain; version=0.0.4";
    res.body = deps.metrics()->RenderPrometheus();
    return res;
  };
  router.Add(std::move(metrics));

  Route openapi = NewRoute("GET", "/openapi.json", "openapi", "This API's OpenAPI 3.1 document",
                           "system", Access::kPublic);
  openapi.responses = {{200, "The OpenAPI document.", {{"type", "object"}}}};
  openapi.handler = [deps](RequestContext&) -> Result<Response> {
    // Built per call: it is small, rarely fetched, and then never stale.
    return JsonResponse(200, BuildOpenApi(*deps.router, deps.version));
  };
  router.Add(std::move(openapi));
}

}  // namespace kiln::web
