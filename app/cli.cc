#include "app/cli.h"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>

namespace kiln::app {
namespace {

Result<int> ParseInt(const std::string& flag, const std::string& text, int lo, int hi) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return InvalidArgument(flag + " must be a number from " + std::to_string(lo) + " to " +
                           std::to_string(hi));
  }
  return v;
}

Result<float> ParseFloat(const std::string& flag, const std::string& text, float lo, float hi) {
  char* end = nullptr;
  float v = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v >= lo && v <= hi)) {
    return InvalidArgument(flag + " must be a number from " + std::to_string(lo) + " to " +
                           std::to_string(hi));
  }
  return v;
}

// A flag's handler gets its value ("" for switches, which take none).
struct Flag {
  bool takes_value;
  std::function<Status(const std::string&)> apply;
};
using FlagTable = std::map<std::string, Flag>;

FlagTable ServeFlags(ServeOptions& s) {
  return {
      {"--host",
       {true,
        [&](const std::string& v) {
          s.host = v;
          return Status::OK();
        }}},
      {"--port",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.port, ParseInt("--port", v, 0, 65535));
          return Status::OK();
        }}},
      {"--data",
       {true,
        [&](const std::string& v) -> Status {
          if (v.empty()) return InvalidArgument("--data must not be empty");
          s.data_dir = v;
          return Status::OK();
        }}},
      {"--threads",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.io_threads, ParseInt("--threads", v, 1, 64));
          return Status::OK();
        }}},
      {"--idle-timeout",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.idle_timeout_s, ParseInt("--idle-timeout", v, 1, 86400));
          return Status::OK();
        }}},
      {"--port-file",
       {true,
        [&](const std::string& v) {
          s.port_file = v;
          return Status::OK();
        }}},
      {"--log-level",
       {true,
        [&](const std::string& v) {
          s.log_level = v;
          return Status::OK();
        }}},
      {"--model",
       {true,
        [&](const std::string& v) {
          s.models.push_back(v);
          return Status::OK();
        }}},
      {"--no-models",
       {false,
        [&](const std::string&) {
          s.no_models = true;
          return Status::OK();
        }}},
      {"--kv-budget-mb",
       {true,
        [&](const std::string& v) -> Status {
          int mb = 0;
          KILN_ASSIGN_OR_RETURN(mb, ParseInt("--kv-budget-mb", v, 1, 1 << 20));
          s.kv_budget_mb = mb;
          return Status::OK();
        }}},
      {"--max-running",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.max_running, ParseInt("--max-running", v, 1, 256));
          return Status::OK();
        }}},
      {"--max-queue",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.max_queue, ParseInt("--max-queue", v, 0, 100000));
          return Status::OK();
        }}},
      {"--ctx",
       {true,
        [&](const std::string& v) -> Status {
          int n = 0;
          KILN_ASSIGN_OR_RETURN(n, ParseInt("--ctx", v, 16, 1 << 20));
          s.n_ctx = n;
          return Status::OK();
        }}},
      {"--upload-limit-mb",
       {true,
        [&](const std::string& v) -> Status {
          int mb = 0;
          KILN_ASSIGN_OR_RETURN(mb, ParseInt("--upload-limit-mb", v, 1, 4096));
          s.upload_limit_mb = mb;
          return Status::OK();
        }}},
      {"--knowledge-workers",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.knowledge_workers, ParseInt("--knowledge-workers", v, 1, 64));
          return Status::OK();
        }}},
      {"--allow-private-fetch",
       {false,
        [&](const std::string&) {
          s.allow_private_fetch = true;
          return Status::OK();
        }}},
      {"--tool-timeout-ms",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(s.tool_timeout_ms, ParseInt("--tool-timeout-ms", v, 100, 600000));
          return Status::OK();
        }}},
      {"--outbound-allow",
       {true,
        [&](const std::string& v) -> Status {
          s.outbound_allow = v;
          return Status::OK();
        }}},
      {"--public-url",
       {true,
        [&](const std::string& v) -> Status {
          if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() > 1000 ||
              v.find_first_of(" \t\r\n?#") != std::string::npos) {
            return InvalidArgument("--public-url must be an http(s) URL such as https://bots.example.com");
          }
          s.public_url = v;
          while (s.public_url.ends_with("/")) s.public_url.pop_back();
          return Status::OK();
        }}},
  };
}

