// Plain records that the repositories store and return. No behaviour, no SQL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::storage {

// A variable a bot's persona can use as {{name}}.
struct BotVariable {
  std::string name;
  std::string description;
  std::string default_value;  // "default" in the API
  bool operator==(const BotVariable&) const = default;
};

// Sampling settings for the bot's model. Defaults are what a new bot gets.
struct ModelParams {
  double temperature = 0.7;        // [0, 2]
  double top_p = 0.9;              // (0, 1]
  int top_k = 40;                  // 0 = off
  int max_tokens = 512;            // [1, 32768]
  double presence_penalty = 0.0;   // [-2, 2]
  double frequency_penalty = 0.0;  // [-2, 2]
  bool operator==(const ModelParams&) const = default;
};

// Everything a bot creator edits. Frozen as-is into a BotVersion on publish.
struct BotConfig {
  std::string name;
  std::string description;
  std::string avatar_url;
  std::string persona;                          // the instructions; may use {{variable}}
  std::string model = "smollm2";  // name of a loaded model
  ModelParams model_params;
  std::string opening_message;
  std::vector<std::string> suggested_questions;
  std::vector<BotVariable> variables;
  std::vector<std::string> knowledge_ids;
  std::vector<std::string> plugin_ids;
  int history_turns = 10;  // past turns the bot sees, [0, 100]
  bool follow_up = false;  // suggest follow-up questions after each answer
  bool inject_current_time = false;
  bool guard_prompt = false;  // refuse to reveal the persona
  // What the bot says when its knowledge has nothing above the minimum
  // score ("" = the built-in sentence in the user's language).
  std::string no_hit_reply;
  int max_tool_steps = 3;  // tool calls per turn before it must answer, [0, 10]
  bool operator==(const BotConfig&) const = default;
};

struct Bot {
  std::string id;  // "bot_..."
  std::string workspace_id;
  BotConfig config;        // the draft
  int64_t revision = 0;    // bumped by every update; for optimistic concurrency
  int latest_version = 0;  // highest published version, 0 = never published
  int64_t created_at = 0;  // Unix seconds
  int64_t updated_at = 0;
};

// An immutable published snapshot of a bot's config.
struct BotVersion {
  std::string bot_id;
  int version = 0;  // 1, 2, 3, ... per bot
  std::string note;
  BotConfig config;
  int64_t created_at = 0;
};

// An API key's public record. The secret itself is never stored, only its SHA-256.
struct ApiKey {
  std::string id;  // "key_..."
  std::string name;
  std::string workspace_id;
  std::string prefix;  // first characters of the secret, shown in lists ("kiln_AbC1")
  bool admin = false;
  int64_t created_at = 0;
};

// Cursor pagination, newest first. `cursor` is the opaque next_cursor of the previous page.
struct ListOptions {
  int limit = 20;      // 1..100, validated by the caller
  std::string cursor;  // empty = first page
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
  std::string next_cursor;  // empty when !has_more
};

}  // namespace kiln::storage
