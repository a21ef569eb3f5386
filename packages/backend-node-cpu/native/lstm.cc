#include "lstm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"

namespace lstm_native {
namespace {

/**
 * e^x for float, after the Cephes expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial
 * for e^r, then 2^n through the exponent bits. The input is clamped to [-87, 88] so the result stays
 * finite and normal. The error was not measured here, but the PyTorch parity tests pass with it.
 * Branch-free, so loops vectorize.
 */
__attribute__((always_inline)) inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * z + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return er * __builtin_bit_cast(float, bits);
}

__attribute__((always_inline)) inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

/** tanh(x) = 2 / (1 + e^-2x) - 1; the absolute error stays below 1e-7 also near 0. */
__attribute__((always_inline)) inline float tanh_approx(float x) { return 2.0f / (1.0f + exp_approx(-2.0f * x)) - 1.0f; }

/**
 * Adds the bias to one step's gate pre-activations, activates them in place and updates the cell
 * and hidden state: c = f * c_prev + i * g, h = o * tanh(c), for hidden units [j_begin, j_end) of
 * every row. Step 0 passes zeros as c_prev.
 */
__attribute__((always_inline)) inline void activate_step_body(
    float* __restrict gates, const float* __restrict bias, const float* __restrict previous_cell,
    float* __restrict cell, float* __restrict cell_tanh, float* __restrict hidden, int batch, int hidden_size,
    int j_begin, int j_end) {
  const int h = hidden_size;
  for (int b = 0; b < batch; ++b) {
    float* row = gates + static_cast<long>(b) * 4 * h;
    const long offset = static_cast<long>(b) * h;
    for (int j = j_begin; j < j_end; ++j) {
      const float i = sigmoid(row[j] + bias[j]);
      const float f = sigmoid(row[h + j] + bias[h + j]);
      const float g = tanh_approx(row[2 * h + j] + bias[2 * h + j]);
      const float o = sigmoid(row[3 * h + j] + bias[3 * h + j]);
      row[j] = i;
      row[h + j] = f;
      row[2 * h + j] = g;
      row[3 * h + j] = o;
      const float c = f * previous_cell[offset + j] + i * g;
      const float t = tanh_approx(c);
      cell[offset + j] = c;
      cell_tanh[offset + j] = t;
      hidden[offset + j] = o * t;
    }
  }
}

/**
 * Gate gradients of one step [B, 4H] from the gradient of its hidden state, and the gradient of the
 * previous cell state, which replaces `cell_gradient` (read as the later step's, zeros at the last
 * step), for hidden units [j_begin, j_end) of every row. Step 0 passes zeros as the previous cell,
 * which makes its forget-gate gradient 0.
 */
__attribute__((always_inline)) inline void step_backward_body(
    const float* __restrict gates, const float* __restrict cell_tanh, const float* __restrict previous_cell,
    const float* __restrict hidden_gradient, float* __restrict cell_gradient, float* __restrict gate_gradient, int batch,
    int hidden_size, int j_begin, int j_end) {
  const int h = hidden_size;
  for (int b = 0; b < batch; ++b) {
    const float* row = gates + static_cast<long>(b) * 4 * h;
    float* out = gate_gradient + static_cast<long>(b) * 4 * h;
    const long offset = static_cast<long>(b) * h;
    for (int j = j_begin; j < j_end; ++j) {
      const float i = row[j];
      const float f = row[h + j];
      const float g = row[2 * h + j];
      const float o = row[3 * h + j];
      const float t = cell_tanh[offset + j];
      const float dh = hidden_gradient[offset + j];

      const float from_hidden = dh * o * (1.0f - t * t);
      const float dc = from_hidden + cell_gradient[offset + j];
      out[j] = dc * g * (i * (1.0f - i));
      out[h + j] = dc * previous_cell[offset + j] * (f * (1.0f - f));
      out[2 * h + j] = dc * i * (1.0f - g * g);
      out[3 * h + j] = dh * t * (o * (1.0f - o));
      cell_gradient[offset + j] = dc * f;
    }
  }
}

// The element-wise bodies compiled once per instruction set, and picked with the GEMM's.
#define LSTM_NATIVE_DISPATCH(name, ...)                                                        \
  __attribute__((target("avx512f,avx2,fma"))) void name##_avx512(LSTM_NATIVE_PARAMS) {        \
    name##_body(__VA_ARGS__);                                                                \
  }                                                                                          \
  __attribute__((target("avx2,fma"))) void name##_avx2(LSTM_NATIVE_PARAMS) { name##_body(__VA_ARGS__); } \
  void name##_portable(LSTM_NATIVE_PARAMS) { name##_body(__VA_ARGS__); }                     \
  void name(LSTM_NATIVE_PARAMS) {                                                            \
    switch (active_isa()) {                                                                  \
      case Isa::kAvx512:                                                                     \
        return name##_avx512(__VA_ARGS__);                                                   \
      case Isa::kAvx2:                                                                       \
        return name##_avx2(__VA_ARGS__);                                                     \
      case Isa::kPortable:                                                                   \
        break;                                                                               \
    }                                                                                        \
    name##_portable(__VA_ARGS__);                                                            \
  }