FlagTable LlmFlags(LlmOptions& o) {
  auto number = [](const char* flag, float lo, float hi, float* out) {
    return Flag{true, [=](const std::string& v) -> Status {
                  KILN_ASSIGN_OR_RETURN(*out, ParseFloat(flag, v, lo, hi));
                  return Status::OK();
                }};
  };
  auto integer = [](const char* flag, int lo, int hi, int* out) {
    return Flag{true, [=](const std::string& v) -> Status {
                  KILN_ASSIGN_OR_RETURN(*out, ParseInt(flag, v, lo, hi));
                  return Status::OK();
                }};
  };
  engine::SamplingParams& s = o.sampling;
  return {
      {"--model",
       {true,
        [&](const std::string& v) {
          o.model_path = v;
          return Status::OK();
        }}},
      {"--prompt",
       {true,
        [&](const std::string& v) {
          o.prompt = v;
          return Status::OK();
        }}},
      {"--system",
       {true,
        [&](const std::string& v) {
          o.system = v;
          return Status::OK();
        }}},
      {"--chat",
       {false,
        [&](const std::string&) {
          o.use_template = true;
          return Status::OK();
        }}},
      {"--text",
       {true,
        [&](const std::string& v) {
          o.texts.push_back(v);
          return Status::OK();
        }}},
      {"--max-tokens", integer("--max-tokens", 0, 1 << 20, &o.max_tokens)},
      {"--ctx",
       {true,
        [&](const std::string& v) -> Status {
          KILN_ASSIGN_OR_RETURN(int n, ParseInt("--ctx", v, 16, 1 << 20));
          o.n_ctx = n;
          return Status::OK();
        }}},
      {"--temperature", number("--temperature", 0, 100, &s.temperature)},
      {"--top-k", integer("--top-k", 0, 1 << 20, &s.top_k)},
      {"--top-p", number("--top-p", 0.0001f, 1, &s.top_p)},
      {"--min-p", number("--min-p", 0, 1, &s.min_p)},
      {"--repeat-penalty", number("--repeat-penalty", 0.0001f, 10, &s.repetition_penalty)},
      {"--presence-penalty", number("--presence-penalty", -2, 2, &s.presence_penalty)},
      {"--frequency-penalty", number("--frequency-penalty", -2, 2, &s.frequency_penalty)},
      {"--seed",
       {true,
        [&](const std::string& v) -> Status {
          char* end = nullptr;
          unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
          if (v.empty() || *end != '\0') return InvalidArgument("--seed must be a whole number");
          s.seed = seed;
          return Status::OK();
        }}},
  };
}

Status ParseFlags(const std::vector<std::string>& args, size_t first, const FlagTable& table,
                  bool* help) {
  for (size_t i = first; i < args.size(); ++i) {
    std::string flag = args[i], value;
    size_t eq = flag.find('=');
    bool inline_value = flag.starts_with("--") && eq != std::string::npos;
    if (inline_value) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--help" || flag == "-h") {
      *help = true;
      return Status::OK();
    }
    auto it = table.find(flag);
    if (it == table.end()) return InvalidArgument("unknown option '" + flag + "'; see kiln --help");
    if (it->second.takes_value && !inline_value) {
      if (i + 1 >= args.size()) return InvalidArgument(flag + " needs a value");
      value = args[++i];
    }
    KILN_RETURN_IF_ERROR(it->second.apply(value));
  }
  return Status::OK();
}

}  // namespace

std::string DefaultModelPath(const std::string& file_name) {
  const char* cache = std::getenv("KILN_CACHE");
  const char* home = std::getenv("HOME");
  std::string base = cache && *cache ? cache : std::string(home ? home : ".") + "/.cache/kiln";
  return base + "/models/" + file_name;
}

