// Builds the OpenAPI 3.1 document from the route table (the same table the
// router dispatches on), so /openapi.json always describes what is served.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "web/router.h"

namespace kiln::web {

nlohmann::json BuildOpenApi(const Router& router, const std::string& version);

// The JSON Schema of the error envelope.
nlohmann::json ErrorSchema();

}  // namespace kiln::web
