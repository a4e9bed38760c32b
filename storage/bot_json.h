// The JSON form of a bot's config, shared by the API and by version snapshots.
//
//   {"name": ..., "description": ..., "avatar_url": ..., "persona": ..., "model": ...,
//    "model_params": {"temperature", "top_p", "top_k", "max_tokens",
//                     "presence_penalty", "frequency_penalty"},
//    "opening_message": ..., "suggested_questions": [...],
//    "variables": [{"name", "description", "default"}], "knowledge_ids": [...],
//    "plugin_ids": [...], "history_turns": n, "follow_up": bool,
//    "inject_current_time": bool, "guard_prompt": bool, "no_hit_reply": ...,
//    "max_tool_steps": n}
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/records.h"

namespace kiln::storage {

nlohmann::json BotConfigToJson(const BotConfig& config);

// Reads a config; missing fields keep BotConfig's defaults. Checks types only
// (InvalidArgument naming the field, e.g. "model_params.top_p"); ranges and
// lengths are the API's business.
Result<BotConfig> BotConfigFromJson(const nlohmann::json& json);

}  // namespace kiln::storage
