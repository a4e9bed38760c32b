// OpenApiTool: one operation, invoked as a guarded HTTP request.
#include <algorithm>
#include <string>
#include <utility>

#include "plugins/net/http_fetch.h"
#include "plugins/openapi/internal/operation.h"
#include "plugins/openapi/internal/text.h"

namespace kiln::plugins::internal {
namespace {

using nlohmann::json;

// A JSON body compacted (what the model reads costs tokens); anything else,
// and JSON nested too deep to re-serialise safely, as it came.
std::string FormatBody(const FetchResponse& response) {
  const std::string& body = response.body;
  const size_t first = body.find_first_not_of(" \t\r\n");
  const bool looks_json =
      response.Header("content-type").find("json") != std::string::npos ||
      (first != std::string::npos && (body[first] == '{' || body[first] == '['));
  if (!looks_json || JsonTextNestsDeeperThan(body, 128)) return body;
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return body;
  return parsed.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The fetch's messages quote the URL, which holds a query credential: the
// secret never reaches logs or the model through an error.
Status Redact(const Status& status, const OpenApiAuth& auth) {
  if (auth.secret.empty()) return status;
  std::string message = status.message();
  for (const std::string& secret : {auth.secret, PercentEncode(auth.secret)}) {
    constexpr std::string_view kMark = "[redacted]";
    for (size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + kMark.size())) {
      message.replace(at, secret.size(), kMark);
    }
  }
  return Status(status.code(), std::move(message), status.param());
}

class OpenApiTool final : public Tool {
 public:
  OpenApiTool(ToolSpec spec, OpenApiOperation operation, std::string base_url, OpenApiAuth auth,
              OpenApiOptions options)
      : spec_(std::move(spec)),
        operation_(std::move(operation)),
        base_url_(std::move(base_url)),
        auth_(std::move(auth)),
        options_(std::move(options)) {}

  const ToolSpec& spec() const override { return spec_; }

  Result<ToolResult> Invoke(const json& arguments, const ToolCallOptions& call) override {
    if (call.cancelled && call.cancelled()) return Cancelled(spec_.name + " was cancelled");
    KILN_ASSIGN_OR_RETURN(OpenApiRequest request,
                          BuildOpenApiRequest(operation_, base_url_, auth_, arguments));
    FetchOptions fetch = options_.fetch;  // the guard's settings
    fetch.method = request.method;
    fetch.headers = std::move(request.headers);
    fetch.body = std::move(request.body);
    fetch.timeout_ms = options_.timeout_ms;
    if (call.timeout_ms > 0) fetch.timeout_ms = std::min(fetch.timeout_ms, call.timeout_ms);
    fetch.max_response_bytes = options_.max_response_bytes;
    // HttpFetch drops Authorization when a redirect leaves the origin, but it
    // cannot know which other header is a credential: with an API key in a
    // header, a redirect is answered as it is (a tool error) rather than
    // followed, so the key never reaches a server it was not meant for.
    if (auth_.type == "api_key" && auth_.in == "header") fetch.max_redirects = 0;

    Result<FetchResponse> response = HttpFetch(request.url, fetch);
    if (!response.ok()) {
      if (response.status().code() == StatusCode::kTooLarge) {
        return MakeToolResult("the response of " + spec_.name + " was larger than " +
                                  std::to_string(options_.max_response_bytes) +
                                  " bytes, the most this plugin accepts; it was not read",
                              call.max_output_bytes, /*is_error=*/true);
      }
      return Redact(response.status(), auth_);
    }
    if (response->status >= 200 && response->status < 300) {
      return MakeToolResult(FormatBody(*response), call.max_output_bytes);
    }
    return MakeToolResult("HTTP " + std::to_string(response->status) + "\n" + FormatBody(*response),
                          call.max_output_bytes, /*is_error=*/true);
  }

 private:
  const ToolSpec spec_;
  const OpenApiOperation operation_;
  const std::string base_url_;
  const OpenApiAuth auth_;
  const OpenApiOptions options_;
};

}  // namespace

std::shared_ptr<Tool> MakeOpenApiTool(ToolSpec spec, OpenApiOperation operation,
                                      std::string base_url, OpenApiAuth auth,
                                      OpenApiOptions options) {
  return std::make_shared<OpenApiTool>(std::move(spec), std::move(operation), std::move(base_url),
                                       std::move(auth), std::move(options));
}

}  // namespace kiln::plugins::internal
