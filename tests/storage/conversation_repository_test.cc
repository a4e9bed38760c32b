// Conversations, their messages (a turn at a time), long-term memory and
// plugins through the SQLite store: ordering, pagination, titles, workspace
// isolation, cascades when a conversation or bot is deleted, and limits.
#include <gtest/gtest.h>

#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::CreateWorkspace;
using testing::MakeBot;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

class ConversationRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    CreateWorkspace(*store_, "ws_1");
    CreateWorkspace(*store_, "ws_2");
    ASSERT_TRUE(store_->bots().Create(MakeBot("ws_1", "bot_a")).ok());
    ASSERT_TRUE(store_->bots().Create(MakeBot("ws_1", "bot_b")).ok());
  }
  ConversationRepository& repo() { return store_->conversations(); }

  Conversation Conv(const std::string& id, const std::string& bot, const std::string& user) {
    Conversation c;
    c.id = id;
    c.workspace_id = "ws_1";
    c.bot_id = bot;
    c.user_id = user;
    c.created_at = c.updated_at = 100;
    return c;
  }
  static Message Msg(const std::string& id, const std::string& role, const std::string& text) {
    Message m;
    m.id = id;
    m.role = role;
    m.content = text;
    return m;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ConversationRepositoryTest, TurnsAreStoredInOrderWithATitle) {
  ASSERT_TRUE(repo().Create(Conv("conv_1", "bot_a", "u1")).ok());
  std::vector<Message> turn = {Msg("msg_1", "user", "截至今年4月底国内推出了多少个大模型？\nmore"),
                               Msg("msg_2", "assistant", "305 个。")};
  ASSERT_TRUE(repo().AppendMessages("ws_1", "conv_1", turn, 200).ok());
  EXPECT_EQ(turn[0].seq, 1);
  EXPECT_EQ(turn[1].seq, 2);
  std::vector<Message> second = {Msg("msg_3", "user", "谢谢"), Msg("msg_4", "assistant", "不客气")};
  second[1].trace = R"({"tool_calls": []})";
  ASSERT_TRUE(repo().AppendMessages("ws_1", "conv_1", second, 300).ok());
  auto c = repo().Get("ws_1", "conv_1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->title, "截至今年4月底国内推出了多少个大模型？");  // first line of the first message
  EXPECT_EQ(c->message_count, 4);
  EXPECT_EQ(c->updated_at, 300);
  auto recent = repo().RecentMessages("conv_1", 3);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ((*recent)[0].id, "msg_2");
  EXPECT_EQ((*recent)[2].trace, R"({"tool_calls": []})");
  // Pages, oldest first.
  ListOptions page;
  page.limit = 3;
  auto first = repo().ListMessages("ws_1", "conv_1", page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 3u);
  EXPECT_TRUE(first->has_more);
  page.cursor = first->next_cursor;
  auto rest = repo().ListMessages("ws_1", "conv_1", page);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].id, "msg_4");
  EXPECT_FALSE(rest->has_more);
  page.cursor = "x'; DROP";
  EXPECT_EQ(repo().ListMessages("ws_1", "conv_1", page).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ConversationRepositoryTest, LongTitlesAreCutOnACharacterBoundary) {
  ASSERT_TRUE(repo().Create(Conv("conv_1", "bot_a", "u1")).ok());
  std::string text;
  for (int i = 0; i < 100; ++i) text += "模";
  std::vector<Message> turn = {Msg("msg_1", "user", text)};
  ASSERT_TRUE(repo().AppendMessages("ws_1", "conv_1", turn, 200).ok());
  EXPECT_EQ(repo().Get("ws_1", "conv_1")->title.size(), 60u * 3);
}

