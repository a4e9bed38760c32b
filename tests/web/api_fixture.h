// An Api over a real SQLite store in a fresh temp folder, driven without sockets.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "storage/store.h"
#include "web/api.h"
#include "web/auth.h"

namespace kiln::web {

class ApiFixture {
 public:
  ApiFixture() {
    char tmpl[] = "/tmp/kiln-api-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    storage::SqliteOptions options;
    options.path = dir_ + "/kiln.db";
    store_ = std::move(storage::OpenSqliteStore(options)).value();
    admin_key_ = BootstrapAdminKey(store_->keys(), "", UnixSeconds()).value();
    api_ = std::make_unique<Api>(store_.get(), ApiOptions{});
  }
  ~ApiFixture() {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct Reply {
    int status;
    nlohmann::json json;
    Response raw;
  };

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& key = "", const std::string& content_type = "application/json") {
    Request req;
    req.method = method;
    req.target = target;
    ParseTarget(target, &req.path, &req.query);
    req.body = body;
    req.request_id = "req_test";
    if (!key.empty()) req.headers.emplace_back("authorization", "Bearer " + key);
    if (!body.empty()) req.headers.emplace_back("content-type", content_type);
    Response res = api_->Handle(req);
    return {res.status, nlohmann::json::parse(res.body, nullptr, false), res};
  }

  // Creates a key for `workspace` and returns its secret.
  std::string NewKey(const std::string& workspace, bool admin = false) {
    nlohmann::json body = {{"name", "k"}, {"workspace", workspace}, {"admin", admin}};
    return Call("POST", "/v1/keys", body.dump(), admin_key_).json["key"];
  }

  Api& api() { return *api_; }
  const std::string& admin_key() const { return admin_key_; }

 private:
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Api> api_;
  std::string admin_key_;
};

}  // namespace kiln::web
