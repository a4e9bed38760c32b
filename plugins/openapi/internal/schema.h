// SchemaConverter: turns the schemas of an OpenAPI document into what a tool's
// parameters may hold: local $refs inlined (cycles refused), allOf flattened,
// 3.0's nullable made a type list, and only the keywords engine/grammar can
// enforce kept. One converter per document; not thread-safe (it counts the
// nodes it has made against the document's budget).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"

namespace kiln::plugins::internal {

inline constexpr int kMaxSchemaDepth = 32;         // schemas inside schemas, after inlining
inline constexpr int kMaxRefChain = 32;            // $ref to $ref to ...
inline constexpr size_t kMaxSchemaNodes = 200000;  // per document, after inlining

class SchemaConverter {
 public:
  // `doc` must outlive the converter.
  SchemaConverter(const nlohmann::json& doc, bool openapi_30) : doc_(doc), v30_(openapi_30) {}

  // Follows the $ref chain of a parameter, request body or path item to the
  // object it names (a pointer into the document). `where` names the node in
  // messages ("paths[/pets].get.parameters[0]").
  Result<const nlohmann::json*> Resolve(const nlohmann::json& node, const std::string& where);

  // The reduced schema: an object, or `false` for a JSON Schema that accepts
  // nothing (callers drop such properties).
  Result<nlohmann::json> Convert(const nlohmann::json& schema, const std::string& where);

 private:
  Result<nlohmann::json> ConvertAt(const nlohmann::json& schema, const std::string& where,
                                   int depth);
  Result<nlohmann::json> ConvertRef(const nlohmann::json& schema, const std::string& where,
                                    int depth);
  Status CopyKeyword(const std::string& key, const nlohmann::json& value, const std::string& where,
                     int depth, nlohmann::json* out);
  Result<nlohmann::json> ConvertList(const nlohmann::json& list, const std::string& where,
                                     int depth);
  Status MergeAllOf(const nlohmann::json& list, const std::string& where, int depth,
                    nlohmann::json* out);
  Result<const nlohmann::json*> Lookup(const std::string& ref, const std::string& where);

  const nlohmann::json& doc_;
  const bool v30_;
  std::vector<std::string> expanding_;  // $refs being inlined on the current path
  size_t nodes_ = 0;
};

// Whether `value` nests arrays/objects deeper than `max_depth` (iterative:
// safe on any depth, before recursive code such as copies touches it).
bool JsonNestsDeeperThan(const nlohmann::json& value, int max_depth);

}  // namespace kiln::plugins::internal
