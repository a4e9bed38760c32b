// ServerBaseUrl: where an OpenAPI plugin's requests go.
#include <string>
#include <vector>

#include "plugins/openapi/internal/operation.h"

namespace kiln::plugins::internal {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

// "{region}" -> the variable's default, as OpenAPI's server object says.
Result<std::string> Substitute(const json& server) {
  const std::string url = server["url"].get<std::string>();
  const json empty = json::object();
  const json* variables = &empty;
  if (auto it = server.find("variables"); it != server.end()) {
    if (!it->is_object()) return InvalidArgument("servers[0].variables: must be an object");
    variables = &*it;
  }
  std::string out;
  for (size_t i = 0; i < url.size(); ++i) {
    const size_t close = url[i] == '{' ? url.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += url[i];
      continue;
    }
    const std::string name = url.substr(i + 1, close - i - 1);
    auto var = variables->find(name);
    if (var == variables->end() || !var->is_object() || !var->contains("default") ||
        !(*var)["default"].is_string()) {
      return InvalidArgument("servers[0].url uses the variable {" + name.substr(0, 100) +
                             "}, which has no default in servers[0].variables");
    }
    out += (*var)["default"].get<std::string>();
    i = close;
  }
  return out;
}

// RFC 3986 section 5.2.4, on a path without query.
std::string RemoveDotSegments(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (segment != ".") {
      segments.push_back(std::move(segment));
    }
    start = slash + 1;
  }
  std::string out;
  for (const std::string& s : segments) out += "/" + s;
  return out.empty() ? "/" : out;
}

Result<std::string> Resolve(const std::string& relative, const std::string& document_url) {
  if (document_url.empty()) {
    return InvalidArgument("the server URL \"" + relative.substr(0, 200) +
                           "\" is relative: give the URL the document came from, or a base URL");
  }
  Result<Url> base = ParseUrl(document_url);
  if (!base.ok()) return base.status().Annotate("the document URL");
  if (relative.starts_with("//")) return base->scheme + ":" + relative;
  const bool v6 = base->host.find(':') != std::string::npos;
  const int default_port = base->scheme == "https" ? 443 : 80;
  const std::string origin = base->scheme + "://" + (v6 ? "[" + base->host + "]" : base->host) +
                             (base->port == default_port ? "" : ":" + std::to_string(base->port));
  std::string path = relative;
  if (!relative.starts_with("/")) {
    std::string dir = base->path_and_query.substr(0, base->path_and_query.find('?'));
    path = dir.substr(0, dir.rfind('/') + 1) + relative;
  }
  return origin + RemoveDotSegments(path);
}

}  // namespace

Result<std::string> ServerBaseUrl(const json& doc, const OpenApiOptions& options) {
  std::string url = options.base_url;
  if (url.empty()) {
    url = "/";  // OpenAPI's default server
    if (auto servers = doc.find("servers"); servers != doc.end()) {
      if (!servers->is_array()) return InvalidArgument("servers: must be a list", "servers");
      if (!servers->empty()) {
        const json& server = (*servers)[0];
        if (!server.is_object() || !server.contains("url") || !server["url"].is_string()) {
          return InvalidArgument("servers[0].url: must be a string", "servers[0].url");
        }
        KILN_ASSIGN_OR_RETURN(url, Substitute(server));
      }
    }
  }
  const std::string lower = Lower(url);
  if (!lower.starts_with("http://") && !lower.starts_with("https://")) {
    const size_t colon = url.find(':');
    if (colon != std::string::npos && colon < url.find('/')) {
      return InvalidArgument("the server URL \"" + url.substr(0, 200) + "\" is not http or https");
    }
    KILN_ASSIGN_OR_RETURN(url, Resolve(url, options.document_url));
  }
  if (url.find_first_of("?#") != std::string::npos) {
    return InvalidArgument("the server URL \"" + url.substr(0, 200) +
                           "\" must not have a query or fragment");
  }
  Result<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status().Annotate("the server URL");
  while (url.ends_with("/")) url.pop_back();
  return url;
}

}  // namespace kiln::plugins::internal
