// Bots through the SQLite store: CRUD, workspace isolation, pagination,
// search and optimistic concurrency.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::CreateWorkspace;
using testing::MakeBot;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

class BotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    CreateWorkspace(*store_, "ws_a");
    CreateWorkspace(*store_, "ws_b");
  }
  BotRepository& bots() { return store_->bots(); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(BotStoreTest, CreateThenGetReturnsWhatWasStored) {
  Bot bot = MakeBot("ws_a", "bot_1", "厨师 Bot 🍜");
  bot.config.model_params.top_k = 3;
  bot.config.knowledge_ids = {"kb_1"};
  bot.config.follow_up = true;
  bot.revision = 42;       // ignored: a new bot starts at 1
  bot.latest_version = 9;  // ignored: a new bot is unpublished
  ASSERT_TRUE(bots().Create(bot).ok());

  Result<Bot> got = bots().Get("ws_a", "bot_1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, "bot_1");
  EXPECT_EQ(got->workspace_id, "ws_a");
  EXPECT_EQ(got->config, bot.config);
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->latest_version, 0);
  EXPECT_EQ(got->created_at, bot.created_at);
  EXPECT_EQ(got->updated_at, bot.updated_at);
}

TEST_F(BotStoreTest, DuplicateIdIsAlreadyExists) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  Status again = bots().Create(MakeBot("ws_a", "bot_1"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  // Even from another workspace: ids are global.
  EXPECT_EQ(bots().Create(MakeBot("ws_b", "bot_1")).code(), StatusCode::kAlreadyExists);
}

TEST_F(BotStoreTest, UnknownWorkspaceIsFailedPrecondition) {
  Status status = bots().Create(MakeBot("ws_missing", "bot_1"));
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_NE(status.message().find("ws_missing"), std::string::npos);
}

TEST_F(BotStoreTest, GetMissingIsNotFound) {
  EXPECT_EQ(bots().Get("ws_a", "bot_nope").status().code(), StatusCode::kNotFound);
}

TEST_F(BotStoreTest, UpdateReplacesDraftAndBumpsRevision) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  Bot bot = *bots().Get("ws_a", "bot_1");
  bot.config.name = "Renamed";
  bot.config.variables.clear();
  bot.updated_at = 1800000000;
  Result<Bot> updated = bots().Update(bot);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->revision, 2);
  EXPECT_EQ(updated->config, bot.config);
  EXPECT_EQ(updated->updated_at, 1800000000);
  EXPECT_EQ(updated->created_at, bot.created_at);

  Result<Bot> got = bots().Get("ws_a", "bot_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->config.name, "Renamed");
  EXPECT_EQ(got->revision, 2);
}

TEST_F(BotStoreTest, StaleRevisionIsFailedPrecondition) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  Bot first = *bots().Get("ws_a", "bot_1");
  Bot second = first;  // two editors read revision 1
  first.config.name = "first";
  second.config.name = "second";
  ASSERT_TRUE(bots().Update(first).ok());
  Result<Bot> lost = bots().Update(second);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition) << lost.status().ToString();
  EXPECT_EQ(bots().Get("ws_a", "bot_1")->config.name, "first");
}

TEST_F(BotStoreTest, UpdateOfMissingBotIsNotFound) {
  Bot bot = MakeBot("ws_a", "bot_gone");
  bot.revision = 1;
  EXPECT_EQ(bots().Update(bot).status().code(), StatusCode::kNotFound);
}

TEST_F(BotStoreTest, DeleteRemovesTheBot) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  ASSERT_TRUE(bots().Delete("ws_a", "bot_1").ok());
  EXPECT_EQ(bots().Get("ws_a", "bot_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().Delete("ws_a", "bot_1").code(), StatusCode::kNotFound);
}

TEST_F(BotStoreTest, OtherWorkspacesBotIsNotFoundEverywhere) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  ASSERT_TRUE(bots().Publish("ws_a", "bot_1", "v1", 1).ok());
  Bot intruder = *bots().Get("ws_a", "bot_1");
  intruder.workspace_id = "ws_b";
  intruder.config.name = "hijacked";

  EXPECT_EQ(bots().Get("ws_b", "bot_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().Update(intruder).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().Delete("ws_b", "bot_1").code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().Publish("ws_b", "bot_1", "", 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().GetVersion("ws_b", "bot_1", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().ListVersions("ws_b", "bot_1", {}).status().code(), StatusCode::kNotFound);
  Result<Page<Bot>> listed = bots().List("ws_b", {});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->items.empty());

  // And nothing changed for the owner.
  Result<Bot> owner = bots().Get("ws_a", "bot_1");
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->config.name, "Helper");
  EXPECT_EQ(owner->latest_version, 1);
}

