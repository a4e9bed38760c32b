// The `kiln` command line: parsing is separate from running so it can be tested.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/sampling.h"

namespace kiln::app {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data_dir = "./data";
  int io_threads = 2;
  int idle_timeout_s = 60;  // keep-alive connections idle this long are closed
  std::string port_file;    // when set, the bound port is written here once listening
  std::string log_level = "info";
  // Models for the OpenAI-compatible API, "NAME=PATH". None given: the
  // default chat and embedding models from the model cache, where present.
  std::vector<std::string> models;
  bool no_models = false;
  int64_t kv_budget_mb = 1024;  // KV cache of each chat model
  int max_running = 16;         // sequences decoding at once, per chat model
  int max_queue = 64;           // requests waiting beyond those, per chat model
  int64_t n_ctx = 4096;         // context per sequence
  int64_t upload_limit_mb = 64;  // knowledge documents: largest upload (request body)
  int knowledge_workers = 1;     // knowledge ingestion threads
  // Lets documents be fetched from loopback and private addresses (tests, or
  // an operator who means it); off, such URLs are refused.
  bool allow_private_fetch = false;
  // The operator's outbound allowlist ("host:port,..."): hosts every plugin
  // call and document fetch may reach even when they are private. Also read
  // from KILN_OUTBOUND_ALLOW (both are used).
  std::string outbound_allow;
  int64_t tool_timeout_ms = 15000;  // one plugin tool call, within a bot's turn
  // Where chat apps reach this server ("https://bots.example.com"): channels'
  // webhook URLs are made from it. Empty: from each request's Host header.
  // Also read from KILN_PUBLIC_URL.
  std::string public_url;
};

// generate, chat and embed.
struct LlmOptions {
  std::string model_path;     // empty: the default model in the model cache
  std::string prompt;         // generate
  std::string system;         // chat: a system message
  bool use_template = false;  // generate: send the prompt as a chat user message
  int max_tokens = 256;
  int64_t n_ctx = 4096;
  engine::SamplingParams sampling;
  std::vector<std::string> texts;  // embed: texts to embed (none: read lines from stdin)
};

struct Command {
  enum class Kind { kServe, kGenerate, kChat, kEmbed, kVersion, kHelp } kind = Kind::kHelp;
  ServeOptions serve;
  LlmOptions llm;
};

// Parses argv[1..]. InvalidArgument with a message fit for the terminal.
Result<Command> ParseCommandLine(const std::vector<std::string>& args);

std::string HelpText();

// The model file a command uses when --model is not given: in $KILN_CACHE/models
// (default ~/.cache/kiln/models), where scripts/setup puts it.
std::string DefaultModelPath(const std::string& file_name);

// The model cache's default models (scripts/setup fetches them).
inline constexpr const char* kDefaultChatModel = "smollm2-135m-instruct-q4_1.gguf";
inline constexpr const char* kDefaultEmbeddingModel = "all-minilm-l6-v2-q8_0.gguf";

}  // namespace kiln::app
