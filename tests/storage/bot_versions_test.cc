// Publishing: version numbering, frozen snapshots, version pagination, cascade.
#include <gtest/gtest.h>

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

class BotVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    CreateWorkspace(*store_, "ws_a");
    ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1", "Original")).ok());
  }
  BotRepository& bots() { return store_->bots(); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(BotVersionsTest, PublishNumbersVersionsFromOne) {
  for (int expected = 1; expected <= 3; ++expected) {
    Result<BotVersion> version =
        bots().Publish("ws_a", "bot_1", "release " + std::to_string(expected), 100 + expected);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(version->version, expected);
    EXPECT_EQ(version->bot_id, "bot_1");
    EXPECT_EQ(version->note, "release " + std::to_string(expected));
    EXPECT_EQ(version->created_at, 100 + expected);
  }
  Result<Bot> bot = bots().Get("ws_a", "bot_1");
  ASSERT_TRUE(bot.ok());
  EXPECT_EQ(bot->latest_version, 3);
  EXPECT_EQ(bot->revision, 1);  // publishing does not touch the draft
}

TEST_F(BotVersionsTest, SnapshotIsFrozen) {
  Bot draft = *bots().Get("ws_a", "bot_1");
  const BotConfig published = draft.config;
  ASSERT_TRUE(bots().Publish("ws_a", "bot_1", "first", 1).ok());

  draft.config.name = "Edited after publish";
  draft.config.persona = "新的人设 ✨";
  draft.config.variables.push_back({"extra", "", "x"});
  ASSERT_TRUE(bots().Update(draft).ok());

  Result<BotVersion> v1 = bots().GetVersion("ws_a", "bot_1", 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->config, published);
  EXPECT_EQ(v1->note, "first");

  Result<BotVersion> v2 = bots().Publish("ws_a", "bot_1", "second", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->config.persona, "新的人设 ✨");
  EXPECT_EQ(bots().GetVersion("ws_a", "bot_1", 2)->config, v2->config);
  EXPECT_EQ(bots().GetVersion("ws_a", "bot_1", 1)->config, published);
}

TEST_F(BotVersionsTest, MissingVersionIsNotFound) {
  EXPECT_EQ(bots().GetVersion("ws_a", "bot_1", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().GetVersion("ws_a", "bot_1", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bots().Publish("ws_a", "bot_nope", "", 1).status().code(), StatusCode::kNotFound);
}

TEST_F(BotVersionsTest, ListVersionsPaginatesHighestFirst) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(bots().Publish("ws_a", "bot_1", "", i).ok());
  std::vector<int> seen;
  ListOptions options{.limit = 3, .cursor = {}};
  int pages = 0;
  while (true) {
    Result<Page<BotVersion>> page = bots().ListVersions("ws_a", "bot_1", options);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (const BotVersion& v : page->items) seen.push_back(v.version);
    if (!page->has_more) break;
    EXPECT_EQ(page->next_cursor, std::to_string(page->items.back().version));
    options.cursor = page->next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<int>{7, 6, 5, 4, 3, 2, 1}));
}

TEST_F(BotVersionsTest, ListVersionsOfUnpublishedBotIsEmpty) {
  Result<Page<BotVersion>> page = bots().ListVersions("ws_a", "bot_1", {});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->has_more);
}

TEST_F(BotVersionsTest, MalformedCursorIsInvalidArgument) {
  for (const char* cursor : {"abc", "3x", "-1", "0", "", "99999999999999999999"}) {
    if (std::string(cursor).empty()) continue;  // empty means first page
    Result<Page<BotVersion>> page =
        bots().ListVersions("ws_a", "bot_1", ListOptions{.limit = 5, .cursor = cursor});
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << cursor;
    EXPECT_EQ(page.status().param(), "cursor") << cursor;
  }
}

TEST_F(BotVersionsTest, DeleteCascadesToVersions) {
  ASSERT_TRUE(bots().Publish("ws_a", "bot_1", "", 1).ok());
  ASSERT_TRUE(bots().Publish("ws_a", "bot_1", "", 2).ok());
  ASSERT_TRUE(bots().Delete("ws_a", "bot_1").ok());
  EXPECT_EQ(bots().GetVersion("ws_a", "bot_1", 1).status().code(), StatusCode::kNotFound);

  // A new bot with the same id starts from version 1 again: nothing was left behind.
  ASSERT_TRUE(bots().Create(MakeBot("ws_a", "bot_1")).ok());
  Result<Page<BotVersion>> page = bots().ListVersions("ws_a", "bot_1", {});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  Result<BotVersion> v = bots().Publish("ws_a", "bot_1", "", 3);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->version, 1);
}

}  // namespace
}  // namespace kiln::storage
