// WorkerPool: a persistent set of threads that run one data-parallel job at
// a time, the calling thread taking part. Made for the executor's many small
// steps (a token's matmuls take tens of microseconds each): workers spin
// briefly between jobs rather than sleeping at once, and tasks are claimed
// from an atomic counter so a busy core does not hold the others back.
//
// Run() calls from several threads are serialised (one job at a time). Run
// must not be called from inside a task.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::kernels::cpu {

class WorkerPool {
 public:
  // `threads` >= 1 in all, the caller included (1: everything runs inline).
  // pin: bind thread i to CPU i (optional; off by default).
  explicit WorkerPool(int threads, bool pin = false);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return threads_; }

  // Calls fn(task, thread) for every task in [0, n_tasks), spread over the
  // threads (thread in [0, threads())), and returns when all have finished.
  void Run(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

  // The process-wide pool the executor uses: KILN_THREADS threads (default:
  // the CPUs this process may run on), pinned when KILN_PIN=1.
  static WorkerPool& Default();

 private:
  void WorkerLoop(int index);
  void Work(int thread);

  const int threads_;
  std::mutex run_mu_;  // one job at a time
  std::vector<std::thread> workers_;
  // The current job. active_ counts the threads inside it: the caller sets it
  // to 1 when posting, a worker joins by raising it from a non-zero value, and
  // once the caller has run out of tasks and dropped it to 0 no late worker
  // can join: the caller never waits for a worker that was not scheduled in
  // time (the other core busy with another process), only for tasks begun.
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  int64_t n_tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> active_{0};
  std::atomic<uint32_t> generation_{0};  // bumped to post a job
  std::atomic<int> sleepers_{0};         // workers blocked in generation_.wait
  std::atomic<bool> stop_{false};
};

// pool->Run(n_tasks, fn), or every task on the calling thread when pool is
// null.
void RunTasks(WorkerPool* pool, int64_t n_tasks, const std::function<void(int64_t, int)>& fn);

}  // namespace kiln::kernels::cpu
