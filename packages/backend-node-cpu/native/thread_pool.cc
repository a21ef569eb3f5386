#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LSTM_NATIVE_PAUSE() _mm_pause()
#else
#define LSTM_NATIVE_PAUSE() ((void)0)
#endif
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#endif

namespace lstm_native {
namespace {

/** Pause instructions a barrier spins before it sleeps: several microseconds on current x86 cores. */
constexpr int kBarrierSpins = 2000;

#if defined(__linux__)
/** Sleeps until `word` may have changed from `expected`; it can return early. */
void wait_while_equal(std::atomic<int>* word, int expected) {
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void wake_all(std::atomic<int>* word) {
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}
#else
// NOTE: without futexes a sleeping barrier task polls with yields instead of blocking.
void wait_while_equal(std::atomic<int>*, int) { std::this_thread::yield(); }
void wake_all(std::atomic<int>*) {}
#endif

/** Default thread count: the machine's hardware threads, capped, or LSTM_MNIST_NATIVE_THREADS when set. */
int default_thread_count() {
  const char* configured = std::getenv("LSTM_MNIST_NATIVE_THREADS");
  if (configured != nullptr) {
    const int value = std::atoi(configured);
    if (value >= 1) return std::min(value, 64);
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(std::min(hardware, 16u));
}

class ThreadPool {
 public:
  ~ThreadPool() { stop_workers(); }

  void run(int tasks, const std::function<void(int)>& task) {
    // Node worker threads share this pool, so callers take turns.
    std::lock_guard<std::mutex> caller_lock(caller_mutex_);
    ensure_workers(tasks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      active_tasks_ = tasks;
      pending_.store(tasks - 1, std::memory_order_release);
      ++generation_;
    }
    start_.notify_all();

    task(0);

    // Workers usually finish within microseconds of the caller, so spin briefly before sleeping.
    for (int spin = 0; spin < 20000 && pending_.load(std::memory_order_acquire) != 0; ++spin) {
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    task_ = nullptr;
  }

 private:
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int index = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, index] { work(index); });
    }
  }

  void work(int index) {
    unsigned long seen = 0;
    for (;;) {
      const std::function<void(int)>* task = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (index < active_tasks_) task = task_;
      }
      if (task == nullptr) continue;

      (*task)(index);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

  std::mutex caller_mutex_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  int active_tasks_ = 0;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  std::atomic<int> pending_{0};
};

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

std::atomic<int> configured_threads{0};

}  // namespace

int thread_count() {
  int count = configured_threads.load();
  if (count == 0) {
    count = default_thread_count();
    configured_threads.store(count);
  }
  return count;
}

void set_thread_count(int count) { configured_threads.store(std::clamp(count, 1, 64)); }

void parallel_for(int tasks, const std::function<void(int)>& task) {
  if (tasks <= 1) {
    task(0);
    return;
  }
  pool().run(tasks, task);
}

void SpinBarrier::arrive_and_wait() {
  if (count_ <= 1) return;
  const int round = round_.load();
  if (arrived_.fetch_add(1) == count_ - 1) {
    arrived_.store(0);
    round_.fetch_add(1);
    if (sleepers_.load() > 0) wake_all(&round_);
    return;
  }
  for (int spin = 0; spin < kBarrierSpins; ++spin) {
    if (round_.load(std::memory_order_acquire) != round) return;
    LSTM_NATIVE_PAUSE();
  }
  // Sequentially consistent: either the last task reads this sleeper's count and wakes it, or this
  // task reads the new round before sleeping.
  sleepers_.fetch_add(1);
  while (round_.load() == round) wait_while_equal(&round_, round);
  sleepers_.fetch_sub(1);
}

}  // namespace lstm_native
