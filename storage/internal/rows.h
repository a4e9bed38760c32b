// Mapping between records and the rows of the SQLite schema (migrations.cc),
// and the lookups more than one repository method needs. Column lists and the readers below must
// stay in the same order; each reader documents the SELECT list it expects.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/internal/sqlite.h"
#include "storage/records.h"

namespace kiln::storage::internal {

// The 21 columns of `bots`, in ReadBotRow's order.
inline constexpr std::string_view kBotColumns =
    "id, workspace_id, name, description, avatar_url, persona, model, model_params, "
    "opening_message, suggested_questions, variables, knowledge_ids, plugin_ids, "
    "history_turns, follow_up, inject_current_time, guard_prompt, revision, latest_version, "
    "created_at, updated_at, no_hit_reply, max_tool_steps";
// The 15 config columns (name .. guard_prompt) that BindBotConfig fills; the
// config's later columns (no_hit_reply, max_tool_steps, added by migration 4
// at the end of the row) are bound by BindBotConfigTail.
inline constexpr int kBotConfigColumnCount = 15;

// Binds config's fields to parameters first_index .. first_index + 14, in
// kBotColumns' order from `name`.
void BindBotConfig(Statement& stmt, int first_index, const BotConfig& config);
// Binds no_hit_reply and max_tool_steps to first_index and first_index + 1.
void BindBotConfigTail(Statement& stmt, int first_index, const BotConfig& config);
// Reads a row selected with kBotColumns. Corruption when a JSON column does
// not parse into its field.
Result<Bot> ReadBotRow(const Statement& stmt);

// The bot `id` of `workspace_id` (the workspace is part of every lookup, so
// another workspace's bot is NotFound), read through `conn`.
Result<Bot> SelectBot(Connection& conn, std::string_view workspace_id, std::string_view id);
// OK when the bot exists in the workspace, else NotFound.
Status CheckBotExists(Connection& conn, std::string_view workspace_id, std::string_view id);
Status BotNotFound(std::string_view id);

// The columns of `bot_versions`, in ReadVersionRow's order.
inline constexpr std::string_view kVersionColumns = "bot_id, version, note, config, created_at";
Result<BotVersion> ReadVersionRow(const Statement& stmt);

// The public columns of `api_keys`, in ReadKeyRow's order.
inline constexpr std::string_view kKeyColumns = "id, name, workspace_id, prefix, admin, created_at";
ApiKey ReadKeyRow(const Statement& stmt);

// InvalidArgument (param "limit") outside 1..100. The API validates first;
// this keeps a caller's bug from asking SQLite for a million rows.
Status CheckLimit(const ListOptions& options);

// Turns up to limit + 1 rows, fetched newest first, into a page: the extra
// row only signals has_more, and the cursor is the last returned item's key.
template <typename T, typename CursorOf>
Page<T> MakePage(std::vector<T> rows, int limit, CursorOf cursor_of) {
  Page<T> page;
  if (rows.size() > static_cast<size_t>(limit)) {
    rows.resize(static_cast<size_t>(limit));
    page.has_more = true;
    page.next_cursor = cursor_of(rows.back());
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace kiln::storage::internal