TEST_F(ConversationRepositoryTest, ListsFilterByBotAndUserAndStayInTheirWorkspace) {
  ASSERT_TRUE(repo().Create(Conv("conv_1", "bot_a", "u1")).ok());
  ASSERT_TRUE(repo().Create(Conv("conv_2", "bot_a", "u2")).ok());
  ASSERT_TRUE(repo().Create(Conv("conv_3", "bot_b", "u1")).ok());
  ListOptions all;
  auto a = repo().List("ws_1", "bot_a", "", all);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->items.size(), 2u);
  EXPECT_EQ(a->items[0].id, "conv_2");  // newest first
  EXPECT_EQ(repo().List("ws_1", "", "u1", all)->items.size(), 2u);
  EXPECT_EQ(repo().List("ws_1", "", "", all)->items.size(), 3u);
  EXPECT_TRUE(repo().List("ws_2", "", "", all)->items.empty());
  EXPECT_EQ(repo().Get("ws_2", "conv_1").status().code(), StatusCode::kNotFound);
  std::vector<Message> turn = {Msg("msg_x", "user", "hi")};
  EXPECT_EQ(repo().AppendMessages("ws_2", "conv_1", turn, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(repo().Delete("ws_2", "conv_1").code(), StatusCode::kNotFound);
  // A bot of another workspace cannot be talked to.
  Conversation other = Conv("conv_4", "bot_a", "u1");
  other.workspace_id = "ws_2";
  EXPECT_EQ(repo().Create(other).code(), StatusCode::kNotFound);
}

TEST_F(ConversationRepositoryTest, DeletesCascade) {
  ASSERT_TRUE(repo().Create(Conv("conv_1", "bot_a", "u1")).ok());
  ASSERT_TRUE(repo().Create(Conv("conv_2", "bot_b", "u1")).ok());
  std::vector<Message> turn = {Msg("msg_1", "user", "hi"), Msg("msg_2", "assistant", "hello")};
  ASSERT_TRUE(repo().AppendMessages("ws_1", "conv_1", turn, 2).ok());
  ASSERT_TRUE(repo().Delete("ws_1", "conv_1").ok());
  EXPECT_EQ(repo().Get("ws_1", "conv_1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(repo().RecentMessages("conv_1", 10)->empty());
  // Message ids are free again only because their rows are gone.
  std::vector<Message> again = {Msg("msg_1", "user", "hi")};
  ASSERT_TRUE(repo().AppendMessages("ws_1", "conv_2", again, 3).ok());
  ASSERT_TRUE(store_->memories().Set("bot_b", "u1", "city", "Paris", 5).ok());
  ASSERT_TRUE(store_->bots().Delete("ws_1", "bot_b").ok());
  EXPECT_EQ(repo().Get("ws_1", "conv_2").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->memories().Get("bot_b", "u1")->empty());
}

TEST_F(ConversationRepositoryTest, MemoryIsPerBotAndUserWithALimit) {
  MemoryRepository& mem = store_->memories();
  ASSERT_TRUE(mem.Set("bot_a", "u1", "city", "Paris", 1).ok());
  ASSERT_TRUE(mem.Set("bot_a", "u1", "city", "上海", 2).ok());  // replaced
  ASSERT_TRUE(mem.Set("bot_a", "u2", "city", "Oslo", 2).ok());
  auto u1 = mem.Get("bot_a", "u1");
  ASSERT_TRUE(u1.ok());
  EXPECT_EQ(*u1, (std::map<std::string, std::string>{{"city", "上海"}}));
  EXPECT_TRUE(mem.Get("bot_b", "u1")->empty());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(mem.Set("bot_b", "u1", "k" + std::to_string(i), "v", 1, 3).ok());
  EXPECT_EQ(mem.Set("bot_b", "u1", "k3", "v", 1, 3).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(mem.Set("bot_b", "u1", "k0", "new", 1, 3).ok());  // replacing is no new entry
  ASSERT_TRUE(mem.Erase("bot_b", "u1", "k0").ok());
  EXPECT_EQ(mem.Get("bot_b", "u1")->size(), 2u);
  EXPECT_EQ(mem.Set("bot_zzz", "u1", "k", "v", 1).code(), StatusCode::kNotFound);
}

TEST_F(ConversationRepositoryTest, PluginsHaveUniqueNamesPerWorkspace) {
  PluginRepository& plugins = store_->plugins();
  Plugin p;
  p.id = "plg_1";
  p.workspace_id = "ws_1";
  p.kind = "openapi";
  p.name = "weather";
  p.config = R"({"spec": {"openapi": "3.1.0"}})";
  p.secrets = R"({"token": "s3cret"})";
  ASSERT_TRUE(plugins.Create(p).ok());
  Plugin same = p;
  same.id = "plg_2";
  EXPECT_EQ(plugins.Create(same).code(), StatusCode::kAlreadyExists);
  same.workspace_id = "ws_2";
  EXPECT_TRUE(plugins.Create(same).ok());  // another workspace may use the name
  auto got = plugins.Get("ws_1", "plg_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->secrets, R"({"token": "s3cret"})");
  EXPECT_EQ(plugins.Get("ws_2", "plg_1").status().code(), StatusCode::kNotFound);
  auto changed = plugins.Modify("ws_1", "plg_1", [](Plugin& q) {
    q.tools = R"([{"name": "get_weather"}])";
    q.updated_at = 9;
    return Status::OK();
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(plugins.Get("ws_1", "plg_1")->tools, R"([{"name": "get_weather"}])");
  EXPECT_EQ(plugins.List("ws_1", {})->items.size(), 1u);
  ASSERT_TRUE(plugins.Delete("ws_1", "plg_1").ok());
  EXPECT_EQ(plugins.Delete("ws_1", "plg_1").code(), StatusCode::kNotFound);
  // Stored JSON must be JSON.
  Plugin bad = p;
  bad.id = "plg_3";
  bad.name = "bad";
  bad.config = "not json";
  EXPECT_FALSE(plugins.Create(bad).ok());
}

}  // namespace
}  // namespace kiln::storage
