// The bots and keys APIs over HTTP against the real server and database.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/web/server_process.h"
#include "tests/web/test_client.h"

namespace kiln::testing {
namespace {

using nlohmann::json;
constexpr const char* kAdmin = ServerProcess::kAdminKey;

std::string NewKey(int port, const std::string& workspace) {
  auto r =
      Http(port, "POST", "/v1/keys", json{{"name", "k"}, {"workspace", workspace}}.dump(), kAdmin);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json()["key"];
}

TEST(BotsApi, CreateReadUpdateDelete) {
  ServerProcess server;
  int port = server.port();
  json bot = {
      {"name", "旅行助手"},
      {"description", "Plans trips 🚄"},
      {"persona", "You are {{tone}}. 你好"},
      {"model_params", {{"temperature", 0.2}}},
      {"suggested_questions", {"去哪里玩?"}},
      {"variables", {{{"name", "tone"}, {"description", "voice"}, {"default", "cheerful"}}}},
      {"follow_up", true}};
  auto created = Http(port, "POST", "/v1/bots", bot.dump(), kAdmin);
  ASSERT_EQ(created.status, 201) << created.body;
  json c = created.Json();
  std::string id = c["id"];
  EXPECT_EQ(c["object"], "bot");
  EXPECT_EQ(c["name"], "旅行助手");
  EXPECT_EQ(c["model_params"]["temperature"], 0.2);
  EXPECT_EQ(c["model_params"]["top_p"], 0.9) << "unset params take defaults";
  EXPECT_EQ(c["variables"][0]["default"], "cheerful");
  EXPECT_EQ(c["published_version"], nullptr);
  EXPECT_GT(c["created_at"].get<int64_t>(), 1700000000);

  auto got = Http(port, "GET", "/v1/bots/" + id, "", kAdmin);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.Json(), c);

  auto patched = Http(port, "PATCH", "/v1/bots/" + id,
                      R"({"description": "new", "model_params": {"top_p": 0.5}})", kAdmin);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["description"], "new");
  EXPECT_EQ(patched.Json()["model_params"]["temperature"], 0.2) << "merge keeps other params";
  EXPECT_EQ(patched.Json()["model_params"]["top_p"], 0.5);
  EXPECT_EQ(patched.Json()["name"], "旅行助手");

  auto bad = Http(port, "PATCH", "/v1/bots/" + id, R"({"history_turns": 1000})", kAdmin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["error"]["param"], "history_turns");

  EXPECT_EQ(Http(port, "DELETE", "/v1/bots/" + id, "", kAdmin).Json()["deleted"], true);
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id, "", kAdmin).status, 404);
  EXPECT_EQ(Http(port, "DELETE", "/v1/bots/" + id, "", kAdmin).status, 404);
}

TEST(BotsApi, WorkspacesAreIsolated) {
  ServerProcess server;
  int port = server.port();
  std::string alice = NewKey(port, "alice");
  std::string bob = NewKey(port, "bob");
  std::string id = Http(port, "POST", "/v1/bots", R"({"name": "alice's"})", alice).Json()["id"];
  // Bob sees nothing of it: 404, never 403, on every route.
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id, "", bob).status, 404);
  EXPECT_EQ(Http(port, "PATCH", "/v1/bots/" + id, R"({"name": "mine"})", bob).status, 404);
  EXPECT_EQ(Http(port, "POST", "/v1/bots/" + id + "/publish", "", bob).status, 404);
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id + "/versions", "", bob).status, 404);
  EXPECT_EQ(Http(port, "DELETE", "/v1/bots/" + id, "", bob).status, 404);
  EXPECT_EQ(Http(port, "GET", "/v1/bots", "", bob).Json()["data"].size(), 0u);
  EXPECT_EQ(Http(port, "GET", "/v1/bots", "", kAdmin).Json()["data"].size(), 0u)
      << "the admin key has its own workspace too";
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id, "", alice).Json()["name"], "alice's");
}

