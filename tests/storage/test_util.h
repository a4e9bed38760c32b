// Helpers shared by the storage tests: a temporary folder per test and
// builders for records.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/sha256.h"
#include "storage/store.h"

namespace kiln::storage::testing {

// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/kiln_storage_test_XXXXXX";
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline SqliteOptions OptionsFor(const TempDir& dir) {
  SqliteOptions options;
  options.path = dir.File("kiln.db");
  return options;
}

inline std::unique_ptr<Store> OpenOrDie(const SqliteOptions& options) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

inline Bot MakeBot(const std::string& workspace_id, const std::string& id,
                   const std::string& name = "Helper") {
  Bot bot;
  bot.id = id;
  bot.workspace_id = workspace_id;
  bot.config.name = name;
  bot.config.persona = "You help with {{topic}}.";
  bot.config.model = "smollm2-135m-instruct";
  bot.config.suggested_questions = {"What can you do?"};
  bot.config.variables = {{"topic", "what to help with", "cooking"}};
  bot.created_at = 1700000000;
  bot.updated_at = 1700000000;
  return bot;
}

inline ApiKey MakeKey(const std::string& workspace_id, const std::string& id, bool admin = false) {
  ApiKey key;
  key.id = id;
  key.name = "key " + id;
  key.workspace_id = workspace_id;
  key.prefix = "kiln_" + id.substr(0, 4);
  key.admin = admin;
  key.created_at = 1700000000;
  return key;
}

// The stored hash of a test key's secret.
inline std::string SecretHash(const std::string& key_id) { return Sha256Hex("secret-" + key_id); }

// Creates the workspace (through its first key, as the server does).
inline void CreateWorkspace(Store& store, const std::string& workspace_id) {
  std::string key_id = "key_" + workspace_id;
  ASSERT_TRUE(store.keys().Create(MakeKey(workspace_id, key_id), SecretHash(key_id)).ok());
}

}  // namespace kiln::storage::testing
