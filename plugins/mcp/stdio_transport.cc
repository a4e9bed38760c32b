// MCP over stdio: the server is a child process; messages are lines of JSON
// on its stdin and stdout. stdin and stdout are UNIX socket pairs rather
// than pipes, so that writing to a server that died is an error (send with
// MSG_NOSIGNAL), never a SIGPIPE that would take the whole Kiln process
// down. A reader thread matches responses to waiting requests by id and
// answers the server's own requests; another keeps the tail of stderr.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "plugins/mcp/internal/transport.h"

extern char** environ;

namespace kiln::plugins::mcp_internal {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxLineBytes = 4u << 20;
constexpr size_t kStderrTail = 4096;

class StdioTransport final : public McpClient::Transport {
 public:
  StdioTransport(pid_t pid, int in_fd, int out_fd, int err_fd, std::string command)
      : pid_(pid), in_(in_fd), out_(out_fd), err_(err_fd), command_(std::move(command)) {
    reader_ = std::thread([this] { ReadLoop(); });
    stderr_reader_ = std::thread([this] { ReadStderr(); });
  }

  ~StdioTransport() override {
    ::shutdown(in_, SHUT_RDWR);
    Stop();
    ::shutdown(out_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
    if (stderr_reader_.joinable()) stderr_reader_.join();
    ::close(in_);
    ::close(out_);
    ::close(err_);
  }

  Result<RpcMessage> Request(int64_t id, const std::string& method, const json& params,
                             int64_t timeout_ms, const std::function<bool()>& cancelled) override {
    bool dead = false;
    {
      std::lock_guard lock(mu_);
      dead = dead_;
      if (!dead) pending_[id];
    }
    if (dead) return DeadStatus();
    if (Status s = Send(RequestText(id, method, params)); !s.ok()) {
      std::lock_guard lock(mu_);
      pending_.erase(id);
      return s;
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::unique_lock lock(mu_);
    for (;;) {
      auto it = pending_.find(id);
      if (it != pending_.end() && it->second.has_value()) {
        RpcMessage m = std::move(*it->second);
        pending_.erase(it);
        return m;
      }
      if (dead_) {
        pending_.erase(id);
        lock.unlock();
        return DeadStatus();
      }
      if (Clock::now() >= deadline || (cancelled && cancelled())) {
        const bool timed_out = Clock::now() >= deadline;
        pending_.erase(id);
        lock.unlock();
        // The server may stop the work; its late answer is dropped.
        (void)Notify("notifications/cancelled",
                     {{"requestId", id}, {"reason", timed_out ? "timeout" : "cancelled"}});
        if (timed_out) {
          return DeadlineExceeded(method + " took longer than " + std::to_string(timeout_ms) +
                                  " ms");
        }
        return Cancelled(method + " was cancelled");
      }
      cv_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    }
  }

  Status Notify(const std::string& method, const json& params) override {
    return Send(NotificationText(method, params));
  }

  bool alive() const override {
    std::lock_guard lock(mu_);
    return !dead_;
  }

 private:
  Status Send(const std::string& text) {
    std::string line = text + "\n";
    std::lock_guard lock(write_mu_);
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::send(in_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        MarkDead("its stdin closed");
        return DeadStatus();
      }
      done += static_cast<size_t>(n);
    }
    return Status::OK();
  }

  void ReadLoop() {
    std::string buffer;
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(out_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
        Handle(std::string_view(buffer).substr(start, nl - start));
        start = nl + 1;
      }
      buffer.erase(0, start);
      if (buffer.size() > kMaxLineBytes) {
        MarkDead("it wrote a message longer than 4 MiB");
        Stop();
        return;
      }
    }
    MarkDead("it exited");
  }

  void Handle(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) return;
    Result<std::vector<RpcMessage>> messages = ParseRpcText(line);
    if (!messages.ok()) {
      MarkDead("it wrote something that is not JSON-RPC: " + QuoteForMessage(line, 120));
      Stop();
      return;
    }
    for (RpcMessage& m : *messages) {
      if (m.kind == RpcMessage::Kind::kRequest) {
        (void)Send(AnswerServerRequest(m));
      } else if (m.kind == RpcMessage::Kind::kResponse) {
        std::optional<int64_t> id = IdAsInt(m.id);
        std::lock_guard lock(mu_);
        auto it = id ? pending_.find(*id) : pending_.end();
        if (it != pending_.end()) it->second = std::move(m);
        cv_.notify_all();
      }  // notifications (logs, progress, list changes) need nothing here
    }
  }

  void ReadStderr() {
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::read(err_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      std::lock_guard lock(mu_);
      stderr_.append(chunk, static_cast<size_t>(n));
      if (stderr_.size() > 2 * kStderrTail) stderr_.erase(0, stderr_.size() - kStderrTail);
    }
  }

  void MarkDead(const std::string& why) {
    std::lock_guard lock(mu_);
    if (!dead_) {
      dead_ = true;
      why_ = why;
    }
    cv_.notify_all();
  }

  // Called without mu_ held.
  Status DeadStatus() {
    // Give the process a moment to have written why it went.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string tail, why;
    {
      std::lock_guard lock(mu_);
      tail = stderr_.size() > 600 ? stderr_.substr(stderr_.size() - 600) : stderr_;
      why = why_;
    }
    std::string message = "the MCP server '" + command_ + "' is gone (" + why + ")";
    if (!tail.empty()) message += "; its stderr: " + QuoteForMessage(tail, 600);
    return Unavailable(message);
  }

  // Stops the child: SIGTERM to its process group, SIGKILL if it lingers.
  void Stop() {
    std::lock_guard lock(stop_mu_);
    if (reaped_) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        reaped_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }

  const pid_t pid_;
  const int in_, out_, err_;
  const std::string command_;
  std::mutex write_mu_;  // one message on stdin at a time
  std::mutex stop_mu_;
  bool reaped_ = false;  // guarded by stop_mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::optional<RpcMessage>> pending_;  // guarded by mu_
  bool dead_ = false;                                     // guarded by mu_
  std::string why_;                                       // guarded by mu_
  std::string stderr_;                                    // guarded by mu_
  std::thread reader_, stderr_reader_;
};

}  // namespace

Result<std::unique_ptr<McpClient::Transport>> StartStdio(const McpServerConfig& config) {
  if (config.command.empty()) return InvalidArgument("the MCP server's command is empty");
  int in[2], out[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return Unavailable(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Unavailable(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  // Built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "KILN_", 5) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string command = config.command;
  std::vector<std::string> args = config.args;
  argv.push_back(command.data());
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int report[2];  // the child writes errno here if exec fails
  if (::pipe2(report, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], report[0], report[1]}) ::close(fd);
    return Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in[1], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execvpe(argv[0], argv.data(), envp.data());
    const int e = errno;
    (void)!::write(report[1], &e, sizeof(e));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with the child's own call
  for (int fd : {in[1], out[1], err[1], report[1]}) ::close(fd);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    ::waitpid(pid, nullptr, 0);
    for (int fd : {in[0], out[0], err[0]}) ::close(fd);
    const std::string why = std::strerror(exec_errno);
    if (exec_errno == ENOENT) return NotFound("no program '" + config.command + "' (" + why + ")");
    return Unavailable("could not start '" + config.command + "': " + why);
  }
  return std::unique_ptr<McpClient::Transport>(
      std::make_unique<StdioTransport>(pid, in[0], out[0], err[0], config.command));
}

}  // namespace kiln::plugins::mcp_internal