#define LSTM_NATIVE_PARAMS                                                                          \
  float *__restrict gates, const float *__restrict bias, const float *__restrict previous_cell,     \
      float *__restrict cell, float *__restrict cell_tanh, float *__restrict hidden, int batch, int hidden_size, \
      int j_begin, int j_end
LSTM_NATIVE_DISPATCH(activate_step, gates, bias, previous_cell, cell, cell_tanh, hidden, batch, hidden_size, j_begin,
                     j_end)
#undef LSTM_NATIVE_PARAMS

#define LSTM_NATIVE_PARAMS                                                                          \
  const float *__restrict gates, const float *__restrict cell_tanh, const float *__restrict previous_cell, \
      const float *__restrict hidden_gradient, float *__restrict cell_gradient, float *__restrict gate_gradient, \
      int batch, int hidden_size, int j_begin, int j_end
LSTM_NATIVE_DISPATCH(step_backward, gates, cell_tanh, previous_cell, hidden_gradient, cell_gradient, gate_gradient,
                     batch, hidden_size, j_begin, j_end)
#undef LSTM_NATIVE_PARAMS
#undef LSTM_NATIVE_DISPATCH

/**
 * The forward workspace. `previous_hidden` has T + 1 blocks of [B, H]: block 0 is the zero initial
 * state and block t + 1 is step t's hidden state. So blocks 0..T-1, each step's previous hidden
 * state, form one matrix, and the recurrent kernel's gradient multiplies it with all gate gradients.
 */
struct WorkspaceViews {
  float* gates;
  float* cell;
  float* cell_tanh;
  float* previous_hidden;
};

WorkspaceViews views_of(const LstmShape& shape, float* workspace) {
  const long rows = static_cast<long>(shape.time) * shape.batch;
  const long h = shape.hidden_size;
  WorkspaceViews views{};
  views.gates = workspace;
  views.cell = views.gates + rows * 4 * h;
  views.cell_tanh = views.cell + rows * h;
  views.previous_hidden = views.cell_tanh + rows * h;
  return views;
}

/** out[j] = sum of column j of `matrix` [rows, cols], rows added in order; columns split across threads. */
void sum_columns(const float* matrix, int rows, int cols, float* out) {
  const int tasks = static_cast<long>(rows) * cols < (1L << 17) ? 1 : std::min(thread_count(), std::max(1, cols / 64));
  parallel_for(tasks, [&](int task) {
    const int c0 = static_cast<int>(static_cast<long>(cols) * task / tasks);
    const int c1 = static_cast<int>(static_cast<long>(cols) * (task + 1) / tasks);
    std::fill(out + c0, out + c1, 0.0f);
    for (int r = 0; r < rows; ++r) {
      const float* row = matrix + static_cast<long>(r) * cols;
      for (int j = c0; j < c1; ++j) out[j] += row[j];
    }
  });
}

/** Below this many multiply-adds per step's recurrent product the recurrence runs on one thread. */
constexpr long kParallelStepMinimumMacs = 1L << 18;

