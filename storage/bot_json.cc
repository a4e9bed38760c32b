#include "storage/bot_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "storage/internal/bot_json_parts.h"

namespace kiln::storage {
namespace {

using nlohmann::json;

std::string FieldPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += key;
  return path;
}

std::string IndexPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

Status WrongType(const std::string& param, std::string_view expected) {
  return InvalidArgument(param + " must be " + std::string(expected), param);
}

// The member `key` of `object`, or null when absent or JSON null: both mean
// "keep the default", so a client may send null for a field it does not set.
const json* FindField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadString(const json& object, const char* key, std::string_view parent, std::string* out) {
  const json* value = FindField(object, key);
  if (value == nullptr) return Status::OK();
  if (!value->is_string()) return WrongType(FieldPath(parent, key), "a string");
  *out = value->get_ref<const std::string&>();
  return Status::OK();
}

Status ReadBool(const json& object, const char* key, std::string_view parent, bool* out) {
  const json* value = FindField(object, key);
  if (value == nullptr) return Status::OK();
  if (!value->is_boolean()) return WrongType(FieldPath(parent, key), "a boolean");
  *out = value->get<bool>();
  return Status::OK();
}

// Accepts JSON integers and whole-valued floats (40.0) that fit in an int.
Status ReadInt(const json& object, const char* key, std::string_view parent, int* out) {
  const json* value = FindField(object, key);
  if (value == nullptr) return Status::OK();
  constexpr double kMin = std::numeric_limits<int>::min();
  constexpr double kMax = std::numeric_limits<int>::max();
  double number = 0;
  if (value->is_number_unsigned()) {
    uint64_t u = value->get<uint64_t>();
    number = u > static_cast<uint64_t>(kMax) ? kMax + 1 : static_cast<double>(u);
  } else if (value->is_number_integer()) {
    number = static_cast<double>(value->get<int64_t>());
  } else if (value->is_number_float()) {
    number = value->get<double>();
    if (std::trunc(number) != number) return WrongType(FieldPath(parent, key), "an integer");
  } else {
    return WrongType(FieldPath(parent, key), "an integer");
  }
  if (number < kMin || number > kMax) {
    return WrongType(FieldPath(parent, key), "an integer within 32 bits");
  }
  *out = static_cast<int>(number);
  return Status::OK();
}

Status ReadDouble(const json& object, const char* key, std::string_view parent, double* out) {
  const json* value = FindField(object, key);
  if (value == nullptr) return Status::OK();
  if (!value->is_number()) return WrongType(FieldPath(parent, key), "a number");
  *out = value->get<double>();
  return Status::OK();
}

// Reads an optional member with one of the internal::*FromJson functions.
template <typename T, typename Parse>
Status ReadPart(const json& object, const char* key, Parse parse, T* out) {
  const json* value = FindField(object, key);
  if (value == nullptr) return Status::OK();
  KILN_ASSIGN_OR_RETURN(*out, parse(*value, key));
  return Status::OK();
}

Result<BotConfig> ParseConfig(const json& in) {
  if (!in.is_object()) return InvalidArgument("bot config must be a JSON object");
  BotConfig config;
  KILN_RETURN_IF_ERROR(ReadString(in, "name", "", &config.name));
  KILN_RETURN_IF_ERROR(ReadString(in, "description", "", &config.description));
  KILN_RETURN_IF_ERROR(ReadString(in, "avatar_url", "", &config.avatar_url));
  KILN_RETURN_IF_ERROR(ReadString(in, "persona", "", &config.persona));
  KILN_RETURN_IF_ERROR(ReadString(in, "model", "", &config.model));
  KILN_RETURN_IF_ERROR(
      ReadPart(in, "model_params", internal::ModelParamsFromJson, &config.model_params));
  KILN_RETURN_IF_ERROR(ReadString(in, "opening_message", "", &config.opening_message));
  KILN_RETURN_IF_ERROR(ReadPart(in, "suggested_questions", internal::StringListFromJson,
                                &config.suggested_questions));
  KILN_RETURN_IF_ERROR(ReadPart(in, "variables", internal::VariablesFromJson, &config.variables));
  KILN_RETURN_IF_ERROR(
      ReadPart(in, "knowledge_ids", internal::StringListFromJson, &config.knowledge_ids));
  KILN_RETURN_IF_ERROR(
      ReadPart(in, "plugin_ids", internal::StringListFromJson, &config.plugin_ids));
  KILN_RETURN_IF_ERROR(ReadInt(in, "history_turns", "", &config.history_turns));
  KILN_RETURN_IF_ERROR(ReadBool(in, "follow_up", "", &config.follow_up));
  KILN_RETURN_IF_ERROR(ReadBool(in, "inject_current_time", "", &config.inject_current_time));
  KILN_RETURN_IF_ERROR(ReadBool(in, "guard_prompt", "", &config.guard_prompt));
  KILN_RETURN_IF_ERROR(ReadString(in, "no_hit_reply", "", &config.no_hit_reply));
  KILN_RETURN_IF_ERROR(ReadInt(in, "max_tool_steps", "", &config.max_tool_steps));
  return config;
}

}  // namespace

