// Many threads on one store: writes serialize without errors, reads run
// alongside them, and optimistic concurrency never loses an update.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::CreateWorkspace;
using testing::MakeBot;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

constexpr int kThreads = 8;
constexpr int kBotsPerThread = 50;

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    CreateWorkspace(*store_, "ws_a");
  }
  std::vector<std::string> AllIds() {
    std::vector<std::string> ids;
    ListOptions options{.limit = 100, .cursor = {}};
    while (true) {
      Result<Page<Bot>> page = store_->bots().List("ws_a", options);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const Bot& bot : page->items) ids.push_back(bot.id);
      if (!page->has_more) break;
      options.cursor = page->next_cursor;
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ConcurrencyTest, ParallelCreatesAndUpdatesAllLand) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBotsPerThread; ++i) {
        std::string id = "bot_t" + std::to_string(t) + "_" + std::to_string(i);
        if (!store_->bots().Create(MakeBot("ws_a", id)).ok()) ++failures;
        Result<Bot> bot = store_->bots().Get("ws_a", id);
        if (!bot.ok()) {
          ++failures;
          continue;
        }
        bot->config.name = "updated " + id;
        if (!store_->bots().Update(*bot).ok()) ++failures;
        if (i % 10 == 0 && !store_->bots().Publish("ws_a", id, "", 1).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  std::vector<std::string> ids = AllIds();
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kBotsPerThread));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (const std::string& id : ids) {
    Result<Bot> bot = store_->bots().Get("ws_a", id);
    ASSERT_TRUE(bot.ok()) << id;
    EXPECT_EQ(bot->revision, 2) << id;
    EXPECT_EQ(bot->config.name, "updated " + id);
  }
}

TEST_F(ConcurrencyTest, ReadsSucceedWhileWriting) {
  ASSERT_TRUE(store_->bots().Create(MakeBot("ws_a", "bot_fixed", "fixed")).ok());
  std::atomic<bool> writing{true};
  std::atomic<int> read_failures{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      size_t last_count = 0;
      while (writing.load()) {
        Result<Bot> bot = store_->bots().Get("ws_a", "bot_fixed");
        if (!bot.ok() || bot->config.name != "fixed") ++read_failures;
        Result<Page<Bot>> page =
            store_->bots().List("ws_a", ListOptions{.limit = 100, .cursor = {}});
        if (!page.ok()) ++read_failures;
        // A later read never sees fewer bots: each read has a fresh snapshot.
        size_t count = page.ok() ? page->items.size() : 0;
        if (count < last_count) ++read_failures;
        last_count = count;
        ++reads;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 40; ++i) {
        std::string id = "bot_w" + std::to_string(w) + "_" + std::to_string(i);
        EXPECT_TRUE(store_->bots().Create(MakeBot("ws_a", id)).ok());
      }
    });
  }
  for (std::thread& thread : writers) thread.join();
  writing = false;
  for (std::thread& thread : readers) thread.join();
  EXPECT_EQ(read_failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(AllIds().size(), 161u);
}

TEST_F(ConcurrencyTest, ContendedUpdatesRetryWithoutLosingAny) {
  ASSERT_TRUE(store_->bots().Create(MakeBot("ws_a", "bot_hot")).ok());
  constexpr int kUpdatesPerThread = 20;
  std::atomic<int> conflicts{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < kUpdatesPerThread;) {
        Result<Bot> bot = store_->bots().Get("ws_a", "bot_hot");
        if (!bot.ok()) {
          ++errors;
          return;
        }
        bot->config.history_turns = bot->config.history_turns + 1;
        Result<Bot> updated = store_->bots().Update(*bot);
        if (updated.ok()) {
          ++done;
        } else if (updated.status().code() == StatusCode::kFailedPrecondition) {
          ++conflicts;  // someone else won; read again and retry
        } else {
          ++errors;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  Result<Bot> bot = store_->bots().Get("ws_a", "bot_hot");
  ASSERT_TRUE(bot.ok());
  EXPECT_EQ(bot->revision, 1 + kThreads * kUpdatesPerThread);
  // Every successful update added exactly one turn to what it read.
  EXPECT_EQ(bot->config.history_turns, 10 + kThreads * kUpdatesPerThread);
}

TEST_F(ConcurrencyTest, ModifyNeverLosesAConcurrentEdit) {
  // Regression: PATCH re-read and retried on revision conflicts, and with 8
  // writers on one bot a request could lose every retry (409).
  Bot original = MakeBot("ws_a", "bot_shared");
  ASSERT_TRUE(store_->bots().Create(original).ok());
  const size_t initial = original.config.suggested_questions.size();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBotsPerThread; ++i) {
        Result<Bot> bot = store_->bots().Modify("ws_a", "bot_shared", [&](Bot& b) {
          b.config.suggested_questions.push_back(std::to_string(t) + "/" + std::to_string(i));
          return Status::OK();
        });
        if (!bot.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  Result<Bot> bot = store_->bots().Get("ws_a", "bot_shared");
  ASSERT_TRUE(bot.ok());
  EXPECT_EQ(bot->config.suggested_questions.size(), initial + kThreads * kBotsPerThread);
  EXPECT_EQ(bot->revision, 1 + kThreads * kBotsPerThread);
}

TEST_F(ConcurrencyTest, ModifyRefusalChangesNothing) {
  ASSERT_TRUE(store_->bots().Create(MakeBot("ws_a", "bot_1")).ok());
  Result<Bot> refused = store_->bots().Modify("ws_a", "bot_1", [](Bot& b) {
    b.config.name = "changed";
    return InvalidArgument("no", "name");
  });
  EXPECT_EQ(refused.status().param(), "name");
  EXPECT_NE(store_->bots().Get("ws_a", "bot_1")->config.name, "changed");
  EXPECT_EQ(
      store_->bots().Modify("ws_b", "bot_1", [](Bot&) { return Status::OK(); }).status().code(),
      StatusCode::kNotFound)
      << "other workspaces' bots are not found";
}

}  // namespace
}  // namespace kiln::storage
