import type * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import type { NativeAddon } from './addon.js';

/** Name under which the backend registers with tfjs-core; `tf.getBackend()` returns it. */
export const NATIVE_CPU_BACKEND_NAME = 'native-cpu';

type DataId = object;

/** Free workspaces kept for reuse: one per layer of a 4-layer model. */
const MAX_FREE_WORKSPACES = 4;

/**
 * The plain JavaScript CPU backend of `@tensorflow/tfjs-backend-cpu` with a native addon for the hot
 * kernels. Tensors live in JavaScript typed arrays as in `MathBackendCPU`, so every kernel that the
 * addon does not replace runs unchanged.
 */
export class NativeCpuBackend extends MathBackendCPU {
  readonly addon: NativeAddon;

  /** Forward activations of fused LSTM calls, by the data id of each call's output, until the backward call. */
  private readonly lstmWorkspaces = new Map<DataId, Float32Array>();

  /** Workspaces whose backward call is done, ready for reuse by the next forward call. */
  private readonly freeWorkspaces: Float32Array[] = [];

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    // MathBackendCPU prints a one-time advice to install tfjs-node on its first write in Node,
    // which is wrong for this backend. The flag is private in tfjs-backend-cpu 4.22.
    Object.assign(this, { firstUse: false });
  }

  /** Keeps the forward activations of the LSTM call whose output is `outputId`, for its backward call. */
  keepLSTMWorkspace(outputId: DataId, workspace: Float32Array): void {
    this.lstmWorkspaces.set(outputId, workspace);
  }

  /** Removes and returns the activations kept for `outputId`, or undefined when none were kept. */
  takeLSTMWorkspace(outputId: DataId): Float32Array | undefined {
    const workspace = this.lstmWorkspaces.get(outputId);
    this.lstmWorkspaces.delete(outputId);
    return workspace;
  }

  /**
   * Returns a workspace of `length` floats, reusing one that a backward call released. The
   * contents are undefined, since the forward kernel overwrites every element. Reuse spares the
   * garbage collector several megabytes per training step.
   */
  allocateLSTMWorkspace(length: number): Float32Array {
    const index = this.freeWorkspaces.findIndex((workspace) => workspace.length === length);
    if (index < 0) return new Float32Array(length);
    return this.freeWorkspaces.splice(index, 1)[0] as Float32Array;
  }

  /** Hands a workspace that no kernel reads any more back for reuse; at most a few are kept. */
  releaseLSTMWorkspace(workspace: Float32Array): void {
    if (this.freeWorkspaces.length < MAX_FREE_WORKSPACES) this.freeWorkspaces.push(workspace);
  }

  /** Number of LSTM workspaces kept, for tests of memory release. */
  keptLSTMWorkspaces(): number {
    return this.lstmWorkspaces.size;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const released = super.disposeData(dataId, force);
    if (released) this.lstmWorkspaces.delete(dataId);
    return released;
  }

  override dispose(): void {
    this.lstmWorkspaces.clear();
    this.freeWorkspaces.length = 0;
    super.dispose();
  }
}

/** Float32 values of a tensor on this backend, copied only when the backend stores another array type. */
export function float32Values(backend: NativeCpuBackend, tensor: tf.TensorInfo): Float32Array {
  const values = backend.data.get(tensor.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}
