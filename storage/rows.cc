#include "storage/internal/rows.h"

#include <nlohmann/json.hpp>

#include "storage/bot_json.h"
#include "storage/internal/bot_json_parts.h"

namespace kiln::storage::internal {
namespace {

using nlohmann::json;

// Column indexes of kBotColumns.
// clang-format off
enum BotColumn {
  kId, kWorkspaceId, kName, kDescription, kAvatarUrl, kPersona, kModel, kModelParams,
  kOpeningMessage, kSuggestedQuestions, kVariables, kKnowledgeIds, kPluginIds, kHistoryTurns,
  kFollowUp, kInjectCurrentTime, kGuardPrompt, kRevision, kLatestVersion, kCreatedAt, kUpdatedAt,
  kNoHitReply, kMaxToolSteps,
};
// clang-format on

Status BadColumn(std::string_view what, std::string_view id, const Status& cause) {
  return Corruption(std::string(what) + " of " + std::string(id) +
                    " is malformed: " + cause.message());
}

// Parses a JSON column without exceptions (the CHECK constraints make a
// failure here a sign of a file changed behind our back).
Result<json> ParseColumn(const Statement& stmt, int col) {
  json value = json::parse(stmt.ColumnText(col), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Corruption("not valid JSON");
  return value;
}

template <typename T, typename Parse>
Status ReadJsonColumn(const Statement& stmt, int col, const char* name, std::string_view id,
                      Parse parse, T* out) {
  Result<json> value = ParseColumn(stmt, col);
  if (!value.ok()) return BadColumn(name, id, value.status());
  Result<T> parsed = parse(*value, name);
  if (!parsed.ok()) return BadColumn(name, id, parsed.status());
  *out = std::move(parsed).value();
  return Status::OK();
}

}  // namespace

void BindBotConfig(Statement& stmt, int first_index, const BotConfig& config) {
  const int i = first_index;
  stmt.BindText(i, config.name)
      .BindText(i + 1, config.description)
      .BindText(i + 2, config.avatar_url)
      .BindText(i + 3, config.persona)
      .BindText(i + 4, config.model)
      .BindText(i + 5, DumpJson(ModelParamsToJson(config.model_params)))
      .BindText(i + 6, config.opening_message)
      .BindText(i + 7, DumpJson(StringListToJson(config.suggested_questions)))
      .BindText(i + 8, DumpJson(VariablesToJson(config.variables)))
      .BindText(i + 9, DumpJson(StringListToJson(config.knowledge_ids)))
      .BindText(i + 10, DumpJson(StringListToJson(config.plugin_ids)))
      .BindInt64(i + 11, config.history_turns)
      .BindBool(i + 12, config.follow_up)
      .BindBool(i + 13, config.inject_current_time)
      .BindBool(i + 14, config.guard_prompt);
  static_assert(kBotConfigColumnCount == 15);
}

void BindBotConfigTail(Statement& stmt, int first_index, const BotConfig& config) {
  stmt.BindText(first_index, config.no_hit_reply).BindInt64(first_index + 1, config.max_tool_steps);
}

Result<Bot> ReadBotRow(const Statement& stmt) {
  Bot bot;
  bot.id = stmt.ColumnString(kId);
  bot.workspace_id = stmt.ColumnString(kWorkspaceId);
  BotConfig& c = bot.config;
  c.name = stmt.ColumnString(kName);
  c.description = stmt.ColumnString(kDescription);
  c.avatar_url = stmt.ColumnString(kAvatarUrl);
  c.persona = stmt.ColumnString(kPersona);
  c.model = stmt.ColumnString(kModel);
  KILN_RETURN_IF_ERROR(ReadJsonColumn(stmt, kModelParams, "model_params", bot.id,
                                      ModelParamsFromJson, &c.model_params));
  c.opening_message = stmt.ColumnString(kOpeningMessage);
  KILN_RETURN_IF_ERROR(ReadJsonColumn(stmt, kSuggestedQuestions, "suggested_questions", bot.id,
                                      StringListFromJson, &c.suggested_questions));
  KILN_RETURN_IF_ERROR(
      ReadJsonColumn(stmt, kVariables, "variables", bot.id, VariablesFromJson, &c.variables));
  KILN_RETURN_IF_ERROR(ReadJsonColumn(stmt, kKnowledgeIds, "knowledge_ids", bot.id,
                                      StringListFromJson, &c.knowledge_ids));
  KILN_RETURN_IF_ERROR(
      ReadJsonColumn(stmt, kPluginIds, "plugin_ids", bot.id, StringListFromJson, &c.plugin_ids));
  c.history_turns = static_cast<int>(stmt.ColumnInt64(kHistoryTurns));
  c.follow_up = stmt.ColumnInt64(kFollowUp) != 0;
  c.inject_current_time = stmt.ColumnInt64(kInjectCurrentTime) != 0;
  c.guard_prompt = stmt.ColumnInt64(kGuardPrompt) != 0;
  c.no_hit_reply = stmt.ColumnString(kNoHitReply);
  c.max_tool_steps = static_cast<int>(stmt.ColumnInt64(kMaxToolSteps));
  bot.revision = stmt.ColumnInt64(kRevision);
  bot.latest_version = static_cast<int>(stmt.ColumnInt64(kLatestVersion));
  bot.created_at = stmt.ColumnInt64(kCreatedAt);
  bot.updated_at = stmt.ColumnInt64(kUpdatedAt);
  return bot;
}

Status BotNotFound(std::string_view id) {
  return NotFound("bot " + std::string(id) + " not found");
}

Result<Bot> SelectBot(Connection& conn, std::string_view workspace_id, std::string_view id) {
  static const std::string kSql =
      "SELECT " + std::string(kBotColumns) + " FROM bots WHERE id = ?1 AND workspace_id = ?2";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSql));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return BotNotFound(id);
  return ReadBotRow(stmt);
}

Status CheckBotExists(Connection& conn, std::string_view workspace_id, std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("SELECT 1 FROM bots WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? Status::OK() : BotNotFound(id);
}

Result<BotVersion> ReadVersionRow(const Statement& stmt) {
  BotVersion version;
  version.bot_id = stmt.ColumnString(0);
  version.version = static_cast<int>(stmt.ColumnInt64(1));
  version.note = stmt.ColumnString(2);
  version.created_at = stmt.ColumnInt64(4);
  std::string what = "config of version " + std::to_string(version.version);
  Result<json> config = ParseColumn(stmt, 3);
  if (!config.ok()) return BadColumn(what, version.bot_id, config.status());
  Result<BotConfig> parsed = BotConfigFromJson(*config);
  if (!parsed.ok()) return BadColumn(what, version.bot_id, parsed.status());
  version.config = std::move(parsed).value();
  return version;
}

ApiKey ReadKeyRow(const Statement& stmt) {
  ApiKey key;
  key.id = stmt.ColumnString(0);
  key.name = stmt.ColumnString(1);
  key.workspace_id = stmt.ColumnString(2);
  key.prefix = stmt.ColumnString(3);
  key.admin = stmt.ColumnInt64(4) != 0;
  key.created_at = stmt.ColumnInt64(5);
  return key;
}

Status CheckLimit(const ListOptions& options) {
  if (options.limit < 1 || options.limit > 100) {
    return InvalidArgument("limit must be between 1 and 100", "limit");
  }
  return Status::OK();
}

}  // namespace kiln::storage::internal
