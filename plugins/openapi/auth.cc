// ParseOpenApiAuth: the API's credential shapes, checked so that a secret can
// never carry a second header (CR/LF) and no message ever repeats it.
#include <set>
#include <string>

#include "plugins/openapi/openapi.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

constexpr size_t kMaxSecretBytes = 8192;

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}


std::string Lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return s;
}

// A string field: required, non-empty unless `may_be_empty`, no control
// characters. The value is never quoted back.
Result<std::string> Field(const json& auth, const std::string& key, bool may_be_empty = false) {
  const std::string param = "auth." + key;
  auto it = auth.find(key);
  if (it == auth.end()) return InvalidArgument(param + " is required", param);
  if (!it->is_string()) return InvalidArgument(param + " must be a string", param);
  const std::string& value = it->get_ref<const std::string&>();
  if (value.empty() && !may_be_empty) return InvalidArgument(param + " must not be empty", param);
  if (value.size() > kMaxSecretBytes) {
    return InvalidArgument(param + " is longer than " + std::to_string(kMaxSecretBytes) + " bytes",
                           param);
  }
  if (HasControl(value)) return InvalidArgument(param + " holds control characters", param);
  return value;
}

Status OnlyFields(const json& auth, const std::string& type, const std::set<std::string>& keys) {
  for (const auto& [key, value] : auth.items()) {
    if (key != "type" && !keys.contains(key)) {
      return InvalidArgument("auth." + key + " is not a field of " + type + " credentials",
                             "auth." + key);
    }
  }
  return Status::OK();
}

Result<OpenApiAuth> ParseApiKey(const json& auth) {
  KILN_RETURN_IF_ERROR(OnlyFields(auth, "api_key", {"in", "name", "key"}));
  OpenApiAuth out;
  out.type = "api_key";
  out.in = "header";
  if (auth.contains("in")) {
    KILN_ASSIGN_OR_RETURN(out.in, Field(auth, "in"));
    if (out.in != "header" && out.in != "query") {
      return InvalidArgument("auth.in must be \"header\" or \"query\"", "auth.in");
    }
  }
  KILN_ASSIGN_OR_RETURN(out.name, Field(auth, "name"));
  if (out.in == "header") {
    static const std::set<std::string> kClientOwn = {"host", "content-length", "transfer-encoding",
                                                     "connection", "content-type"};
    if (!IsHttpToken(out.name)) {
      return InvalidArgument("auth.name is not a valid header name", "auth.name");
    }
    if (kClientOwn.contains(Lower(out.name))) {
      return InvalidArgument("auth.name cannot be the " + out.name + " header", "auth.name");
    }
  }
  KILN_ASSIGN_OR_RETURN(out.secret, Field(auth, "key"));
  return out;
}

}  // namespace

Result<OpenApiAuth> ParseOpenApiAuth(const json& auth) {
  if (auth.is_null()) return OpenApiAuth{};
  if (!auth.is_object()) {
    return InvalidArgument(
        "auth must be an object such as {\"type\": \"bearer\", \"token\": \"...\"}", "auth");
  }
  KILN_ASSIGN_OR_RETURN(std::string type, Field(auth, "type"));
  if (type == "none") {
    KILN_RETURN_IF_ERROR(OnlyFields(auth, type, {}));
    return OpenApiAuth{};
  }
  if (type == "api_key") return ParseApiKey(auth);
  OpenApiAuth out;
  out.type = type;
  if (type == "bearer") {
    KILN_RETURN_IF_ERROR(OnlyFields(auth, type, {"token"}));
    KILN_ASSIGN_OR_RETURN(out.secret, Field(auth, "token"));
    return out;
  }
  if (type == "basic") {
    KILN_RETURN_IF_ERROR(OnlyFields(auth, type, {"username", "password"}));
    KILN_ASSIGN_OR_RETURN(std::string user, Field(auth, "username"));
    if (user.find(':') != std::string::npos) {
      return InvalidArgument("auth.username must not contain ':'", "auth.username");
    }
    KILN_ASSIGN_OR_RETURN(std::string password, Field(auth, "password", /*may_be_empty=*/true));
    out.secret = user + ":" + password;
    return out;
  }
  return InvalidArgument("auth.type must be one of none, api_key, bearer, basic", "auth.type");
}

json RedactedOpenApiAuth(const OpenApiAuth& auth) {
  json out = {{"type", auth.type}};
  if (auth.type == "api_key") {
    out["in"] = auth.in;
    out["name"] = auth.name;
  }
  return out;
}

}  // namespace kiln::plugins