/**
 * Splits the hidden units among the tasks of the recurrence: each task owns a run of units whose
 * columns in every gate block are whole panels of the packed recurrent kernel, so no two tasks
 * write the same element. Falls back to one task when the hidden size does not split that way.
 */
struct UnitSplit {
  int tasks;
  int hidden_size;
  int begin(int task) const { return static_cast<int>(static_cast<long>(hidden_size) * task / tasks); }
  int end(int task) const { return begin(task + 1); }
};

UnitSplit split_units(int batch, int hidden_size, int panel) {
  int tasks = static_cast<long>(batch) * hidden_size * 4 * hidden_size < kParallelStepMinimumMacs ? 1 : thread_count();
  while (tasks > 1 && hidden_size % (tasks * panel) != 0) --tasks;
  return {tasks, hidden_size};
}

}  // namespace

long lstm_workspace_size(const LstmShape& shape) {
  return (7L * shape.time + 1) * shape.batch * shape.hidden_size;
}

void lstm_forward(const LstmShape& shape, const float* x, const float* kernel, const float* recurrent_kernel,
                  const float* bias, float* output, float* workspace) {
  const int rows = shape.time * shape.batch;
  const int h = shape.hidden_size;
  const int gate_width = 4 * h;
  const long step_rows = static_cast<long>(shape.batch) * h;
  const WorkspaceViews views = views_of(shape, workspace);

  // Every step's input projection as one product; the activation adds the bias.
  sgemm(false, false, rows, gate_width, shape.input_size, x, shape.input_size, kernel, gate_width, views.gates,
        gate_width, false);

  thread_local PackedMatrix packed_recurrent_buffer;
  PackedMatrix& packed_recurrent = packed_recurrent_buffer;  // workers must not name the thread_local
  pack_right(false, h, gate_width, recurrent_kernel, gate_width, packed_recurrent);
  std::fill(views.previous_hidden, views.previous_hidden + step_rows, 0.0f);
  const float* zero_state = views.previous_hidden;
  float* hidden = views.previous_hidden + step_rows;
  const UnitSplit split = split_units(shape.batch, h, packed_recurrent.panel);
  SpinBarrier barrier(split.tasks);

  // Each task runs the whole sequence for its hidden units, meeting the others once per step: the
  // next step's recurrent product reads every unit of this step's hidden state.
  parallel_for(split.tasks, [&](int task) {
    const int j0 = split.begin(task);
    const int j1 = split.end(task);
    const int panel = packed_recurrent.panel;
    // One task computes every panel at once, because with a hidden size that is not a multiple of
    // the panel width a panel contains columns of two gates and must be computed once.
    PanelRange gate_panels[4] = {{0, (gate_width + panel - 1) / panel}};
    int gate_panel_count = 1;
    if (split.tasks > 1) {
      for (int gate = 0; gate < 4; ++gate) gate_panels[gate] = {(gate * h + j0) / panel, (gate * h + j1) / panel};
      gate_panel_count = 4;
    }

    for (int t = 0; t < shape.time; ++t) {
      float* gates = views.gates + static_cast<long>(t) * shape.batch * gate_width;
      const float* previous_cell = zero_state;
      if (t > 0) {
        gemm_packed_panels(shape.batch, hidden + (t - 1) * step_rows, h, packed_recurrent, gates, gate_width, true,
                           gate_panels, gate_panel_count);
        previous_cell = views.cell + (t - 1) * step_rows;
      }
      activate_step(gates, bias, previous_cell, views.cell + t * step_rows, views.cell_tanh + t * step_rows,
                    hidden + t * step_rows, shape.batch, h, j0, j1);
      if (t + 1 < shape.time) barrier.arrive_and_wait();
    }
  });

  const long output_offset = shape.return_sequences ? 0 : (shape.time - 1) * step_rows;
  const long output_size = shape.return_sequences ? static_cast<long>(rows) * h : step_rows;
  std::memcpy(output, hidden + output_offset, sizeof(float) * output_size);
}

