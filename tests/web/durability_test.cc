// kill -9 in the middle of a burst of writes loses no acknowledged write.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/web/server_process.h"
#include "tests/web/test_client.h"

namespace kiln::testing {
namespace {

using nlohmann::json;

TEST(Durability, KillNineLosesNoAcknowledgedWrite) {
  ServerProcess server;
  int port = server.port();
  std::mutex mu;
  std::vector<std::string> acknowledged;  // GUARDED_BY(mu)
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      HttpConnection conn(port);
      for (int i = 0; !stop; ++i) {
        auto r = conn.Request(
            "POST", "/v1/bots",
            json{{"name", "burst " + std::to_string(t) + "/" + std::to_string(i)}}.dump(),
            ServerProcess::kAdminKey);
        if (r.status != 201) break;  // the server is gone
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.push_back(r.Json()["id"]);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server.Kill();
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(acknowledged.size(), 20u) << "the burst should have written something";

  ASSERT_TRUE(server.Start());
  for (const std::string& id : acknowledged) {
    auto r = Http(server.port(), "GET", "/v1/bots/" + id, "", ServerProcess::kAdminKey);
    ASSERT_EQ(r.status, 200) << "acknowledged bot " << id << " was lost";
  }
}

}  // namespace
}  // namespace kiln::testing
