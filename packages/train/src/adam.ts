import * as tf from '@tensorflow/tfjs-core';

import { FUSED_ADAM_KERNEL, type FusedAdamAttrs } from './adam-kernel-contract.js';

/** Adam's default learning rate, as in PyTorch's `torch.optim.Adam`. */
export const DEFAULT_LEARNING_RATE = 0.001;
/** Decay rate of the first-moment (mean) estimate. */
export const DEFAULT_ADAM_BETA1 = 0.9;
/** Decay rate of the second-moment (uncentred variance) estimate. */
export const DEFAULT_ADAM_BETA2 = 0.999;
/**
 * Term added to the denominator, PyTorch's default. tfjs's own `tf.train.adam` defaults to the
 * backend epsilon (1e-7 for float32 in tfjs 4.22), which changes updates of small gradients.
 */
export const DEFAULT_ADAM_EPSILON = 1e-8;

/** Hyperparameters of {@link Adam}; each field falls back to the default constant named beside it. */
export interface AdamOptions {
  /** Learning rate, at least 0. Default {@link DEFAULT_LEARNING_RATE}. */
  lr?: number;
  /** First-moment decay in [0, 1). Default {@link DEFAULT_ADAM_BETA1}. */
  beta1?: number;
  /** Second-moment decay in [0, 1). Default {@link DEFAULT_ADAM_BETA2}. */
  beta2?: number;
  /** Denominator term, at least 0. Default {@link DEFAULT_ADAM_EPSILON}. */
  epsilon?: number;
}

/** Snapshot of Adam's state, for checkpoints. Moment tensors are in the optimizer's variable order. */
export interface AdamState {
  /** Number of updates applied so far (PyTorch's `state['step']`). */
  stepCount: number;
  /** First-moment estimates (PyTorch's `exp_avg`), float32, one per variable with its shape. */
  firstMoments: tf.Tensor[];
  /** Second-moment estimates (PyTorch's `exp_avg_sq`), float32, one per variable with its shape. */
  secondMoments: tf.Tensor[];
}

/**
 * Adam optimizer that follows PyTorch's `torch.optim.Adam` update (no weight decay, no AMSGrad):
 *
 *     m = beta1 * m + (1 - beta1) * g
 *     v = beta2 * v + (1 - beta2) * g^2
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 *
 * where t is the 1-based step count. The moments start at zero. The optimizer owns its moment
 * tensors, so call {@link Adam.dispose} when done. It never disposes the variables it updates.
 */
export class Adam {
  readonly variables: readonly tf.Variable[];
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  private readonly firstMoments: tf.Variable[];
  private readonly secondMoments: tf.Variable[];
  private steps = 0;
  private disposed = false;

  /**
   * @param variables the float32 parameters to update, in the order that {@link Adam.step} takes gradients.
   * @throws TypeError when the list is empty, repeats a variable or contains a non-float32 variable.
   * @throws RangeError when a hyperparameter is out of range.
   */
  constructor(variables: tf.Variable[], options: AdamOptions = {}) {
    validateVariables(variables);
    this.lr = checkNumberOption('lr', options.lr ?? DEFAULT_LEARNING_RATE, 0, Infinity);
    this.beta1 = checkNumberOption('beta1', options.beta1 ?? DEFAULT_ADAM_BETA1, 0, 1);
    this.beta2 = checkNumberOption('beta2', options.beta2 ?? DEFAULT_ADAM_BETA2, 0, 1);
    this.epsilon = checkNumberOption('epsilon', options.epsilon ?? DEFAULT_ADAM_EPSILON, 0, Infinity);

    this.variables = [...variables];
    this.firstMoments = variables.map((variable) => createZeroMoment(variable));
    this.secondMoments = variables.map((variable) => createZeroMoment(variable));
  }

  /** Number of updates applied so far (0 before the first {@link Adam.step}). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Applies one Adam update to every variable.
   *
   * @param gradients one float32 gradient per variable, in the order of `variables`, each with its
   *   variable's shape. The caller keeps ownership of them.
   * @throws RangeError when the count, a shape or a dtype does not match.
   * @throws Error after {@link Adam.dispose}.
   */
  step(gradients: readonly tf.Tensor[]): void {
    this.assertNotDisposed('step');
    this.validateTensors('step', 'gradients', gradients);

    const t = this.steps + 1;
    const attrs: FusedAdamAttrs = {
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      stepSize: this.lr / (1 - this.beta1 ** t),
      biasCorrection2Sqrt: Math.sqrt(1 - this.beta2 ** t),
      epsilon: this.epsilon,
    };
    const fused = tf.getKernel(FUSED_ADAM_KERNEL, tf.getBackend()) !== undefined;

    tf.tidy(() => {
      this.variables.forEach((variable, index) => {
        const gradient = gradients[index] as tf.Tensor;
        const firstMoment = this.firstMoments[index] as tf.Variable;
        const secondMoment = this.secondMoments[index] as tf.Variable;
        const [updated, m, v] = fused
          ? tf.engine().runKernel<tf.Tensor[]>(FUSED_ADAM_KERNEL, { variable, gradient, firstMoment, secondMoment }, { ...attrs })
          : adamUpdateOps(variable, gradient, firstMoment, secondMoment, attrs);

        firstMoment.assign(m as tf.Tensor);
        secondMoment.assign(v as tf.Tensor);
        variable.assign(updated as tf.Tensor);
      });
    });
    this.steps = t;
  }

