#include "web/api.h"

#include <charconv>

#include "base/json_schema.h"
#include "base/log.h"
#include "web/channels/dispatcher.h"
#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using nlohmann::json;

bool IsJsonContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // curl -d sends JSON labelled as a form unless told otherwise; the body is
  // still parsed strictly as JSON.
  return lower == "application/json" || lower == "application/x-www-form-urlencoded" ||
         (lower.starts_with("application/") && lower.ends_with("+json"));
}

// Converts a query or path string to the JSON type its schema asks for.
Result<json> ConvertParam(const ParamDoc& doc, const std::string& text) {
  std::string type = doc.schema.value("type", "string");
  if (type == "integer") {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return InvalidArgument(doc.name + " must be an integer", doc.name);
    }
    return json(v);
  }
  if (type == "boolean") {
    if (text == "true") return json(true);
    if (text == "false") return json(false);
    return InvalidArgument(doc.name + " must be true or false", doc.name);
  }
  return json(text);
}

// Validates one parameter value, reporting the parameter's own name as `param`.
Status ValidateParam(const ParamDoc& doc, const json& value) {
  Status st = ValidateJson(value, doc.schema);
  if (st.ok()) return st;
  return InvalidArgument(doc.name + st.message().substr(st.message().find(' ')), doc.name);
}

}  // namespace

Api::Api(storage::Store* store, ApiOptions options)
    : store_(store), options_(std::move(options)), auth_(&store->keys()), started_(MonoNow()) {
  AddSystemRoutes(
      router_, SystemDeps{&router_, [this] { return metrics_.get(); }, options_.version, started_});
  AddKeyRoutes(router_, store_, &auth_, options_.json_body_limit);
  AddBotRoutes(router_, store_, options_.json_body_limit);
  AddOpenAiRoutes(router_, options_.models, options_.agent, options_.json_body_limit);
  AddChatRoutes(router_, options_.agent, store_, options_.json_body_limit);
  AddEditorRoutes(router_);
  AddPluginRoutes(router_, options_.agent, store_, options_.json_body_limit);
  AddChannelRoutes(router_, store_, options_.public_url, options_.json_body_limit);
  if (options_.agent != nullptr) {
    channels::DispatcherOptions d;
    d.store = store_;
    d.agent = options_.agent;
    d.fetch = options_.agent->options().fetch;
    dispatcher_ = std::make_unique<channels::Dispatcher>(std::move(d));
  }
  AddHookRoutes(router_, store_, dispatcher_.get());
  // A multipart body carries the files plus some framing.
  AddKnowledgeRoutes(router_, options_.knowledge, store_, options_.json_body_limit,
                     options_.upload_body_limit + 64 * 1024);
  std::vector<Metrics::RouteLabel> labels;
  for (const auto& route : router_.routes()) {
    route_index_[route.get()] = labels.size();
    labels.push_back({route->method, route->pattern});
  }
  metrics_ = std::make_unique<Metrics>(std::move(labels));
}

Api::~Api() = default;

size_t Api::BodyLimit(std::string_view method, std::string_view path) {
  RouteMatch match = router_.Match(method, path);
  // Unknown routes may still carry a small body that we read and discard, so the
  // connection stays usable for the 404 that follows.
  if (match.route == nullptr) return 64 * 1024;
  return match.route->body_limit > 0 ? match.route->body_limit : 64 * 1024;
}

Response Api::ErrorResponse(int status, std::string_view code, std::string_view message,
                            const std::string& request_id) {
  metrics_->Record(router_.routes().size(), status, 0);
  return web::ErrorResponse(status, code, message, "", request_id);
}

Response Api::Handle(Request& request) {
  MonoClock::time_point start = MonoNow();
  RouteMatch match = router_.Match(request.method, request.path);
  Response response;
  size_t index = router_.routes().size();
  if (match.route == nullptr) {
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      response = web::ErrorResponse(
          405, "method_not_allowed",
          request.method + " is not allowed on " + request.path + "; allowed: " + allow, "",
          request.request_id);
      response.SetHeader("Allow", allow);
    } else {
      response = web::ErrorResponse(404, "not_found",
                                    "no route for " + request.method + " " + request.path, "",
                                    request.request_id);
    }
  } else {
    index = route_index_.at(match.route);
    request.path_params = std::move(match.params);
    Result<Response> result = Run(*match.route, request);
    response = result.ok() ? std::move(result).value()
                           : ErrorFromStatus(result.status(), request.request_id);
  }
  metrics_->Record(index, response.status, SecondsSince(start));
  return response;
}

Result<Response> Api::Run(const Route& route, Request& request) {
  Principal principal;
  if (route.access != Access::kPublic) {
    KILN_ASSIGN_OR_RETURN(principal, auth_.Authenticate(request.Header("authorization")));
    if (route.access == Access::kAdmin && !principal.admin) {
      return PermissionDenied("this operation needs an admin key");
    }
  }
  for (const ParamDoc& doc : route.path_params) {
    // A path that cannot name anything is simply not found.
    Result<json> value = ConvertParam(doc, request.path_params[doc.name]);
    if (!value.ok() || !ValidateParam(doc, *value).ok()) {
      return NotFound(doc.name + " '" + request.path_params[doc.name] + "' not found");
    }
  }
  for (const ParamDoc& doc : route.query_params) {
    const std::string* text = request.Query(doc.name);
    if (text == nullptr) {
      if (doc.required) return InvalidArgument(doc.name + " is required", doc.name);
      continue;
    }
    KILN_ASSIGN_OR_RETURN(json value, ConvertParam(doc, *text));
    KILN_RETURN_IF_ERROR(ValidateParam(doc, value));
  }
  json body;
  if (!route.request_schema.is_null()) {
    std::string_view content_type = request.Header("content-type");
    if (!content_type.empty() && !IsJsonContentType(content_type)) {
      return Status(StatusCode::kInvalidArgument,
                    "Content-Type must be application/json, not " + std::string(content_type));
    }
    if (request.body.empty() && route.body_optional) {
      body = json::object();
    } else if (request.body.empty()) {
      return InvalidArgument("a JSON body is required");
    } else {
      body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) return InvalidArgument("the body is not valid JSON");
    }
    KILN_RETURN_IF_ERROR(ValidateJson(body, route.request_schema));
  }
  RequestContext context{request, body, principal};
  return route.handler(context);
}

}  // namespace kiln::web
