// ToolsFromOpenApi: the document's checks, its operations in order, names.
#include <set>
#include <string>
#include <utility>

#include "plugins/openapi/internal/operation.h"
#include "plugins/openapi/openapi.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

constexpr const char* kMethods[] = {"get", "post", "put", "patch", "delete"};

// OK for 3.0.x and 3.1.x; `*v30` says which.
Status CheckVersion(const json& doc, bool* v30) {
  if (doc.contains("swagger")) {
    return InvalidArgument(
        "this is a Swagger (OpenAPI 2.0) document; only OpenAPI 3.0 and 3.1 are supported "
        "(convert it first, for example with swagger2openapi)",
        "swagger");
  }
  auto version = doc.find("openapi");
  if (version == doc.end()) {
    return InvalidArgument("the document has no \"openapi\" version field", "openapi");
  }
  if (!version->is_string()) {
    return InvalidArgument("\"openapi\" must be a version string such as \"3.1.0\"", "openapi");
  }
  const std::string& v = version->get_ref<const std::string&>();
  *v30 = v == "3.0" || v.starts_with("3.0.");
  if (!*v30 && v != "3.1" && !v.starts_with("3.1.")) {
    return InvalidArgument(
        "OpenAPI version \"" + v.substr(0, 40) + "\" is not supported; only 3.0.x and 3.1.x are",
        "openapi");
  }
  return Status::OK();
}

// Counted before any work so that a document of 10,000 operations costs a
// scan, not 10,000 conversions.
Result<int> CountOperations(const json& paths) {
  int count = 0;
  for (const auto& [path, item] : paths.items()) {
    if (!item.is_object()) {
      return InvalidArgument("paths[" + path + "]: must be an object", "paths");
    }
    for (const char* method : kMethods) count += item.contains(method) ? 1 : 0;
  }
  if (count > kMaxOpenApiOperations) {
    return InvalidArgument("the document has " + std::to_string(count) +
                               " operations; a plugin may have at most " +
                               std::to_string(kMaxOpenApiOperations),
                           "paths");
  }
  return count;
}

std::string UniqueName(const std::string& hint, std::set<std::string>* taken) {
  std::string name = hint;
  for (int i = 2; taken->contains(name); ++i) {
    const std::string suffix = "_" + std::to_string(i);
    name = hint.substr(0, 64 - suffix.size()) + suffix;
  }
  taken->insert(name);
  return name;
}

}  // namespace

Result<ToolList> ToolsFromOpenApi(const json& doc, const OpenApiAuth& auth,
                                  const OpenApiOptions& options) {
  if (!doc.is_object()) {
    return InvalidArgument("an OpenAPI document must be an object, not " +
                           std::string(doc.type_name()));
  }
  // Checked first: everything below may copy or recurse into parts of it.
  if (internal::JsonNestsDeeperThan(doc, kMaxOpenApiNesting)) {
    return InvalidArgument("the document nests deeper than " + std::to_string(kMaxOpenApiNesting) +
                           " levels");
  }
  bool v30 = false;
  KILN_RETURN_IF_ERROR(CheckVersion(doc, &v30));
  auto paths = doc.find("paths");
  if (paths == doc.end() || !paths->is_object()) {
    return InvalidArgument("the document needs \"paths\", an object of the operations", "paths");
  }
  KILN_ASSIGN_OR_RETURN(int count, CountOperations(*paths));
  if (count == 0) return InvalidArgument("the document describes no operations", "paths");
  KILN_ASSIGN_OR_RETURN(std::string base_url, internal::ServerBaseUrl(doc, options));

  internal::SchemaConverter schemas(doc, v30);
  std::set<std::string> names;
  std::string skipped;
  ToolList tools;
  for (const auto& [path, node] : paths->items()) {
    const std::string where = "paths[" + path + "]";
    if (!path.starts_with("/"))
      return InvalidArgument(where + ": a path must start with '/'", where);
    KILN_ASSIGN_OR_RETURN(const json* item, schemas.Resolve(node, where));
    if (!item->is_object()) return InvalidArgument(where + ": must be an object", where);
    for (const char* method : kMethods) {
      auto operation = item->find(method);
      if (operation == item->end()) continue;
      std::string why;
      KILN_ASSIGN_OR_RETURN(
          std::optional<internal::BuiltOperation> built,
          internal::BuildOperation(schemas, path, method, *item, *operation, auth, &why));
      if (!built) {
        skipped += std::string(skipped.empty() ? "" : "; ") + method + " " + path + ": " + why;
        continue;
      }
      ToolSpec spec;
      spec.name = UniqueName(built->name_hint, &names);
      spec.description = std::move(built->description);
      spec.parameters = std::move(built->parameters);
      tools.push_back(internal::MakeOpenApiTool(std::move(spec), std::move(built->operation),
                                                base_url, auth, options));
    }
  }
  if (tools.empty()) {
    return InvalidArgument("no operation of the document can be a tool (" + skipped + ")", "paths");
  }
  return tools;
}

}  // namespace kiln::plugins