std::string HelpText() {
  return "kiln: a self-hosted bot-builder engine with an embedded LLM.\n"
         "\n"
         "Usage:\n"
         "  kiln serve [--host H] [--port P] [--data DIR] [--threads N] [--idle-timeout S]\n"
         "             [--log-level L] [--port-file F] [--model NAME=PATH ...] [--no-models]\n"
         "             [--kv-budget-mb M] [--max-running N] [--max-queue N] [--ctx N]\n"
         "             [--upload-limit-mb M] [--knowledge-workers N] [--allow-private-fetch]\n"
         "             [--outbound-allow HOST:PORT,...] [--tool-timeout-ms MS]\n"
         "             [--public-url URL]\n"
         "  kiln chat [--model PATH] [--system TEXT] [sampling options]\n"
         "  kiln generate [--model PATH] --prompt TEXT [--chat] [sampling options]\n"
         "  kiln embed [--model PATH] [--text TEXT ...]   (no --text: one text per stdin line)\n"
         "  kiln --version\n"
         "  kiln --help\n"
         "\n"
         "serve options:\n"
         "  --host H         address to listen on (default 127.0.0.1)\n"
         "  --port P         port; 0 picks a free one (default 8080)\n"
         "  --data DIR       data folder, created if missing (default ./data)\n"
         "  --threads N      I/O threads (default 2)\n"
         "  --idle-timeout S close keep-alive connections idle for S seconds (default 60)\n"
         "  --log-level L    debug, info, warning, error (default info)\n"
         "  --port-file F    write the bound port to F once listening\n"
         "  --model NAME=PATH  serve a GGUF model under NAME on the OpenAI-compatible API\n"
         "                   (repeatable; default: smollm2 and all-minilm-l6-v2 from the\n"
         "                   model cache, where present); --no-models serves none\n"
         "  --kv-budget-mb M KV cache memory per chat model (default 1024)\n"
         "  --max-running N  sequences decoding at once per chat model (default 16)\n"
         "  --max-queue N    requests waiting beyond those; more get 429 (default 64)\n"
         "  --ctx N          context per sequence in tokens (default 4096)\n"
         "  --upload-limit-mb M  largest knowledge upload (default 64)\n"
         "  --knowledge-workers N  threads reading knowledge documents (default 1)\n"
         "  --allow-private-fetch  let documents and plugins reach loopback/private addresses\n"
         "  --outbound-allow L     hosts (host:port,...) plugins and fetches may always reach\n"
         "                   (also KILN_OUTBOUND_ALLOW)\n"
         "  --tool-timeout-ms MS   one tool call of a bot (default 15000)\n"
         "  --public-url URL  where chat apps reach this server, for channels' webhook URLs\n"
         "                   (also KILN_PUBLIC_URL; default: each request's Host)\n"
         "\n"
         "Model options (chat, generate, embed):\n"
         "  --model PATH     a GGUF file (default: SmolLM2-135M-Instruct, or all-MiniLM-L6-v2\n"
         "                   for embed, from the model cache that scripts/setup fills)\n"
         "  --max-tokens N   answer length limit (default 256)\n"
         "  --ctx N          context size in tokens (default 4096)\n"
         "  --chat           generate: send the prompt as a user message in the chat template\n"
         "  --temperature T  0 = greedy (default 0.8); --top-k K (40) --top-p P (0.95)\n"
         "                   --min-p P (0.05) --repeat-penalty R (1.0) --presence-penalty P (0)\n"
         "                   --frequency-penalty F (0) --seed S (0)\n"
         "\n"
         "Environment:\n"
         "  KILN_ADMIN_KEY   the admin API key; if unset, one is generated on first start\n"
         "                   and printed once\n"
         "  KILN_CACHE       where set-up keeps models (default ~/.cache/kiln)\n";
}

Result<Command> ParseCommandLine(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    cmd.kind = Command::Kind::kHelp;
    return cmd;
  }
  if (args[0] == "--version" || args[0] == "version") {
    cmd.kind = Command::Kind::kVersion;
    return cmd;
  }
  static const std::map<std::string, Command::Kind> kCommands = {
      {"serve", Command::Kind::kServe},
      {"generate", Command::Kind::kGenerate},
      {"chat", Command::Kind::kChat},
      {"embed", Command::Kind::kEmbed},
  };
  auto it = kCommands.find(args[0]);
  if (it == kCommands.end()) {
    return InvalidArgument("unknown command '" + args[0] + "'; see kiln --help");
  }
  cmd.kind = it->second;
  bool help = false;
  FlagTable table = cmd.kind == Command::Kind::kServe ? ServeFlags(cmd.serve) : LlmFlags(cmd.llm);
  KILN_RETURN_IF_ERROR(ParseFlags(args, 1, table, &help));
  if (help) {
    cmd.kind = Command::Kind::kHelp;
    return cmd;
  }
  if (cmd.kind == Command::Kind::kGenerate && cmd.llm.prompt.empty()) {
    return InvalidArgument("generate needs --prompt TEXT");
  }
  if (cmd.llm.model_path.empty()) {
    cmd.llm.model_path = DefaultModelPath(cmd.kind == Command::Kind::kEmbed ? kDefaultEmbeddingModel
                                                                            : kDefaultChatModel);
  }
  return cmd;
}

}  // namespace kiln::app
