// The pieces of a bot config's JSON form, for the SQLite repository, which
// keeps the list- and object-valued fields in JSON columns of their own
// rather than one document (bot_json.h has the whole form).
//
// FromJson functions never throw; `path` is the field's name used as the
// error's param ("model_params", "variables").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/records.h"

namespace kiln::storage::internal {

nlohmann::json ModelParamsToJson(const ModelParams& params);
nlohmann::json StringListToJson(const std::vector<std::string>& list);
nlohmann::json VariablesToJson(const std::vector<BotVariable>& variables);

Result<ModelParams> ModelParamsFromJson(const nlohmann::json& json, std::string_view path);
Result<std::vector<std::string>> StringListFromJson(const nlohmann::json& json,
                                                    std::string_view path);
Result<std::vector<BotVariable>> VariablesFromJson(const nlohmann::json& json,
                                                   std::string_view path);

// Serializes compactly. Invalid UTF-8 in a string becomes U+FFFD instead of
// the exception nlohmann would throw: storage must not fail on what the API
// layer let through.
std::string DumpJson(const nlohmann::json& json);

}  // namespace kiln::storage::internal
