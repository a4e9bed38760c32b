// Runs the real `kiln serve` binary for integration tests: a fresh data folder
// under /tmp, an ephemeral loopback port, a known admin key.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kiln::testing {

class ServerProcess {
 public:
  static constexpr const char* kAdminKey = "kiln_test_admin_key_0123456789abcdef";

  // Makes a fresh data folder (removed by the destructor) and starts the server
  // with `extra_args` added to `kiln serve`.
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();

  // (Re)starts the server on the same data folder; returns false if it did not come up.
  bool Start();
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  // SIGKILL and reap.
  void Kill();
  // Sends a signal without waiting.
  void Signal(int sig);
  // Waits up to timeout_ms for the process to exit; returns the exit status or -1 on timeout.
  int WaitExit(int timeout_ms);

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log_path() const { return data_dir_ + "/../server.log"; }

 private:
  std::vector<std::string> extra_args_;
  std::string root_;  // temp folder holding data/ and server.log
  std::string data_dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace kiln::testing
