// Channels through the SQLite store: a bot's channels within its workspace,
// write-only secrets kept as given, event dedup that survives a restart and
// holds under concurrent deliveries, pruning, the delivery log, and cascades
// when a bot or channel is deleted.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::CreateWorkspace;
using testing::MakeBot;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

class ChannelRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    if (store_->bots().Get("ws_1", "bot_a").ok()) return;
    CreateWorkspace(*store_, "ws_1");
    CreateWorkspace(*store_, "ws_2");
    ASSERT_TRUE(store_->bots().Create(MakeBot("ws_1", "bot_a")).ok());
    ASSERT_TRUE(store_->bots().Create(MakeBot("ws_1", "bot_b")).ok());
    ASSERT_TRUE(store_->bots().Create(MakeBot("ws_2", "bot_z")).ok());
  }
  ChannelRepository& repo() { return store_->channels(); }

  static Channel Chan(const std::string& id, const std::string& bot, const std::string& type,
                      const std::string& ws = "ws_1") {
    Channel c;
    c.id = id;
    c.workspace_id = ws;
    c.bot_id = bot;
    c.type = type;
    c.secrets = R"({"bot_token": "123:abc", "secret_token": "s3cret"})";
    c.created_at = c.updated_at = 100;
    return c;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ChannelRepositoryTest, ChannelsBelongToABotOfTheWorkspace) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "telegram")).ok());
  ASSERT_TRUE(repo().Create(Chan("chn_2", "bot_a", "slack")).ok());
  ASSERT_TRUE(repo().Create(Chan("chn_3", "bot_b", "line")).ok());
  // Another workspace's bot, or none, is not found.
  EXPECT_EQ(repo().Create(Chan("chn_4", "bot_z", "line")).code(), StatusCode::kNotFound);
  EXPECT_EQ(repo().Create(Chan("chn_5", "bot_nope", "line")).code(), StatusCode::kNotFound);
  // An unknown type is refused by the schema.
  EXPECT_FALSE(repo().Create(Chan("chn_6", "bot_a", "myspace")).ok());

  auto got = repo().Get("ws_1", "chn_1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->type, "telegram");
  EXPECT_EQ(got->secrets, R"({"bot_token": "123:abc", "secret_token": "s3cret"})");
  EXPECT_TRUE(got->enabled);
  EXPECT_EQ(repo().Get("ws_2", "chn_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repo().Get("", "chn_1").status().code(), StatusCode::kNotFound);
  auto found = repo().Find("chn_1");  // inbound: by id alone
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->workspace_id, "ws_1");

  ListOptions page;
  page.limit = 1;
  auto first = repo().ListForBot("ws_1", "bot_a", page);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].id, "chn_2");  // newest first
  ASSERT_TRUE(first->has_more);
  page.cursor = first->next_cursor;
  auto second = repo().ListForBot("ws_1", "bot_a", page);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].id, "chn_1");
  EXPECT_FALSE(second->has_more);
  EXPECT_TRUE(repo().ListForBot("ws_2", "bot_a", {}).value().items.empty());
}

TEST_F(ChannelRepositoryTest, ModifyAndDelete) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "webhook")).ok());
  auto changed = repo().Modify("ws_1", "chn_1", [](Channel& c) {
    c.enabled = false;
    c.api_base_url = "http://127.0.0.1:9";
    c.secrets = R"({"secret": "new"})";
    c.updated_at = 200;
    return Status::OK();
  });
  ASSERT_TRUE(changed.ok());
  auto got = repo().Get("ws_1", "chn_1");
  EXPECT_FALSE(got->enabled);
  EXPECT_EQ(got->api_base_url, "http://127.0.0.1:9");
  EXPECT_EQ(got->secrets, R"({"secret": "new"})");
  EXPECT_EQ(got->updated_at, 200);
  // A refusal changes nothing.
  auto refused = repo().Modify("ws_1", "chn_1", [](Channel& c) {
    c.enabled = true;
    return InvalidArgument("no", "config");
  });
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(repo().Get("ws_1", "chn_1")->enabled);
  EXPECT_EQ(repo().Modify("ws_2", "chn_1", [](Channel&) { return Status::OK(); }).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(repo().Delete("ws_2", "chn_1").code(), StatusCode::kNotFound);
  ASSERT_TRUE(repo().Delete("ws_1", "chn_1").ok());
  EXPECT_EQ(repo().Find("chn_1").status().code(), StatusCode::kNotFound);
}

