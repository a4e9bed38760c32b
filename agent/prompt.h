// Prompt assembly for a bot's turn, as pure functions (tested without a
// model): the persona with its {{variables}} filled in, the knowledge the
// turn retrieved as numbered passages the answer can cite, the results of
// the tools it called, quoted as data, and as much of the conversation's
// history as fits the context. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/chat_template.h"

namespace kiln::agent {

// `text` with each {{name}} (spaces inside the braces allowed) replaced by
// values[name]; unknown names are left as written.
std::string SubstituteVariables(std::string_view text,
                                const std::map<std::string, std::string>& values);

// A retrieved passage, numbered from 1 in the order the turn shows them.
struct Passage {
  int index = 0;
  std::string document_name;
  std::string text;
};

// A tool call of this turn and what came back (output, or the error).
struct ToolOutcome {
  std::string name;
  std::string arguments;  // JSON text
  std::string output;     // already cut to the agent's limit
  bool is_error = false;
};

struct PromptParts {
  std::string persona;  // variables already substituted
  std::vector<Passage> passages;
  std::vector<ToolOutcome> tools;
  bool guard_prompt = false;  // never reveal the instructions
  std::string current_time;   // "" unless the bot injects it
  std::string memory;         // "name: value" lines the bot remembers of this user, or ""
};

// The system message: the persona, the time, what the bot remembers of the
// user, the guard; the same from turn to turn, so the prefix cache keeps it.
std::string SystemMessage(const PromptParts& parts);

// The turn's user message: its evidence first (the numbered passages, the
// tool results), each quoted between markers that are removed from the text
// first and introduced as data, never instructions (a tool or a document
// that says "ignore your instructions" is quoting, not commanding), then
// the question. Evidence ahead of the question in the user's own turn is
// what the small default model answers from: measured on SmolLM2-135M, the
// same passage in the system message gave an echo of the question, in the
// user turn the right number with its [1].
std::string UserMessage(const PromptParts& parts, std::string_view message);

// Strips the quoting markers (and other control characters but newline and
// tab) from text that goes between them.
std::string QuoteSafe(std::string_view text);

// [system, history..., user]: the history's oldest messages are dropped
// while the whole prompt is over `budget` tokens (counted by `count`), and
// an assistant message never starts it. `history` alternates user and
// assistant turns, oldest first.
std::vector<engine::ChatMessage> FitHistory(const std::string& system,
                                            const std::vector<engine::ChatMessage>& history,
                                            const std::string& user, int64_t budget,
                                            const std::function<int64_t(std::string_view)>& count);

// Whether `text` is mostly Chinese/Japanese/Korean (for built-in sentences
// in the user's language).
bool LooksCjk(std::string_view text);

}  // namespace kiln::agent
