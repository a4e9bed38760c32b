// The turn-bound built-in tools on a real store: variables the bot keeps per
// end user (only the names it declares), and the router's fallback when no
// embedding model is loaded.
#include "agent/agent_tools.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "agent/tool_router.h"
#include "base/sha256.h"

namespace kiln::agent {
namespace {

class AgentToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kiln_agent_tools_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    storage::SqliteOptions o;
    o.path = dir_ + "/kiln.db";
    auto store = storage::OpenSqliteStore(o);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    storage::ApiKey key;
    key.id = "key_1";
    key.workspace_id = "ws_1";
    key.name = "k";
    key.prefix = "kiln_x";
    ASSERT_TRUE(store_->keys().Create(key, Sha256Hex("s")).ok());
    storage::Bot bot;
    bot.id = "bot_1";
    bot.workspace_id = "ws_1";
    bot.config.name = "b";
    ASSERT_TRUE(store_->bots().Create(bot).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  TurnToolContext Context(const std::string& user) {
    TurnToolContext c;
    c.workspace_id = "ws_1";
    c.bot_id = "bot_1";
    c.user_id = user;
    c.variable_names = {"city", "diet"};
    c.store = store_.get();
    c.now = [] { return int64_t{100}; };
    return c;
  }
  static std::shared_ptr<plugins::Tool> Named(const plugins::ToolList& tools, const std::string& n) {
    for (const auto& t : tools) {
      if (t->spec().name == n) return t;
    }
    return nullptr;
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(AgentToolsTest, VariablesAreRememberedPerUser) {
  plugins::ToolList tools = AgentTools(Context("alice"));
  ASSERT_EQ(tools.size(), 2u);  // no knowledge: no knowledge_search
  auto set = Named(tools, "set_variable");
  auto get = Named(tools, "get_variable");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->spec().parameters["properties"]["name"]["enum"],
            nlohmann::json({"city", "diet"}));
  ASSERT_TRUE(set->Invoke({{"name", "city"}, {"value", "Berlin"}}, {}).ok());
  EXPECT_EQ(get->Invoke({{"name", "city"}}, {})->output, "Berlin");
  EXPECT_EQ(store_->memories().Get("bot_1", "alice")->at("city"), "Berlin");
  // Another user has their own.
  EXPECT_EQ(Named(AgentTools(Context("bob")), "get_variable")->Invoke({{"name", "city"}}, {})->output,
            "(nothing remembered)");
  // Only declared names, and strings.
  EXPECT_EQ(set->Invoke({{"name", "persona"}, {"value", "PWNED"}}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(set->Invoke({{"name", "city"}, {"value", 3}}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(set->Invoke({{"name", "city"}, {"value", std::string(3000, 'x')}}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->memories().Get("bot_1", "alice")->count("persona") == 0);
}

TEST_F(AgentToolsTest, NoVariablesNoTools) {
  TurnToolContext c = Context("alice");
  c.variable_names.clear();
  EXPECT_TRUE(AgentTools(c).empty());
}

TEST_F(AgentToolsTest, RouterWithoutAnEmbedderGoesByName) {
  ToolRouter router(nullptr);
  plugins::ToolList tools = AgentTools(Context("alice"));
  auto chosen = router.Route("please set_variable for me", tools);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(tools[chosen[0].tool]->spec().name, "set_variable");
  EXPECT_EQ(router.Route("use get variable", tools).size(), 1u);
  EXPECT_TRUE(router.Route("reset variables", tools).empty());  // "set" inside a word
  EXPECT_TRUE(router.Route("hello", tools).empty());
}

}  // namespace
}  // namespace kiln::agent