namespace internal {

json ModelParamsToJson(const ModelParams& params) {
  return json{{"temperature", params.temperature},
              {"top_p", params.top_p},
              {"top_k", params.top_k},
              {"max_tokens", params.max_tokens},
              {"presence_penalty", params.presence_penalty},
              {"frequency_penalty", params.frequency_penalty}};
}

json StringListToJson(const std::vector<std::string>& list) {
  json array = json::array();
  for (const std::string& item : list) array.push_back(item);
  return array;
}

json VariablesToJson(const std::vector<BotVariable>& variables) {
  json array = json::array();
  for (const BotVariable& variable : variables) {
    array.push_back(json{{"name", variable.name},
                         {"description", variable.description},
                         {"default", variable.default_value}});
  }
  return array;
}

Result<ModelParams> ModelParamsFromJson(const json& in, std::string_view path) {
  if (!in.is_object()) return WrongType(std::string(path), "an object");
  ModelParams params;
  KILN_RETURN_IF_ERROR(ReadDouble(in, "temperature", path, &params.temperature));
  KILN_RETURN_IF_ERROR(ReadDouble(in, "top_p", path, &params.top_p));
  KILN_RETURN_IF_ERROR(ReadInt(in, "top_k", path, &params.top_k));
  KILN_RETURN_IF_ERROR(ReadInt(in, "max_tokens", path, &params.max_tokens));
  KILN_RETURN_IF_ERROR(ReadDouble(in, "presence_penalty", path, &params.presence_penalty));
  KILN_RETURN_IF_ERROR(ReadDouble(in, "frequency_penalty", path, &params.frequency_penalty));
  return params;
}

Result<std::vector<std::string>> StringListFromJson(const json& in, std::string_view path) {
  if (!in.is_array()) return WrongType(std::string(path), "an array of strings");
  std::vector<std::string> list;
  list.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].is_string()) return WrongType(IndexPath(path, i), "a string");
    list.push_back(in[i].get_ref<const std::string&>());
  }
  return list;
}

Result<std::vector<BotVariable>> VariablesFromJson(const json& in, std::string_view path) {
  if (!in.is_array()) return WrongType(std::string(path), "an array of objects");
  std::vector<BotVariable> variables;
  variables.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    std::string item_path = IndexPath(path, i);
    if (!in[i].is_object()) return WrongType(item_path, "an object");
    BotVariable variable;
    KILN_RETURN_IF_ERROR(ReadString(in[i], "name", item_path, &variable.name));
    KILN_RETURN_IF_ERROR(ReadString(in[i], "description", item_path, &variable.description));
    KILN_RETURN_IF_ERROR(ReadString(in[i], "default", item_path, &variable.default_value));
    variables.push_back(std::move(variable));
  }
  return variables;
}

std::string DumpJson(const json& in) {
  return in.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace internal

json BotConfigToJson(const BotConfig& config) {
  return json{{"name", config.name},
              {"description", config.description},
              {"avatar_url", config.avatar_url},
              {"persona", config.persona},
              {"model", config.model},
              {"model_params", internal::ModelParamsToJson(config.model_params)},
              {"opening_message", config.opening_message},
              {"suggested_questions", internal::StringListToJson(config.suggested_questions)},
              {"variables", internal::VariablesToJson(config.variables)},
              {"knowledge_ids", internal::StringListToJson(config.knowledge_ids)},
              {"plugin_ids", internal::StringListToJson(config.plugin_ids)},
              {"history_turns", config.history_turns},
              {"follow_up", config.follow_up},
              {"inject_current_time", config.inject_current_time},
              {"guard_prompt", config.guard_prompt},
              {"no_hit_reply", config.no_hit_reply},
              {"max_tool_steps", config.max_tool_steps}};
}

Result<BotConfig> BotConfigFromJson(const json& in) {
  // The type checks above make nlohmann's accessors safe; this catch is the
  // backstop that keeps any exception from leaving storage.
  try {
    return ParseConfig(in);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("bot config: ") + e.what());
  }
}

}  // namespace kiln::storage
