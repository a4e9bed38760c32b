// BuildOpenApiRequest: a tool call's arguments as an HTTP request.
#include "plugins/openapi/request.h"

#include <set>
#include <string>

namespace kiln::plugins {
namespace {

using nlohmann::json;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A scalar as text: strings as they are, numbers and booleans as JSON writes
// them, anything nested as compact JSON.
std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// OpenAPI's "simple" style (path and header parameters): arrays and objects
// comma-separated ("3,4,5"; "role,admin" or, exploded, "role=admin").
std::string SimpleValue(const json& v, bool explode, bool encode) {
  auto enc = [encode](const std::string& s) { return encode ? PercentEncode(s) : s; };
  if (v.is_array()) {
    std::string out;
    for (const json& e : v) out += (out.empty() ? "" : ",") + enc(Text(e));
    return out;
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, e] : v.items()) {
      out += (out.empty() ? "" : ",") + enc(k) + (explode ? "=" : ",") + enc(Text(e));
    }
    return out;
  }
  return enc(Text(v));
}

// OpenAPI's "form" style (the query default): arrays exploded as repeated
// keys, objects exploded as their own keys; "deepObject" as name[key]=value.
void AppendQuery(const OpenApiParameter& p, const json& v, std::vector<std::string>* query) {
  const std::string name = PercentEncode(p.name);
  if (v.is_array()) {
    if (p.explode) {
      for (const json& e : v) query->push_back(name + "=" + PercentEncode(Text(e)));
    } else {
      const std::string sep = p.style == "spaceDelimited"  ? "%20"
                              : p.style == "pipeDelimited" ? "|"
                                                           : ",";
      std::string joined;
      for (const json& e : v) joined += (joined.empty() ? "" : sep) + PercentEncode(Text(e));
      query->push_back(name + "=" + joined);
    }
  } else if (v.is_object()) {
    if (p.style == "deepObject") {
      for (const auto& [k, e] : v.items()) {
        query->push_back(name + "[" + PercentEncode(k) + "]=" + PercentEncode(Text(e)));
      }
    } else if (p.explode) {
      for (const auto& [k, e] : v.items()) {
        query->push_back(PercentEncode(k) + "=" + PercentEncode(Text(e)));
      }
    } else {
      query->push_back(name + "=" + SimpleValue(v, false, true));
    }
  } else {
    query->push_back(name + "=" + PercentEncode(Text(v)));
  }
}

// Parameters the arguments may never set: the credential's own header or
// query name, and Authorization whatever the credential is.
bool Reserved(const OpenApiParameter& p, const OpenApiAuth& auth) {
  if (p.in == "header") {
    if (EqualsIgnoreCase(p.name, "authorization")) return true;
    return auth.type == "api_key" && auth.in == "header" && EqualsIgnoreCase(p.name, auth.name);
  }
  if (p.in == "query") return auth.type == "api_key" && auth.in == "query" && p.name == auth.name;
  return false;
}

Status SetPathParameter(const OpenApiParameter& p, const json& v, std::string* path) {
  std::string value = SimpleValue(v, p.explode, /*encode=*/true);
  if (value.empty()) {
    return InvalidArgument("the path parameter \"" + p.argument + "\" must not be empty",
                           p.argument);
  }
  // "." and ".." would be read as dot segments and move up the path.
  if (value == ".") value = "%2E";
  if (value == "..") value = "%2E%2E";
  const std::string placeholder = "{" + p.name + "}";
  for (size_t at = path->find(placeholder); at != std::string::npos;
       at = path->find(placeholder, at + value.size())) {
    path->replace(at, placeholder.size(), value);
  }
  return Status::OK();
}

