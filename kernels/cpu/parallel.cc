#include "kernels/cpu/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#define KILN_PAUSE() _mm_pause()
#else
#define KILN_PAUSE() ((void)0)
#endif

namespace kiln::kernels::cpu {
namespace {

// How long an idle worker spins before it sleeps: a token's steps follow each
// other within microseconds, a futex wake-up costs tens of them.
constexpr int kSpinIterations = 1 << 14;

void Pin(std::thread::native_handle_type handle, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(handle, sizeof(set), &set);
}

}  // namespace

WorkerPool::WorkerPool(int threads, bool pin) : threads_(threads < 1 ? 1 : threads) {
  for (int i = 1; i < threads_; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
    if (pin) Pin(workers_.back().native_handle(), i);
  }
  if (pin) Pin(pthread_self(), 0);
}

WorkerPool::~WorkerPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::Work(int thread) {
  for (;;) {
    const int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) return;
    (*fn_)(task, thread);
  }
}

void WorkerPool::WorkerLoop(int index) {
  // Generation 0 is "no job yet": a worker that starts after the first Run
  // must still see that job as new.
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = seen;
    for (int i = 0; i < kSpinIterations; ++i) {
      now = generation_.load(std::memory_order_acquire);
      if (now != seen) break;
      KILN_PAUSE();
    }
    if (now == seen) {
      // Announce the sleep before the last look (both seq_cst): either Run
      // sees a sleeper and notifies, or this load sees its new generation.
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      while ((now = generation_.load(std::memory_order_seq_cst)) == seen) {
        generation_.wait(seen, std::memory_order_seq_cst);
      }
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    // Join the job unless the caller has already finished it.
    int active = active_.load(std::memory_order_acquire);
    bool joined = false;
    while (active != 0 && !joined) {
      joined = active_.compare_exchange_weak(active, active + 1, std::memory_order_acq_rel);
    }
    if (!joined) continue;
    Work(index);
    active_.fetch_sub(1, std::memory_order_release);
  }
}

void WorkerPool::Run(int64_t n_tasks, const std::function<void(int64_t, int)>& fn) {
  if (n_tasks <= 0) return;
  if (threads_ == 1 || n_tasks == 1) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  std::lock_guard<std::mutex> lock(run_mu_);
  fn_ = &fn;
  n_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  active_.store(1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  Work(0);
  active_.fetch_sub(1, std::memory_order_acq_rel);
  // Only workers that joined (and so hold or may claim a task) are waited for.
  for (int i = 0; active_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < kSpinIterations) {
      KILN_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
}

WorkerPool& WorkerPool::Default() {
  static WorkerPool* pool = [] {
    int threads = 0;
    if (const char* env = std::getenv("KILN_THREADS")) threads = std::atoi(env);
    if (threads <= 0) {
      cpu_set_t set;
      threads = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    }
    const char* pin = std::getenv("KILN_PIN");
    return new WorkerPool(threads, pin != nullptr && std::string(pin) == "1");
  }();
  return *pool;
}

void RunTasks(WorkerPool* pool, int64_t n_tasks, const std::function<void(int64_t, int)>& fn) {
  if (pool != nullptr) {
    pool->Run(n_tasks, fn);
  } else {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
  }
}

}  // namespace kiln::kernels::cpu
