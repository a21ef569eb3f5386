/**
 * Contract of the optional fused Adam kernel. A backend that registers a kernel under this name
 * runs each variable's whole {@link Adam} update as one kernel call; on any other backend the
 * optimizer composes the update from core ops. Both paths follow the same formula and operation
 * order, so a backend that rounds each float32 operation correctly gives the same bits as the ops.
 */

/**
 * Kernel name. Inputs: `variable`, `gradient`, `firstMoment` and `secondMoment`, float32 tensors of
 * one shape. Attributes: {@link FusedAdamAttrs}. Outputs, in order: the updated variable, first moment
 * and second moment, each a new float32 tensor of that shape. The inputs are left unchanged.
 */
export const FUSED_ADAM_KERNEL = 'LstmMnistFusedAdam';

/**
 * Attributes of the fused Adam kernel, for step t (1-based). Each value enters the update as a
 * float32 scalar, as the op path's scalars do:
 *
 *     m' = m * beta1 + g * oneMinusBeta1
 *     v' = v * beta2 + (g * g) * oneMinusBeta2
 *     p' = p - (m' * stepSize) / (sqrt(v') / biasCorrection2Sqrt + epsilon)
 */
export interface FusedAdamAttrs {
  beta1: number;
  /** 1 - beta1, computed in float64 before rounding to float32. */
  oneMinusBeta1: number;
  beta2: number;
  /** 1 - beta2, computed in float64 before rounding to float32. */
  oneMinusBeta2: number;
  /** lr / (1 - beta1^t). */
  stepSize: number;
  /** sqrt(1 - beta2^t). */
  biasCorrection2Sqrt: number;
  epsilon: number;
}
