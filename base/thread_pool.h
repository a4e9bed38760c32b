// A fixed-size pool of worker threads running queued closures in FIFO order.
//
// Thread-safe: Submit may be called from any thread. The destructor stops
// accepting work, runs what is already queued, and joins the workers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; returns false (and drops it) once shutdown has begun.
  bool Submit(std::function<void()> task);

  // Blocks until the queue is empty and no task is running.
  void WaitIdle();

  size_t size() const { return workers_.size(); }

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable work_cv_;          // signalled when work arrives or on shutdown
  std::condition_variable idle_cv_;          // signalled when a task finishes
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  size_t running_ = 0;                       // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace kiln