Status AddBody(const OpenApiOperation& op, const json& args, const std::set<std::string>& used,
               OpenApiRequest* request) {
  json body;
  if (op.body == OpenApiOperation::Body::kMerged) {
    body = json::object();
    for (const auto& [key, value] : args.items()) {
      if (!used.contains(key)) body[key] = value;
    }
    if (body.empty() && !op.body_required) return Status::OK();
  } else if (op.body == OpenApiOperation::Body::kNamed) {
    auto it = args.find(op.body_argument);
    if (it == args.end() || it->is_null()) {
      if (!op.body_required) return Status::OK();
      return InvalidArgument("missing the required request body \"" + op.body_argument + "\"",
                             op.body_argument);
    }
    body = *it;
  } else {
    return Status::OK();
  }
  if (op.body_media_type == "text/plain") {
    request->body = Text(body);
  } else {
    request->body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  request->headers.emplace_back("Content-Type", op.body_media_type);
  return Status::OK();
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[static_cast<uint8_t>(c) >> 4];
      out += kHex[static_cast<uint8_t>(c) & 15];
    }
  }
  return out;
}

Result<OpenApiRequest> BuildOpenApiRequest(const OpenApiOperation& op, std::string_view base_url,
                                           const OpenApiAuth& auth, const json& arguments) {
  if (!arguments.is_null() && !arguments.is_object()) {
    return InvalidArgument("the arguments must be a JSON object");
  }
  static const json kEmpty = json::object();
  const json& args = arguments.is_object() ? arguments : kEmpty;
  OpenApiRequest request;
  request.method = op.method;
  request.headers.emplace_back("Accept", "application/json");
  std::string path = op.path;
  std::vector<std::string> query, cookies;
  std::set<std::string> used;
  for (const OpenApiParameter& p : op.parameters) {
    used.insert(p.argument);
    if (Reserved(p, auth)) continue;
    auto it = args.find(p.argument);
    if (it == args.end() || it->is_null()) {
      if (!p.required && p.in != "path") continue;
      return InvalidArgument("missing the required " + p.in + " parameter \"" + p.argument + "\"",
                             p.argument);
    }
    if (p.in == "path") {
      KILN_RETURN_IF_ERROR(SetPathParameter(p, *it, &path));
    } else if (p.in == "query") {
      AppendQuery(p, *it, &query);
    } else if (p.in == "header") {
      request.headers.emplace_back(p.name, SimpleValue(*it, p.explode, /*encode=*/false));
      for (char c : request.headers.back().second) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          return InvalidArgument(
              "the header parameter \"" + p.argument + "\" holds control characters", p.argument);
        }
      }
    } else if (p.in == "cookie") {
      cookies.push_back(PercentEncode(p.name) + "=" + SimpleValue(*it, false, true));
    }
  }
  if (size_t open = path.find('{'); open != std::string::npos) {
    const std::string name = path.substr(open + 1, path.find('}', open) - open - 1);
    return InvalidArgument("missing the path parameter \"" + name + "\"", name);
  }
  KILN_RETURN_IF_ERROR(AddBody(op, args, used, &request));
  if (!cookies.empty()) {
    std::string cookie;
    for (const std::string& c : cookies) cookie += (cookie.empty() ? "" : "; ") + c;
    request.headers.emplace_back("Cookie", cookie);
  }

  // Credentials last, from the plugin's settings only.
  if (auth.type == "api_key" && auth.in == "header") {
    request.headers.emplace_back(auth.name, auth.secret);
  } else if (auth.type == "api_key" && auth.in == "query") {
    query.push_back(PercentEncode(auth.name) + "=" + PercentEncode(auth.secret));
  } else if (auth.type == "bearer") {
    request.headers.emplace_back("Authorization", "Bearer " + auth.secret);
  } else if (auth.type == "basic") {
    request.headers.emplace_back("Authorization", "Basic " + Base64(auth.secret));
  }

  request.url = std::string(base_url) + path;
  for (size_t i = 0; i < query.size(); ++i) {
    request.url += (i == 0 && path.find('?') == std::string::npos ? "?" : "&") + query[i];
  }
  return request;
}

}  // namespace kiln::plugins
