// A small fixed pool of worker threads for splitting one GEMM or LSTM step across cores.
#pragma once

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

}  // namespace lstm_native