std::string BotId(int i) {
  char id[32];
  std::snprintf(id, sizeof(id), "bot_%03d", i);
  return id;
}

TEST_F(BotStoreTest, PaginatesNewestFirstWithoutDuplicates) {
  for (int i = 0; i < 45; ++i) ASSERT_TRUE(bots().Create(MakeBot("ws_a", BotId(i))).ok());
  ASSERT_TRUE(bots().Create(MakeBot("ws_b", "bot_999")).ok());  // not in ws_a's pages

  std::vector<size_t> sizes;
  std::vector<std::string> seen;
  ListOptions options;
  while (true) {
    Result<Page<Bot>> page = bots().List("ws_a", options);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->items.size());
    for (const Bot& bot : page->items) seen.push_back(bot.id);
    if (!page->has_more) {
      EXPECT_TRUE(page->next_cursor.empty());
      break;
    }
    EXPECT_EQ(page->next_cursor, page->items.back().id);
    options.cursor = page->next_cursor;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{20, 20, 5}));
  ASSERT_EQ(seen.size(), 45u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 45u);
  for (int i = 0; i < 45; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], BotId(44 - i));
}

TEST_F(BotStoreTest, ExactlyFullPageHasNoMore) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bots().Create(MakeBot("ws_a", BotId(i))).ok());
  Result<Page<Bot>> page = bots().List("ws_a", {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 20u);
  EXPECT_FALSE(page->has_more);
}

TEST_F(BotStoreTest, LimitOutOfRangeIsInvalidArgument) {
  Result<Page<Bot>> page = bots().List("ws_a", ListOptions{.limit = 0, .cursor = {}});
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().param(), "limit");
}

TEST_F(BotStoreTest, NameQueryIsCaseInsensitiveSubstring) {
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1", "Cooking Helper")).ok());
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_2", "Travel planner")).ok());
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_3", "100% help_desk")).ok());
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_4", "中文助手")).ok());
  ASSERT_TRUE(bots().Create(MakeBot("ws_b", "bot_5", "Other helper")).ok());

  auto names = [&](std::string_view query) {
    std::vector<std::string> ids;
    Result<Page<Bot>> page = bots().List("ws_a", {}, query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const Bot& bot : page->items) ids.push_back(bot.id);
    }
    return ids;
  };
  EXPECT_EQ(names("HELP"), (std::vector<std::string>{"bot_3", "bot_1"}));
  EXPECT_EQ(names("planner"), (std::vector<std::string>{"bot_2"}));
  // LIKE wildcards are plain characters here.
  EXPECT_EQ(names("%"), (std::vector<std::string>{"bot_3"}));
  EXPECT_EQ(names("_"), (std::vector<std::string>{"bot_3"}));
  EXPECT_EQ(names("助手"), (std::vector<std::string>{"bot_4"}));
  EXPECT_TRUE(names("nothing like it").empty());
}

TEST_F(BotStoreTest, NameQueryPaginates) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(bots().Create(MakeBot("ws_a", BotId(i), i % 2 ? "odd one" : "even one")).ok());
  }
  Result<Page<Bot>> first = bots().List("ws_a", ListOptions{.limit = 10, .cursor = {}}, "ODD");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 10u);
  ASSERT_TRUE(first->has_more);
  Result<Page<Bot>> second =
      bots().List("ws_a", ListOptions{.limit = 10, .cursor = first->next_cursor}, "ODD");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 5u);
  EXPECT_FALSE(second->has_more);
  EXPECT_EQ(second->items.back().id, BotId(1));
}

}  // namespace
}  // namespace kiln::storage
