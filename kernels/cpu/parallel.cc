#include "kernels/cpu/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
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

// How long an idle worker spins before it sleeps: the parallel steps of a
// forward pass follow each other within microseconds, and a futex wake-up
// costs tens of them; but between two decode steps (sampling, the server's
// own threads) a spinning worker only takes a core from threads with work.
// Timed rather than counted: a pause instruction lasts from ~10 to ~140
// cycles depending on the CPU (16K pauses were ~1 ms on Sapphire Rapids).
constexpr auto kSpinTime = std::chrono::microseconds(100);
constexpr int kPausesPerClockRead = 64;

// Spins until done() or kSpinTime has passed; whether done() came true.
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < kPausesPerClockRead; ++i) {
      if (done()) return true;
      KILN_PAUSE();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

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
    if (!SpinUntil([&] { return (now = generation_.load(std::memory_order_acquire)) != seen; })) {
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
  auto finished = [&] { return active_.load(std::memory_order_acquire) == 0; };
  if (!SpinUntil(finished)) {
    while (!finished()) std::this_thread::yield();
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
