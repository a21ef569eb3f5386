import { afterAll, describe, expect, it } from 'vitest';

import { type NativeAddon, type NativeIsa, loadNativeAddon } from '../src/index.js';

const status = loadNativeAddon();
if (!status.loaded) {
  throw new Error(`These tests need the native addon: ${status.reason}; ${status.buildHint}`);
}
const addon: NativeAddon = status.addon;
const initialInfo = addon.info();

/** Deterministic values in [-1, 1) from a linear congruential generator. */
function randomMatrix(size: number, seed: number): Float32Array {
  const values = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** op(a) * op(b) in float64, the reference for the addon's float32 result. */
function naiveProduct(transposeA: boolean, transposeB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const left = transposeA ? a[p * m + i] : a[i * k + p];
        const right = transposeB ? b[j * k + p] : b[p * n + j];
        sum += (left as number) * (right as number);
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

function maxAbsDifference(actual: Float32Array, expected: Float64Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return max;
}

const SHAPES: ReadonlyArray<[number, number, number]> = [
  [1, 1, 1],
  [3, 17, 5],
  [65, 129, 257],
];
const TRANSPOSES: ReadonlyArray<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const ISAS: NativeIsa[] = ['portable', 'avx2', 'avx512'];
const supportedIsas = ISAS.filter((isa) => ISAS.indexOf(isa) <= ISAS.indexOf(initialInfo.bestIsa));

afterAll(() => {
  addon.setIsa(initialInfo.isa);
  addon.setThreads(initialInfo.threads);
});

describe.each(supportedIsas)('sgemm with the %s micro-kernel', (isa) => {
  it.each(SHAPES.flatMap((shape) => TRANSPOSES.map((transposes) => [...shape, ...transposes] as const)))(
    'matches the naive product for %i x %i x %i, transposeA=%s, transposeB=%s',
    (m, n, k, transposeA, transposeB) => {
      expect(addon.setIsa(isa)).toBe(true);
      const a = randomMatrix(m * k, m + 7 * k);
      const b = randomMatrix(k * n, n + 13 * k);
      const c = new Float32Array(m * n);

      addon.sgemm(transposeA, transposeB, m, n, k, a, b, c, false);

      // float32 sums of k products of values below 1: the error grows about like sqrt(k) * 2^-24.
      expect(maxAbsDifference(c, naiveProduct(transposeA, transposeB, m, n, k, a, b))).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
    },
  );

  it('adds to C when accumulating', () => {
    addon.setIsa(isa);
    const [m, n, k] = [9, 33, 300];
    const a = randomMatrix(m * k, 1);
    const b = randomMatrix(k * n, 2);
    const c = new Float32Array(m * n).fill(2);

    addon.sgemm(false, false, m, n, k, a, b, c, true);

    const expected = naiveProduct(false, false, m, n, k, a, b).map((value) => value + 2);
    expect(maxAbsDifference(c, expected)).toBeLessThan(1e-4);
  });
});

describe('sgemm', () => {
  // k * n is above the addon's 2^16 elements for packing B on several threads.
  it('gives bit-identical results on 1 and 2 threads', () => {
    const [m, n, k] = [130, 270, 300];
    const a = randomMatrix(m * k, 3);
    const b = randomMatrix(k * n, 4);
    const single = new Float32Array(m * n);
    const double = new Float32Array(m * n);

    addon.setThreads(1);
    addon.sgemm(false, true, m, n, k, a, b, single, false);
    addon.setThreads(2);
    addon.sgemm(false, true, m, n, k, a, b, double, false);

    expect(Buffer.from(double.buffer).equals(Buffer.from(single.buffer))).toBe(true);
    expect(maxAbsDifference(double, naiveProduct(false, true, m, n, k, a, b))).toBeLessThan(1e-5 * Math.sqrt(k) + 1e-6);
  });

  it('writes zeros for an empty inner dimension', () => {
    const c = new Float32Array(6).fill(5);
    addon.sgemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), c, false);
    expect([...c]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects an operand shorter than its shape', () => {
    expect(() => addon.sgemm(false, false, 2, 2, 2, new Float32Array(3), new Float32Array(4), new Float32Array(4), false)).toThrow(
      'a has 3 elements, expected at least 4',
    );
  });

  it('rejects an operand that is not a Float32Array', () => {
    const wrong = new Float64Array(4) as unknown as Float32Array;
    expect(() => addon.sgemm(false, false, 2, 2, 2, new Float32Array(4), wrong, new Float32Array(4), false)).toThrow(
      'b must be a Float32Array',
    );
  });

  it('rejects a negative size', () => {
    expect(() => addon.sgemm(false, false, -1, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(4), false)).toThrow(
      'm is -1, expected at least 0',
    );
  });

  it('rejects an unknown instruction set', () => {
    expect(() => addon.setIsa('sse9' as NativeIsa)).toThrow("unknown instruction set 'sse9'");
  });
});