void lstm_backward(const LstmShape& shape, const float* output_gradient, const float* x, const float* kernel,
                   const float* recurrent_kernel, const float* workspace, float* x_gradient, float* kernel_gradient,
                   float* recurrent_kernel_gradient, float* bias_gradient) {
  const int rows = shape.time * shape.batch;
  const int h = shape.hidden_size;
  const int gate_width = 4 * h;
  const long step_rows = static_cast<long>(shape.batch) * h;
  const WorkspaceViews views = views_of(shape, const_cast<float*>(workspace));

  // Every element is written before it is read, so a buffer reused across calls needs no clearing.
  thread_local std::vector<float> gate_gradients;
  gate_gradients.resize(static_cast<size_t>(rows) * gate_width);
  // Workers must not name the thread_local, which would be their own empty copy.
  float* const all_gate_gradients = gate_gradients.data();
  std::vector<float> hidden_gradient(step_rows, 0.0f);
  std::vector<float> total_hidden_gradient(step_rows);
  std::vector<float> cell_gradient(step_rows, 0.0f);
  const float* zero_state = views.previous_hidden;

  // The hidden-state gradient of step t - 1 is dG_t * U^T, so U is packed transposed once.
  thread_local PackedMatrix packed_recurrent_t_buffer;
  PackedMatrix& packed_recurrent_t = packed_recurrent_t_buffer;  // workers must not name the thread_local
  pack_right(true, gate_width, h, recurrent_kernel, gate_width, packed_recurrent_t);
  const UnitSplit split = split_units(shape.batch, h, packed_recurrent_t.panel);
  SpinBarrier barrier(split.tasks);

  // Each task owns hidden units: their gate gradients, and their columns of dG_t * U^T, which read
  // every gate gradient of step t, so the tasks meet once per step before the product.
  parallel_for(split.tasks, [&](int task) {
    const int j0 = split.begin(task);
    const int j1 = split.end(task);
    const int panel = packed_recurrent_t.panel;
    const PanelRange own_panels{j0 / panel, (j1 + panel - 1) / panel};  // all panels when there is one task

    for (int t = shape.time - 1; t >= 0; --t) {
      const bool last = t == shape.time - 1;
      for (int b = 0; b < shape.batch; ++b) {
        for (int j = j0; j < j1; ++j) {
          const long e = static_cast<long>(b) * h + j;
          float dh = last ? 0.0f : hidden_gradient[e];
          if (shape.return_sequences) {
            dh = last ? output_gradient[t * step_rows + e] : dh + output_gradient[t * step_rows + e];
          } else if (last) {
            dh = output_gradient[e];
          }
          total_hidden_gradient[e] = dh;
        }
      }

      float* gate_gradient = all_gate_gradients + static_cast<long>(t) * shape.batch * gate_width;
      const float* previous_cell = t > 0 ? views.cell + (t - 1) * step_rows : zero_state;
      step_backward(views.gates + static_cast<long>(t) * shape.batch * gate_width, views.cell_tanh + t * step_rows,
                    previous_cell, total_hidden_gradient.data(), cell_gradient.data(), gate_gradient, shape.batch, h,
                    j0, j1);
      if (t > 0) {
        barrier.arrive_and_wait();
        gemm_packed_panels(shape.batch, gate_gradient, gate_width, packed_recurrent_t, hidden_gradient.data(), h, false,
                           &own_panels, 1);
      }
    }
  });

  // With all gate gradients known, each parameter gradient is one large product. Both weight
  // gradients multiply by all gate gradients, so these are packed once. The recurrent one reads the
  // previous hidden states, whose zero block 0 adds nothing for step 0.
  sgemm(false, true, rows, shape.input_size, gate_width, all_gate_gradients, gate_width, kernel, gate_width, x_gradient,
        shape.input_size, false);
  thread_local PackedMatrix packed_gate_gradients;
  pack_right(false, rows, gate_width, all_gate_gradients, gate_width, packed_gate_gradients);
  gemm_packed(true, shape.input_size, x, shape.input_size, packed_gate_gradients, kernel_gradient, gate_width, false);
  gemm_packed(true, h, views.previous_hidden, h, packed_gate_gradients, recurrent_kernel_gradient, gate_width, false);
  sum_columns(all_gate_gradients, rows, gate_width, bias_gradient);
}

}  // namespace lstm_native
