// API keys: create, find by secret hash, revoke, admin count.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::MakeBot;
using testing::MakeKey;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::SecretHash;
using testing::TempDir;

class KeyRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
  }
  KeyRepository& keys() { return store_->keys(); }
  Status Create(const std::string& workspace, const std::string& id, bool admin = false) {
    return keys().Create(MakeKey(workspace, id, admin), SecretHash(id));
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(KeyRepositoryTest, CreateThenFindBySecretHash) {
  ASSERT_TRUE(Create("ws_a", "key_1", /*admin=*/true).ok());
  Result<ApiKey> key = keys().FindBySecretHash(SecretHash("key_1"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->id, "key_1");
  EXPECT_EQ(key->name, "key key_1");
  EXPECT_EQ(key->workspace_id, "ws_a");
  EXPECT_EQ(key->prefix, "kiln_key_");
  EXPECT_TRUE(key->admin);
  EXPECT_EQ(key->created_at, 1700000000);
  EXPECT_EQ(keys().FindBySecretHash(SecretHash("other")).status().code(), StatusCode::kNotFound);
}

TEST_F(KeyRepositoryTest, CreateMakesTheWorkspace) {
  ASSERT_TRUE(Create("ws_new", "key_1").ok());
  // The workspace now exists: bots can be created in it.
  EXPECT_TRUE(store_->bots().Create(MakeBot("ws_new", "bot_1")).ok());
  // A second key in the same workspace is fine (INSERT OR IGNORE).
  EXPECT_TRUE(Create("ws_new", "key_2").ok());
}

TEST_F(KeyRepositoryTest, DuplicatesAreAlreadyExists) {
  ASSERT_TRUE(Create("ws_a", "key_1").ok());
  EXPECT_EQ(keys().Create(MakeKey("ws_a", "key_1"), SecretHash("fresh")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(keys().Create(MakeKey("ws_a", "key_2"), SecretHash("key_1")).code(),
            StatusCode::kAlreadyExists);
}

TEST_F(KeyRepositoryTest, MalformedHashIsInvalidArgument) {
  for (const std::string& hash : {std::string("abc"), std::string(64, 'G'), std::string(64, 'A')}) {
    Status status = keys().Create(MakeKey("ws_a", "key_1"), hash);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << hash;
    EXPECT_EQ(status.param(), "secret_sha256");
  }
}

TEST_F(KeyRepositoryTest, RevokedKeyIsGoneEverywhere) {
  ASSERT_TRUE(Create("ws_a", "key_1", /*admin=*/true).ok());
  ASSERT_TRUE(Create("ws_a", "key_2", /*admin=*/true).ok());
  ASSERT_EQ(*keys().CountAdmins(), 2);

  ASSERT_TRUE(keys().Delete("key_1").ok());
  EXPECT_EQ(keys().FindBySecretHash(SecretHash("key_1")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(keys().Get("key_1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*keys().CountAdmins(), 1);
  Result<Page<ApiKey>> page = keys().List({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "key_2");
  // Revoking twice, or an unknown key, is NotFound.
  EXPECT_EQ(keys().Delete("key_1").code(), StatusCode::kNotFound);
  EXPECT_EQ(keys().Delete("key_nope").code(), StatusCode::kNotFound);
  // The other key still works.
  EXPECT_TRUE(keys().FindBySecretHash(SecretHash("key_2")).ok());
}

TEST_F(KeyRepositoryTest, LastAdminKeyCannotBeRevoked) {
  ASSERT_TRUE(Create("ws_a", "key_1", /*admin=*/true).ok());
  ASSERT_TRUE(Create("ws_a", "key_user").ok());
  EXPECT_EQ(keys().Delete("key_1").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(keys().Delete("key_user").ok()) << "non-admin keys are not held back";
  EXPECT_EQ(*keys().CountAdmins(), 1);
}

TEST_F(KeyRepositoryTest, ConcurrentRevocationsLeaveOneAdmin) {
  // Regression: the last-admin check ran before the delete, outside its
  // transaction, so racing revocations could remove every admin key.
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(Create("ws_a", "key_" + std::to_string(i), true).ok());
  std::vector<std::thread> threads;
  std::atomic<int> revoked{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (keys().Delete("key_" + std::to_string(i)).ok()) ++revoked;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(revoked.load(), 7);
  EXPECT_EQ(*keys().CountAdmins(), 1);
}

TEST_F(KeyRepositoryTest, RevokedIdCannotBeReused) {
  ASSERT_TRUE(Create("ws_a", "key_1").ok());
  ASSERT_TRUE(keys().Delete("key_1").ok());
  EXPECT_EQ(keys().Create(MakeKey("ws_a", "key_1"), SecretHash("again")).code(),
            StatusCode::kAlreadyExists);
}

TEST_F(KeyRepositoryTest, CountAdminsCountsOnlyAdmins) {
  EXPECT_EQ(*keys().CountAdmins(), 0);
  ASSERT_TRUE(Create("ws_a", "key_1", true).ok());
  ASSERT_TRUE(Create("ws_b", "key_2", false).ok());
  ASSERT_TRUE(Create("ws_b", "key_3", true).ok());
  EXPECT_EQ(*keys().CountAdmins(), 2);
}

TEST_F(KeyRepositoryTest, ListPaginatesNewestFirst) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Create("ws_a", "key_" + std::to_string(i)).ok());
  Result<Page<ApiKey>> first = keys().List(ListOptions{.limit = 3, .cursor = {}});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->items[0].id, "key_4");
  EXPECT_TRUE(first->has_more);
  Result<Page<ApiKey>> second = keys().List(ListOptions{.limit = 3, .cursor = first->next_cursor});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->items[1].id, "key_0");
  EXPECT_FALSE(second->has_more);
}

TEST_F(KeyRepositoryTest, GetReturnsPublicRecord) {
  ASSERT_TRUE(Create("ws_a", "key_1").ok());
  Result<ApiKey> key = keys().Get("key_1");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->workspace_id, "ws_a");
  EXPECT_FALSE(key->admin);
}

}  // namespace
}  // namespace kiln::storage
