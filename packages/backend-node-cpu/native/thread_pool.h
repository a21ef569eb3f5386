// A small fixed pool of worker threads for splitting one GEMM or LSTM step across cores.
#pragma once

#include <atomic>
#include <functional>

namespace lstm_native {

/** Number of threads, the caller included, that `parallel_for` uses. At least 1. */
int thread_count();

/** Sets the thread count (clamped to 1..64). Starts or stops nothing until the next `parallel_for`. */
void set_thread_count(int count);

/**
 * Runs `task(0) .. task(tasks - 1)`, task 0 on the calling thread and the others on pool workers,
 * and returns when all have finished. `tasks` must not exceed `thread_count()`.
 */
void parallel_for(int tasks, const std::function<void(int)>& task);

/**
 * Barrier for the tasks of one `parallel_for` that must meet once per LSTM time step. A wait spins
 * for a few microseconds, which covers the usual gap between two busy cores, then sleeps, so that
 * a task whose partner was descheduled by another process gives its core away. Reusable: the
 * tasks may meet any number of times.
 */
class SpinBarrier {
 public:
  explicit SpinBarrier(int count) : count_(count) {}

  /** Returns once all `count` tasks have called it this round. */
  void arrive_and_wait();

 private:
  const int count_;
  std::atomic<int> arrived_{0};
  std::atomic<int> round_{0};
  std::atomic<int> sleepers_{0};
};

}  // namespace lstm_native
