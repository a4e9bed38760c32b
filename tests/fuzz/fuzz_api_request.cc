// Whole requests through the API pipeline (routing, auth, query and body
// parsing, validation, handlers, a real SQLite store). Input format: the first
// line is "METHOD TARGET", the rest is the body. Every response must be a
// well-formed JSON error envelope or a success, never a 5xx.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "base/clock.h"
#include "base/log.h"
#include "storage/store.h"
#include "web/api.h"
#include "web/auth.h"

namespace {

constexpr const char* kKey = "kiln_fuzz_admin_key_000000000000000000000";

struct World {
  World() {
    kiln::SetLogLevel(kiln::LogLevel::kError);
    char tmpl[] = "/tmp/kiln-fuzz-XXXXXX";
    dir = ::mkdtemp(tmpl);
    kiln::storage::SqliteOptions options;
    options.path = dir + "/kiln.db";
    store = std::move(kiln::storage::OpenSqliteStore(options)).value();
    (void)kiln::web::BootstrapAdminKey(store->keys(), kKey, kiln::UnixSeconds()).value();
    api = std::make_unique<kiln::web::Api>(store.get(), kiln::web::ApiOptions{});
    // A bot to aim at, so that routes with {id} reach their handlers.
    kiln::web::Request req;
    req.method = "POST";
    req.path = "/v1/bots";
    req.body = R"({"name": "target"})";
    req.headers.emplace_back("authorization", std::string("Bearer ") + kKey);
    auto res = api->Handle(req);
    bot_id = nlohmann::json::parse(res.body)["id"];
  }
  std::string dir;
  std::unique_ptr<kiln::storage::Store> store;
  std::unique_ptr<kiln::web::Api> api;
  std::string bot_id;
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& world = TheWorld();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t eol = input.find('\n');
  std::string_view line = input.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  kiln::web::Request req;
  req.method = std::string(line.substr(0, space));
  req.target = std::string(line.substr(space + 1));
  // "@" in the target stands for the live bot's id.
  for (size_t at; (at = req.target.find('@')) != std::string::npos;) {
    req.target.replace(at, 1, world.bot_id);
  }
  if (!kiln::web::ParseTarget(req.target, &req.path, &req.query)) return 0;
  req.body = std::string(body);
  req.request_id = "req_fuzz";
  req.headers.emplace_back("authorization", std::string("Bearer ") + kKey);
  req.headers.emplace_back("content-type", "application/json");
  kiln::web::Response res = world.api->Handle(req);
  if (res.status >= 500) __builtin_trap();
  if (res.content_type == "application/json") {
    auto parsed = nlohmann::json::parse(res.body, nullptr, false);
    if (parsed.is_discarded()) __builtin_trap();
    if (res.status >= 400 && !parsed["error"]["code"].is_string()) __builtin_trap();
  }
  return 0;
}