TEST_F(ChannelRepositoryTest, AnEventIsTakenOnceEvenAcrossARestart) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "telegram")).ok());
  ASSERT_TRUE(repo().Create(Chan("chn_2", "bot_a", "slack")).ok());
  EXPECT_TRUE(repo().RecordEvent("chn_1", "update:1001", 100).value());
  EXPECT_FALSE(repo().RecordEvent("chn_1", "update:1001", 101).value());
  EXPECT_TRUE(repo().RecordEvent("chn_2", "update:1001", 101).value());  // per channel
  EXPECT_EQ(repo().RecordEvent("chn_1", "", 101).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(repo().RecordEvent("chn_nope", "e", 101).status().code(), StatusCode::kNotFound);
  store_.reset();
  Open();
  EXPECT_FALSE(repo().RecordEvent("chn_1", "update:1001", 500).value());
  // Pruned events are forgotten; newer ones are kept.
  EXPECT_TRUE(repo().RecordEvent("chn_1", "update:1002", 600).value());
  EXPECT_EQ(repo().PruneEvents(550).value(), 2);
  EXPECT_TRUE(repo().RecordEvent("chn_1", "update:1001", 700).value());
  EXPECT_FALSE(repo().RecordEvent("chn_1", "update:1002", 700).value());
  // One forgotten event (it could not be queued) is taken again.
  ASSERT_TRUE(repo().ForgetEvent("chn_1", "update:1002").ok());
  EXPECT_TRUE(repo().RecordEvent("chn_1", "update:1002", 800).value());
  EXPECT_FALSE(repo().RecordEvent("chn_1", "update:1001", 800).value());
}

TEST_F(ChannelRepositoryTest, ConcurrentDeliveriesOfTheSameEventsAreTakenOnceEach) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "discord")).ok());
  std::atomic<int> taken{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto r = repo().RecordEvent("chn_1", "evt_" + std::to_string(i), 100);
        if (!r.ok())
          errors++;
        else if (*r)
          taken++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(taken.load(), 100);
}

TEST_F(ChannelRepositoryTest, TheDeliveryLogPagesNewestFirst) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "line")).ok());
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ChannelDelivery d;
    d.channel_id = "chn_1";
    d.event_id = "evt_" + std::to_string(i);
    d.target = "U123";
    d.created_at = d.updated_at = 100 + i;
    auto id = repo().AddDelivery(d);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.push_back(*id);
  }
  EXPECT_LT(ids[0], ids[1]);
  ChannelDelivery failed;
  failed.id = ids[1];
  failed.status = "failed";
  failed.attempts = 5;
  failed.http_status = 503;
  failed.last_error = "503 Service Unavailable after 5 attempts";
  failed.updated_at = 300;
  ASSERT_TRUE(repo().UpdateDelivery(failed).ok());
  failed.id = 999999;
  EXPECT_EQ(repo().UpdateDelivery(failed).code(), StatusCode::kNotFound);
  ChannelDelivery orphan;
  orphan.channel_id = "chn_nope";
  EXPECT_EQ(repo().AddDelivery(orphan).status().code(), StatusCode::kNotFound);

  ListOptions page;
  page.limit = 2;
  auto first = repo().ListDeliveries("chn_1", page);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].event_id, "evt_2");
  EXPECT_EQ(first->items[1].status, "failed");
  EXPECT_EQ(first->items[1].attempts, 5);
  EXPECT_EQ(first->items[1].http_status, 503);
  EXPECT_EQ(first->items[1].last_error, "503 Service Unavailable after 5 attempts");
  ASSERT_TRUE(first->has_more);
  page.cursor = first->next_cursor;
  auto second = repo().ListDeliveries("chn_1", page);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].event_id, "evt_0");
  EXPECT_EQ(second->items[0].status, "pending");
  page.cursor = "1; DROP TABLE channels";
  auto bad = repo().ListDeliveries("chn_1", page);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().param(), "cursor");
}

TEST_F(ChannelRepositoryTest, DeletingTheBotRemovesItsChannelsEventsAndDeliveries) {
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_a", "feishu")).ok());
  ASSERT_TRUE(repo().RecordEvent("chn_1", "evt", 100).ok());
  ChannelDelivery d;
  d.channel_id = "chn_1";
  ASSERT_TRUE(repo().AddDelivery(d).ok());
  ASSERT_TRUE(store_->bots().Delete("ws_1", "bot_a").ok());
  EXPECT_EQ(repo().Find("chn_1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(repo().ListDeliveries("chn_1", {}).value().items.empty());
  // The same ids on a new channel start afresh.
  ASSERT_TRUE(repo().Create(Chan("chn_1", "bot_b", "feishu")).ok());
  EXPECT_TRUE(repo().RecordEvent("chn_1", "evt", 200).value());
}

}  // namespace
}  // namespace kiln::storage
