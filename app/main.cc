// kiln: parses the command line, opens the data folder, and serves.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli.h"
#include "app/knowledge_setup.h"
#include "agent/agent.h"
#include "app/llm_commands.h"
#include "base/clock.h"
#include "base/log.h"
#include "engine/serve/served_models.h"
#include "storage/store.h"
#include "web/api.h"
#include "web/server.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::app {
namespace {

// One server per data folder: a second would fight over the database. The lock
// goes away with the process, even under kill -9.
Status LockDataDir(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("cannot open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("data folder " + dir + " is in use by another kiln");
  }
  return Status::OK();  // fd stays open for the life of the process
}

Status Serve(const ServeOptions& options) {
  LogLevel level;
  if (!ParseLogLevel(options.log_level, &level)) {
    return InvalidArgument("--log-level must be debug, info, warning or error");
  }
  SetLogLevel(level);
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Unavailable("cannot create data folder " + options.data_dir + ": " + ec.message());
  KILN_RETURN_IF_ERROR(LockDataDir(options.data_dir));

  storage::SqliteOptions db_options;
  db_options.path = options.data_dir + "/kiln.db";
  KILN_ASSIGN_OR_RETURN(auto store, storage::OpenSqliteStore(db_options));

  const char* env_key = std::getenv("KILN_ADMIN_KEY");
  KILN_ASSIGN_OR_RETURN(
      std::string generated,
      web::BootstrapAdminKey(store->keys(), env_key ? env_key : "", UnixSeconds()));
  if (!generated.empty()) {
    std::cout << "Generated the admin API key (shown only this once; only its hash is stored):\n  "
              << generated << "\n"
              << std::flush;
  }

  // The models of the OpenAI-compatible API.
  std::vector<engine::ModelSpec> specs;
  if (!options.no_models) {
    for (const std::string& m : options.models) {
      KILN_ASSIGN_OR_RETURN(engine::ModelSpec spec, engine::ParseModelSpec(m));
      specs.push_back(std::move(spec));
    }
    if (options.models.empty()) {
      for (const auto& [name, file] :
           {std::pair<std::string, std::string>{"smollm2", kDefaultChatModel},
            {"all-minilm-l6-v2", kDefaultEmbeddingModel}}) {
        const std::string path = DefaultModelPath(file);
        if (std::filesystem::exists(path)) specs.push_back({name, path});
      }
    }
  }
  engine::ServeOptions serve_options;
  serve_options.kv_budget_mb = options.kv_budget_mb;
  serve_options.max_running = options.max_running;
  serve_options.max_queue = options.max_queue;
  serve_options.n_ctx = options.n_ctx;
  KILN_ASSIGN_OR_RETURN(auto models, engine::ServedModels::Load(specs, serve_options));
  for (const auto& e : models->entries()) {
    KILN_LOG(INFO) << "model " << e->name << ": " << e->model->path
                   << (e->chat() ? " (chat)" : " (embeddings)");
  }

  // The outbound guard every plugin call and document fetch goes through,
  // over connections kept alive between calls (OpenAPI services, MCP over
  // HTTP and document hosts are called again and again).
  plugins::ConnectionPool outbound_connections;
  plugins::FetchOptions guard;
  guard.allow_private = options.allow_private_fetch;
  guard.pool = &outbound_connections;
  for (const std::string& list :
       {options.outbound_allow, std::string(std::getenv("KILN_OUTBOUND_ALLOW") != nullptr
                                                ? std::getenv("KILN_OUTBOUND_ALLOW")
                                                : "")}) {
    KILN_ASSIGN_OR_RETURN(std::vector<std::string> entries, plugins::ParseOutboundAllow(list));
    guard.allow.insert(guard.allow.end(), entries.begin(), entries.end());
  }

  // Knowledge bases, with every embedding model loaded.
  auto embedders = MakeEmbedders(*models);
  std::unique_ptr<rag::KnowledgeService> knowledge;
  if (!embedders.empty()) {
    rag::KnowledgeServiceOptions k;
    k.data_dir = options.data_dir;
    k.embedder = [&embedders](const std::string& name) -> rag::Embedder* {
      auto it = embedders.find(name);
      return it == embedders.end() ? nullptr : it->second.get();
    };
    k.default_embedding_model = embedders.begin()->first;
    k.workers = options.knowledge_workers;
    k.max_document_bytes = static_cast<size_t>(options.upload_limit_mb) << 20;
    k.fetch = MakeFetcher(guard);
    knowledge = std::make_unique<rag::KnowledgeService>(store.get(), std::move(k));
    KILN_RETURN_IF_ERROR(knowledge->Start());
  } else {
    KILN_LOG(WARNING) << "no embedding model loaded: knowledge bases are unavailable";
  }

  // Bots: the agent runtime over the models, knowledge and plugins.
  std::unique_ptr<agent::Agent> bots;
  if (models->entries().size() > 0) {
    agent::AgentOptions a;
    a.store = store.get();
    a.models = models.get();
    a.knowledge = knowledge.get();
    a.fetch = guard;
    a.tool_timeout_ms = options.tool_timeout_ms;
    bots = std::make_unique<agent::Agent>(std::move(a));
  }

  web::ApiOptions api_options;
  api_options.version = KILN_VERSION;
  api_options.models = models.get();
  api_options.knowledge = knowledge.get();
  api_options.agent = bots.get();
  api_options.upload_body_limit = static_cast<size_t>(options.upload_limit_mb) << 20;
  api_options.public_url = options.public_url;
  if (api_options.public_url.empty() && std::getenv("KILN_PUBLIC_URL") != nullptr) {
    api_options.public_url = std::getenv("KILN_PUBLIC_URL");
    while (api_options.public_url.ends_with("/")) api_options.public_url.pop_back();
  }
  web::Api api(store.get(), api_options);
  web::ServerOptions server_options;
  server_options.host = options.host;
  server_options.port = static_cast<uint16_t>(options.port);
  server_options.io_threads = options.io_threads;
  server_options.idle_timeout = std::chrono::seconds(options.idle_timeout_s);
  web::HttpServer server(server_options, &api);
  server.ShutdownOnSignals();
  KILN_RETURN_IF_ERROR(server.Start());
  if (!options.port_file.empty()) {
    std::string tmp = options.port_file + ".tmp";
    std::ofstream(tmp) << server.port() << "\n";
    std::filesystem::rename(tmp, options.port_file, ec);  // atomic: readers never see half
  }
  KILN_LOG(INFO) << "kiln " << KILN_VERSION << " listening on http://" << options.host << ":"
                 << server.port() << " (data: " << options.data_dir << ")";
  server.Wait();
  bots.reset();  // running turns finish before the models and knowledge go
  if (knowledge != nullptr) knowledge->Stop();
  KILN_LOG(INFO) << "stopped";
  return Status::OK();
}

}  // namespace
}  // namespace kiln::app

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = kiln::app::ParseCommandLine(args);
  if (!cmd.ok()) {
    std::cerr << "kiln: " << cmd.status().message() << "\n";
    return 2;
  }
  switch (cmd->kind) {
    case kiln::app::Command::Kind::kHelp:
      std::cout << kiln::app::HelpText();
      return 0;
    case kiln::app::Command::Kind::kVersion:
      std::cout << "kiln " << KILN_VERSION << "\n";
      return 0;
    case kiln::app::Command::Kind::kServe:
    case kiln::app::Command::Kind::kGenerate:
    case kiln::app::Command::Kind::kChat:
    case kiln::app::Command::Kind::kEmbed:
      break;
  }
  kiln::Status st;
  switch (cmd->kind) {
    case kiln::app::Command::Kind::kServe:
      st = kiln::app::Serve(cmd->serve);
      break;
    case kiln::app::Command::Kind::kGenerate:
      st = kiln::app::RunGenerate(cmd->llm);
      break;
    case kiln::app::Command::Kind::kChat:
      st = kiln::app::RunChat(cmd->llm);
      break;
    case kiln::app::Command::Kind::kEmbed:
      st = kiln::app::RunEmbed(cmd->llm);
      break;
    default:
      break;
  }
  if (!st.ok()) {
    std::cerr << "kiln: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
