// Fused LSTM layer over a whole sequence, forward and backward, in PyTorch's nn.LSTM gate order
// (input, forget, cell candidate, output), from zero initial hidden and cell states.
#pragma once

namespace lstm_native {

/** Sizes of one LSTM layer run; rows are time-major, row t * batch + b is step t of sequence b. */
struct LstmShape {
  int time;
  int batch;
  int input_size;
  int hidden_size;
  bool return_sequences;
};

/**
 * Floats of the forward workspace: activated gates [T*B, 4H], cell and tanh(cell), each [T*B, H],
 * and the hidden states after a zero initial block, [(T+1)*B, H].
 */
long lstm_workspace_size(const LstmShape& shape);

/**
 * Runs the layer forward. `x` [T*B, in], `kernel` [in, 4H], `recurrent_kernel` [H, 4H], `bias` [4H]
 * (bias_ih + bias_hh). Writes `output`, [T*B, H] with return_sequences else the last step's [B, H],
 * and fills `workspace` for `lstm_backward`.
 */
void lstm_forward(const LstmShape& shape, const float* x, const float* kernel, const float* recurrent_kernel,
                  const float* bias, float* output, float* workspace);

/**
 * Backpropagates through time from `output_gradient` (shaped like the forward output), with the
 * workspace of the forward pass. Writes the gradients of x [T*B, in], kernel [in, 4H],
 * recurrent kernel [H, 4H] and the summed bias [4H].
 */
void lstm_backward(const LstmShape& shape, const float* output_gradient, const float* x, const float* kernel,
                   const float* recurrent_kernel, const float* workspace, float* x_gradient, float* kernel_gradient,
                   float* recurrent_kernel_gradient, float* bias_gradient);

}  // namespace lstm_native
