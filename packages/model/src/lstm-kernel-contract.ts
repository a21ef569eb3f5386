/**
 * Contract of the optional fused LSTM kernels. A backend that registers both kernels under these
 * names runs each LSTM layer of `LSTMModel` as one kernel call forward and one backward; on any
 * other backend the model composes the layer from core ops. Weights use the matmul layout of
 * `LSTMLayerWeights`, gate blocks ordered input, forget, cell candidate, output.
 */

/**
 * Forward kernel. Inputs: `input` float32 time-major rows `[time * batch, in]`, `kernel` `[in, 4H]`,
 * `recurrentKernel` `[H, 4H]`, `biasIh` and `biasHh` `[4H]`. Attributes: `LSTMSequenceAttrs`.
 * Output: every step's hidden state `[time * batch, H]` with `returnSequences`, else the last `[batch, H]`.
 */
export const LSTM_SEQUENCE_KERNEL = 'LSTMSequence';

/**
 * Backward kernel. Inputs: `dy` (shaped like the forward output), the five forward inputs under the
 * same names, and `output`, the forward kernel's own output tensor, which lets a backend find what it
 * kept from that forward call. Attributes: those of the forward call. Outputs, in order: gradients of
 * `input`, `kernel`, `recurrentKernel`, `biasIh` and `biasHh`.
 */
export const LSTM_SEQUENCE_GRAD_KERNEL = 'LSTMSequenceGrad';

/** Attributes of both fused LSTM kernels. */
export interface LSTMSequenceAttrs {
  /** Time steps in the input rows. */
  time: number;
  /** Sequences per step. */
  batch: number;
  /** Whether the output is every step's hidden state or only the last step's. */
  returnSequences: boolean;
}