  /** Returns copies of the step count and moments. The caller disposes the returned tensors. */
  getState(): AdamState {
    this.assertNotDisposed('getState');

    return {
      stepCount: this.steps,
      firstMoments: this.firstMoments.map((moment) => tf.clone(moment)),
      secondMoments: this.secondMoments.map((moment) => tf.clone(moment)),
    };
  }

  /**
   * Replaces the step count and moments, for example from a checkpoint written by {@link Adam.getState}.
   * The values are copied, so the caller keeps ownership of `state`'s tensors.
   *
   * @throws RangeError when the step count is not a non-negative integer, or a moment count, shape
   *   or dtype does not match the variables.
   */
  setState(state: AdamState): void {
    this.assertNotDisposed('setState');
    if (!Number.isInteger(state.stepCount) || state.stepCount < 0) {
      throw new RangeError(`Adam.setState: stepCount must be a non-negative integer, got ${state.stepCount}.`);
    }
    this.validateTensors('setState', 'firstMoments', state.firstMoments);
    this.validateTensors('setState', 'secondMoments', state.secondMoments);

    state.firstMoments.forEach((moment, index) => this.firstMoments[index]?.assign(moment));
    state.secondMoments.forEach((moment, index) => this.secondMoments[index]?.assign(moment));
    this.steps = state.stepCount;
  }

  /** Frees the moment tensors. Later calls other than `dispose` throw. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.firstMoments.forEach((moment) => moment.dispose());
    this.secondMoments.forEach((moment) => moment.dispose());
    this.disposed = true;
  }

  private validateTensors(method: string, what: string, tensors: readonly tf.Tensor[]): void {
    if (tensors.length !== this.variables.length) {
      throw new RangeError(
        `Adam.${method}: expected ${this.variables.length} ${what} (one per variable), got ${tensors.length}.`,
      );
    }
    tensors.forEach((tensor, index) => {
      const variable = this.variables[index] as tf.Variable;
      if (!tf.util.arraysEqual(tensor.shape, variable.shape)) {
        throw new RangeError(
          `Adam.${method}: ${what}[${index}] has shape [${tensor.shape.join(', ')}] but variable ` +
            `'${variable.name}' has shape [${variable.shape.join(', ')}].`,
        );
      }
      if (tensor.dtype !== 'float32') {
        throw new RangeError(`Adam.${method}: ${what}[${index}] must be float32, got ${tensor.dtype}.`);
      }
    });
  }

  private assertNotDisposed(method: string): void {
    if (this.disposed) {
      throw new Error(`Adam.${method}: the optimizer has been disposed. Create a new Adam instead.`);
    }
  }
}

function validateVariables(variables: readonly tf.Variable[]): void {
  if (variables.length === 0) {
    throw new TypeError("Adam: the variable list is empty. Pass the model's trainable variables.");
  }

  const seen = new Set<tf.Variable>();
  variables.forEach((variable, index) => {
    if (!(variable instanceof tf.Variable)) {
      throw new TypeError(`Adam: variables[${index}] is not a tf.Variable.`);
    }
    if (variable.dtype !== 'float32') {
      throw new TypeError(`Adam: variable '${variable.name}' must be float32, got ${variable.dtype}.`);
    }
    if (seen.has(variable)) {
      throw new TypeError(`Adam: variable '${variable.name}' appears more than once in the list.`);
    }
    seen.add(variable);
  });
}

/** One variable's update from core ops, in the order that {@link FusedAdamAttrs} gives; returns [variable, m, v]. */
function adamUpdateOps(
  variable: tf.Tensor,
  gradient: tf.Tensor,
  firstMoment: tf.Tensor,
  secondMoment: tf.Tensor,
  attrs: FusedAdamAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const m = tf.add(tf.mul(firstMoment, attrs.beta1), tf.mul(gradient, attrs.oneMinusBeta1));
  const v = tf.add(tf.mul(secondMoment, attrs.beta2), tf.mul(tf.square(gradient), attrs.oneMinusBeta2));
  const denominator = tf.add(tf.div(tf.sqrt(v), attrs.biasCorrection2Sqrt), attrs.epsilon);
  // Same operation order as PyTorch's addcdiv(m, denominator, value=-stepSize).
  const update = tf.div(tf.mul(m, attrs.stepSize), denominator);
  return [tf.sub(variable, update), m, v];
}

/** Creates a non-trainable zero variable shaped like `variable`. The tidy frees the temporary zeros. */
function createZeroMoment(variable: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
}

/** Checks `min <= value < max` (or `value >= min` when max is Infinity) and returns the value. */
function checkNumberOption(name: string, value: number, min: number, max: number): number {
  const inRange = Number.isFinite(value) && value >= min && value < max;
  if (!inRange) {
    const range = max === Infinity ? `a finite number >= ${min}` : `in [${min}, ${max})`;
    throw new RangeError(`Adam: ${name} must be ${range}, got ${value}.`);
  }

  return value;
}
