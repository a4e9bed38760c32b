#include "tests/web/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/web/test_client.h"

namespace kiln::testing {

ServerProcess::ServerProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/kiln-test-XXXXXX";
  root_ = ::mkdtemp(tmpl);
  data_dir_ = root_ + "/data";
  Start();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

bool ServerProcess::Start() {
  const char* bin = std::getenv("KILN_BIN");
  if (bin == nullptr || *bin == '\0') bin = KILN_DEFAULT_BIN;
  std::string port_file = root_ + "/port";
  std::filesystem::remove(port_file);
  pid_ = ::fork();
  if (pid_ == 0) {
    int log = ::open((root_ + "/server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::setenv("KILN_ADMIN_KEY", kAdminKey, 1);
    std::vector<std::string> args = {"kiln",    "serve",       "--port",  "0",           "--data",
                                     data_dir_, "--port-file", port_file, "--log-level", "warning"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin, argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 500; ++i) {  // up to 10 s
    std::ifstream in(port_file);
    if (in >> port_ && port_ > 0) {
      return Http(port_, "GET", "/healthz").status == 200;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServerProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ServerProcess::WaitExit(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int ServerProcess::Stop() {
  Signal(SIGTERM);
  int status = WaitExit(15'000);
  if (status < 0) Kill();
  return status;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace kiln::testing
