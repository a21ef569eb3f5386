import { describe, expect, test } from 'vitest';

import { describeSelection, parseBackendChoice, previewBackendChoice } from '../src/backend-choice.js';

const everything = { webgpu: true, webgl: true, crossOriginIsolated: true, webAssembly: true, sharedArrayBuffer: true };

describe('previewBackendChoice', () => {
  test('auto tries WebGPU, WebGL, WASM, then CPU', () => {
    expect(previewBackendChoice(everything, 'auto').order).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });

  test('auto skips missing WebGPU and WebGL', () => {
    const preview = previewBackendChoice({ ...everything, webgpu: false, webgl: false }, 'auto');

    expect(preview.order).toEqual(['wasm', 'cpu']);
    expect(preview.skipped).toHaveLength(2);
    expect(preview.skipped[0]).toMatch(/^webgpu: /);
  });

  test('WASM gets threads only when cross-origin isolated', () => {
    expect(previewBackendChoice(everything, 'wasm').wasmThreads).toBe(true);
    expect(previewBackendChoice({ ...everything, crossOriginIsolated: false, sharedArrayBuffer: false }, 'wasm').wasmThreads).toBe(false);
  });

  test('forced backend lists only itself', () => {
    expect(previewBackendChoice(everything, 'webgl').order).toEqual(['webgl']);
  });

  test('forced backend without its feature lists nothing', () => {
    expect(previewBackendChoice({ ...everything, webgpu: false }, 'webgpu').order).toEqual([]);
  });
});

describe('parseBackendChoice', () => {
  test('accepts each backend name', () => {
    for (const name of ['auto', 'webgpu', 'webgl', 'wasm', 'cpu']) expect(parseBackendChoice(name)).toBe(name);
  });

  test('falls back to auto for unknown values', () => {
    expect(parseBackendChoice('tensorflow')).toBe('auto');
    expect(parseBackendChoice(null)).toBe('auto');
  });
});

describe('describeSelection', () => {
  test('names WASM threads and SIMD', () => {
    const selection = { name: 'wasm', tfjsBackend: 'wasm', fallbacks: [], wasm: { simd: true, threads: 4 } } as const;

    expect(describeSelection({ ...selection, fallbacks: [] })).toBe('wasm (SIMD, 4 threads)');
  });

  test('names other backends alone', () => {
    expect(describeSelection({ name: 'webgl', tfjsBackend: 'webgl', fallbacks: [] })).toBe('webgl');
  });
});
