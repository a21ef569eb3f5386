#include "lstm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gemm.h"

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
 * Activates one step's gates in place and updates the cell and hidden state of each row:
 * c = f * c_prev + i * g, h = o * tanh(c). Step 0 passes zeros as c_prev.
 */
__attribute__((always_inline)) inline void activate_step_body(
    float* __restrict gates, const float* __restrict previous_cell, float* __restrict cell, float* __restrict cell_tanh,
    float* __restrict hidden, int batch, int hidden_size) {
  const int h = hidden_size;
  for (int b = 0; b < batch; ++b) {
    float* row = gates + static_cast<long>(b) * 4 * h;
    const long offset = static_cast<long>(b) * h;
    for (int j = 0; j < h; ++j) {
      const float i = sigmoid(row[j]);
      const float f = sigmoid(row[h + j]);
      const float g = tanh_approx(row[2 * h + j]);
      const float o = sigmoid(row[3 * h + j]);
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
 * step). Step 0 passes zeros as the previous cell, which makes its forget-gate gradient 0.
 */
__attribute__((always_inline)) inline void step_backward_body(
    const float* __restrict gates, const float* __restrict cell_tanh, const float* __restrict previous_cell,
    const float* __restrict hidden_gradient, float* __restrict cell_gradient, float* __restrict gate_gradient, int batch,
    int hidden_size) {
  const int h = hidden_size;
  for (int b = 0; b < batch; ++b) {
    const float* row = gates + static_cast<long>(b) * 4 * h;
    float* out = gate_gradient + static_cast<long>(b) * 4 * h;
    const long offset = static_cast<long>(b) * h;
    for (int j = 0; j < h; ++j) {
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

#define LSTM_NATIVE_PARAMS                                                                      \
  float *__restrict gates, const float *__restrict previous_cell, float *__restrict cell,       \
      float *__restrict cell_tanh, float *__restrict hidden, int batch, int hidden_size
LSTM_NATIVE_DISPATCH(activate_step, gates, previous_cell, cell, cell_tanh, hidden, batch, hidden_size)
#undef LSTM_NATIVE_PARAMS

#define LSTM_NATIVE_PARAMS                                                                          \
  const float *__restrict gates, const float *__restrict cell_tanh, const float *__restrict previous_cell, \
      const float *__restrict hidden_gradient, float *__restrict cell_gradient, float *__restrict gate_gradient, \
      int batch, int hidden_size
LSTM_NATIVE_DISPATCH(step_backward, gates, cell_tanh, previous_cell, hidden_gradient, cell_gradient, gate_gradient,
                     batch, hidden_size)
#undef LSTM_NATIVE_PARAMS
#undef LSTM_NATIVE_DISPATCH

struct WorkspaceViews {
  float* gates;
  float* cell;
  float* cell_tanh;
  float* hidden;
};

WorkspaceViews views_of(const LstmShape& shape, float* workspace) {
  const long rows = static_cast<long>(shape.time) * shape.batch;
  const long h = shape.hidden_size;
  WorkspaceViews views{};
  views.gates = workspace;
  views.cell = views.gates + rows * 4 * h;
  views.cell_tanh = views.cell + rows * h;
  views.hidden = views.cell_tanh + rows * h;
  return views;
}

}  // namespace

long lstm_workspace_size(const LstmShape& shape) {
  return static_cast<long>(shape.time) * shape.batch * 7 * shape.hidden_size;
}

void lstm_forward(const LstmShape& shape, const float* x, const float* kernel, const float* recurrent_kernel,
                  const float* bias, float* output, float* workspace) {
  const int rows = shape.time * shape.batch;
  const int h = shape.hidden_size;
  const int gate_width = 4 * h;
  const long step_rows = static_cast<long>(shape.batch) * h;
  const WorkspaceViews views = views_of(shape, workspace);

  // Project every step's input at once, then add the summed bias, as the model does before the recurrence.
  sgemm(false, false, rows, gate_width, shape.input_size, x, shape.input_size, kernel, gate_width, views.gates,
        gate_width, false);
  for (int r = 0; r < rows; ++r) {
    float* row = views.gates + static_cast<long>(r) * gate_width;
    for (int j = 0; j < gate_width; ++j) row[j] += bias[j];
  }

  PackedMatrix packed_recurrent;
  pack_right(false, h, gate_width, recurrent_kernel, gate_width, packed_recurrent);
  const std::vector<float> zero_state(step_rows, 0.0f);
  for (int t = 0; t < shape.time; ++t) {
    float* gates = views.gates + static_cast<long>(t) * shape.batch * gate_width;
    const float* previous_cell = zero_state.data();
    if (t > 0) {
      gemm_packed(false, shape.batch, views.hidden + (t - 1) * step_rows, h, packed_recurrent, gates, gate_width, true);
      previous_cell = views.cell + (t - 1) * step_rows;
    }
    activate_step(gates, previous_cell, views.cell + t * step_rows, views.cell_tanh + t * step_rows,
                  views.hidden + t * step_rows, shape.batch, h);
  }

  const long output_offset = shape.return_sequences ? 0 : (shape.time - 1) * step_rows;
  const long output_size = shape.return_sequences ? static_cast<long>(rows) * h : step_rows;
  std::memcpy(output, views.hidden + output_offset, sizeof(float) * output_size);
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
  std::vector<float> hidden_gradient(step_rows, 0.0f);
  std::vector<float> total_hidden_gradient(step_rows);
  std::vector<float> cell_gradient(step_rows, 0.0f);
  const std::vector<float> zero_state(step_rows, 0.0f);

  // The hidden-state gradient of step t - 1 is dG_t * U^T, so U is packed transposed once.
  PackedMatrix packed_recurrent_t;
  pack_right(true, gate_width, h, recurrent_kernel, gate_width, packed_recurrent_t);

  for (int t = shape.time - 1; t >= 0; --t) {
    const bool last = t == shape.time - 1;
    for (long e = 0; e < step_rows; ++e) {
      float dh = last ? 0.0f : hidden_gradient[e];
      if (shape.return_sequences) {
        dh = last ? output_gradient[t * step_rows + e] : dh + output_gradient[t * step_rows + e];
      } else if (last) {
        dh = output_gradient[e];
      }
      total_hidden_gradient[e] = dh;
    }

    float* gate_gradient = gate_gradients.data() + static_cast<long>(t) * shape.batch * gate_width;
    const float* previous_cell = t > 0 ? views.cell + (t - 1) * step_rows : zero_state.data();
    step_backward(views.gates + static_cast<long>(t) * shape.batch * gate_width, views.cell_tanh + t * step_rows,
                  previous_cell, total_hidden_gradient.data(), cell_gradient.data(), gate_gradient, shape.batch, h);
    if (t > 0) {
      gemm_packed(false, shape.batch, gate_gradient, gate_width, packed_recurrent_t, hidden_gradient.data(), h, false);
    }
  }

  // With all gate gradients known, each parameter gradient is one large product.
  sgemm(false, true, rows, shape.input_size, gate_width, gate_gradients.data(), gate_width, kernel, gate_width,
        x_gradient, shape.input_size, false);
  sgemm(true, false, shape.input_size, gate_width, rows, x, shape.input_size, gate_gradients.data(), gate_width,
        kernel_gradient, gate_width, false);
  // Step t's recurrent product read h_{t-1}; step 0 read the zero initial state and adds nothing.
  sgemm(true, false, h, gate_width, rows - shape.batch, views.hidden, h, gate_gradients.data() + shape.batch * gate_width,
        gate_width, recurrent_kernel_gradient, gate_width, false);

  std::fill(bias_gradient, bias_gradient + gate_width, 0.0f);
  for (int r = 0; r < rows; ++r) {
    const float* row = gate_gradients.data() + static_cast<long>(r) * gate_width;
    for (int j = 0; j < gate_width; ++j) bias_gradient[j] += row[j];
  }
}

}  // namespace lstm_native