TEST(BotsApi, PaginationAndSearch) {
  ServerProcess server;
  int port = server.port();
  for (int i = 0; i < 45; ++i) {
    std::string name = (i % 3 == 0 ? "Sales bot " : "Support bot ") + std::to_string(i);
    ASSERT_EQ(Http(port, "POST", "/v1/bots", json{{"name", name}}.dump(), kAdmin).status, 201);
  }
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    std::string target = "/v1/bots?limit=20" + (cursor.empty() ? "" : "&cursor=" + cursor);
    json page = Http(port, "GET", target, "", kAdmin).Json();
    ++pages;
    for (auto& b : page["data"]) EXPECT_TRUE(seen.insert(b["id"].get<std::string>()).second);
    if (!page["has_more"].get<bool>()) {
      EXPECT_EQ(page["next_cursor"], nullptr);
      break;
    }
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 45u);
  json first = Http(port, "GET", "/v1/bots?limit=1", "", kAdmin).Json();
  EXPECT_EQ(first["data"][0]["name"], "Support bot 44") << "newest first";
  json sales = Http(port, "GET", "/v1/bots?limit=100&q=sales", "", kAdmin).Json();
  EXPECT_EQ(sales["data"].size(), 15u);
}

TEST(BotsApi, PublishFreezesNumberedVersions) {
  ServerProcess server;
  int port = server.port();
  std::string id =
      Http(port, "POST", "/v1/bots", R"({"name": "v", "persona": "one"})", kAdmin).Json()["id"];
  auto v1 = Http(port, "POST", "/v1/bots/" + id + "/publish", R"({"note": "first"})", kAdmin);
  ASSERT_EQ(v1.status, 201) << v1.body;
  EXPECT_EQ(v1.Json()["version"], 1);
  Http(port, "PATCH", "/v1/bots/" + id, R"({"persona": "two"})", kAdmin);
  auto v2 = Http(port, "POST", "/v1/bots/" + id + "/publish", "", kAdmin);
  EXPECT_EQ(v2.Json()["version"], 2);
  Http(port, "PATCH", "/v1/bots/" + id, R"j({"persona": "three (draft)"})j", kAdmin);

  EXPECT_EQ(
      Http(port, "GET", "/v1/bots/" + id + "/versions/1", "", kAdmin).Json()["config"]["persona"],
      "one");
  EXPECT_EQ(
      Http(port, "GET", "/v1/bots/" + id + "/versions/2", "", kAdmin).Json()["config"]["persona"],
      "two");
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id + "/versions/3", "", kAdmin).status, 404);
  EXPECT_EQ(Http(port, "GET", "/v1/bots/" + id + "/versions/abc", "", kAdmin).status, 404);
  json bot = Http(port, "GET", "/v1/bots/" + id, "", kAdmin).Json();
  EXPECT_EQ(bot["published_version"], 2);
  EXPECT_EQ(bot["persona"], "three (draft)");
  json list = Http(port, "GET", "/v1/bots/" + id + "/versions", "", kAdmin).Json();
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][0]["version"], 2);
  EXPECT_EQ(list["data"][1]["note"], "first");
}

TEST(BotsApi, ConcurrentWritesAllLand) {
  ServerProcess server;
  int port = server.port();
  std::string id = Http(port, "POST", "/v1/bots", R"({"name": "shared"})", kAdmin).Json()["id"];
  std::atomic<int> created{0}, patched{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpConnection conn(port);
      for (int i = 0; i < 25; ++i) {
        auto c = conn.Request("POST", "/v1/bots", json{{"name", "t" + std::to_string(t)}}.dump(),
                              kAdmin);
        (c.status == 201 ? created : failed)++;
        // Everyone appends to the same bot's questions: none may be lost.
        auto p = conn.Request(
            "PATCH", "/v1/bots/" + id,
            json{{"description", "t" + std::to_string(t) + "-" + std::to_string(i)}}.dump(),
            kAdmin);
        (p.status == 200 ? patched : failed)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 200);
  EXPECT_EQ(patched.load(), 200);
  size_t total = 0;
  std::string cursor;
  for (;;) {
    json page = Http(port, "GET",
                     "/v1/bots?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor), "", kAdmin)
                    .Json();
    total += page["data"].size();
    if (!page["has_more"].get<bool>()) break;
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(total, 201u);
}

TEST(BotsApi, RestartKeepsData) {
  ServerProcess server;
  std::string key = NewKey(server.port(), "keep");
  std::string id =
      Http(server.port(), "POST", "/v1/bots", R"({"name": "persistent 持久"})", key).Json()["id"];
  Http(server.port(), "POST", "/v1/bots/" + id + "/publish", "", key);
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  auto got = Http(server.port(), "GET", "/v1/bots/" + id, "", key);
  ASSERT_EQ(got.status, 200) << "keys and bots survive a restart";
  EXPECT_EQ(got.Json()["name"], "persistent 持久");
  EXPECT_EQ(got.Json()["published_version"], 1);
}

}  // namespace
}  // namespace kiln::testing
