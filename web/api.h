// Api: Kiln's HTTP application — the route table plus the request pipeline
// that every route shares: match -> authenticate -> parse and validate the
// query and JSON body against the route's schemas -> handler -> error
// envelope -> metrics.
//
// It is the HttpHandler the server core calls; it is independent of Beast and
// can be driven directly in tests with a Request. Thread-safe once built.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "agent/agent.h"
#include "engine/serve/served_models.h"
#include "rag/knowledge_service.h"
#include "storage/store.h"
#include "web/auth.h"
#include "web/metrics.h"
#include "web/router.h"
#include "web/server.h"

namespace kiln::web {

namespace channels {
class Dispatcher;
}

struct ApiOptions {
  std::string version = "0.0.0";           // reported by /healthz and /openapi.json
  size_t json_body_limit = 1 << 20;        // default body limit for JSON routes
  engine::ServedModels* models = nullptr;  // the OpenAI-compatible API's models (borrowed)
  rag::KnowledgeService* knowledge = nullptr;  // knowledge bases (borrowed; null: unavailable)
  agent::Agent* agent = nullptr;               // bots' chat and plugins (borrowed; null: unavailable)
  size_t upload_body_limit = 64u << 20;        // knowledge document uploads
  // Where chat apps reach the server, for channels' webhook URLs; empty: the
  // request's Host header.
  std::string public_url;
};

class Api : public HttpHandler {
 public:
  // `store` is borrowed and must outlive the Api.
  Api(storage::Store* store, ApiOptions options);
  ~Api() override;

  size_t BodyLimit(std::string_view method, std::string_view path) override;
  Response Handle(Request& request) override;
  Response ErrorResponse(int status, std::string_view code, std::string_view message,
                         const std::string& request_id) override;
  void OnConnectionOpened() override { metrics_->ConnectionOpened(); }
  void OnConnectionClosed() override { metrics_->ConnectionClosed(); }

  const Router& router() const { return router_; }
  Metrics& metrics() { return *metrics_; }
  Authenticator& authenticator() { return auth_; }

 private:
  Result<Response> Run(const Route& route, Request& request);

  storage::Store* store_;
  ApiOptions options_;
  Authenticator auth_;
  Router router_;
  std::unique_ptr<Metrics> metrics_;
  std::unordered_map<const Route*, size_t> route_index_;  // for metrics
  std::unique_ptr<channels::Dispatcher> dispatcher_;       // null without the agent
  MonoClock::time_point started_;
};

}  // namespace kiln::web
