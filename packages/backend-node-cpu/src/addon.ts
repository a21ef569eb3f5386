import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Instruction sets with a GEMM micro-kernel in the addon. */
export type NativeIsa = 'portable' | 'avx2' | 'avx512';

/** Instruction sets and thread count that the addon reports. */
export interface NativeAddonInfo {
  /** Micro-kernel in use. */
  isa: NativeIsa;
  /** Fastest micro-kernel this CPU supports, detected at load. */
  bestIsa: NativeIsa;
  /** Threads, the calling one included, that large products are split across. */
  threads: number;
}

/**
 * Functions of the compiled addon (`native/addon.cc`). Matrices are row-major Float32Arrays that
 * the caller allocates; the addon only reads and writes them, and checks each one's length.
 */
export interface NativeAddon {
  /** `c[m, n] = op(a) * op(b)`, plus the old `c` when `accumulate`; `op` transposes when its flag is set. */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  lstmForward(
    x: Float32Array,
    kernel: Float32Array,
    recurrentKernel: Float32Array,
    bias: Float32Array,
    output: Float32Array,
    workspace: Float32Array,
    time: number,
    batch: number,
    inputSize: number,
    hiddenSize: number,
    returnSequences: boolean,
  ): void;
  lstmBackward(
    dy: Float32Array,
    x: Float32Array,
    kernel: Float32Array,
    recurrentKernel: Float32Array,
    workspace: Float32Array,
    dx: Float32Array,
    dKernel: Float32Array,
    dRecurrentKernel: Float32Array,
    dBias: Float32Array,
    time: number,
    batch: number,
    inputSize: number,
    hiddenSize: number,
    returnSequences: boolean,
  ): void;
  /**
   * One Adam update of `variable` into the `out` arrays, all of the variable's length; the inputs are
   * not changed. The scalars follow `FusedAdamAttrs` of `@lstm-mnist/train` and are rounded to float32.
   */
  adamUpdate(
    variable: Float32Array,
    gradient: Float32Array,
    firstMoment: Float32Array,
    secondMoment: Float32Array,
    outVariable: Float32Array,
    outFirstMoment: Float32Array,
    outSecondMoment: Float32Array,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    biasCorrection2Sqrt: number,
    epsilon: number,
  ): void;
  info(): NativeAddonInfo;
  /** Selects a micro-kernel; returns false, changing nothing, when the CPU lacks that instruction set. */
  setIsa(isa: NativeIsa): boolean;
  /** Sets the thread count, 1 or more. */
  setThreads(count: number): void;
}

/** Result of loading the addon: the addon, or why it is unavailable and how to build it. */
export type NativeAddonStatus =
  | { loaded: true; addon: NativeAddon; path: string }
  | { loaded: false; reason: string; buildHint: string; path: string };

/**
 * Floats of the workspace that `lstmForward` fills for `lstmBackward`: the activated gates
 * `[time * batch, 4H]`, the cell state and its tanh, each `[time * batch, H]`, and the hidden states
 * after a zero initial state, `[(time + 1) * batch, H]`.
 */
export function lstmWorkspaceLength(time: number, batch: number, hiddenSize: number): number {
  return (7 * time + 1) * batch * hiddenSize;
}

/** The addon as node-gyp builds it; `src/` and `dist/` are both one folder below the package root. */
const ADDON_URL = new URL('../build/Release/lstm_native.node', import.meta.url);

/** Command that builds the addon from the workspace root; the root `postinstall` runs the same. */
export const NATIVE_BUILD_COMMAND = 'npm run build:native';

const BUILD_REQUIREMENTS = 'a C++17 compiler, make and Python 3';

let cachedStatus: NativeAddonStatus | undefined;

/** Loads the compiled addon once and returns it, or the reason it is unavailable. Never throws. */
export function loadNativeAddon(): NativeAddonStatus {
  cachedStatus ??= tryLoad();
  return cachedStatus;
}

function tryLoad(): NativeAddonStatus {
  const path = fileURLToPath(ADDON_URL);
  const buildHint = `build it with ${NATIVE_BUILD_COMMAND} (needs ${BUILD_REQUIREMENTS})`;
  if (!existsSync(path)) {
    return { loaded: false, reason: `the native addon is not built: ${path} does not exist`, buildHint, path };
  }

  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    return { loaded: true, addon, path };
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    return { loaded: false, reason: `the native addon ${path} failed to load: ${detail}`, buildHint: `re${buildHint}`, path };
  }
}
