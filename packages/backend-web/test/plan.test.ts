import { describe, expect, it } from 'vitest';

import { type WebCapabilities, planWebBackends } from '../src/index.js';

const EVERYTHING: WebCapabilities = { webgpu: true, webgl: true, crossOriginIsolated: true };
const NOTHING: WebCapabilities = { webgpu: false, webgl: false, crossOriginIsolated: false, webAssembly: false };

describe('planWebBackends under auto', () => {
  it('orders webgpu, webgl, wasm, cpu', () => {
    expect(planWebBackends(EVERYTHING).candidates).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('skips webgpu without navigator.gpu', () => {
    const plan = planWebBackends({ ...EVERYTHING, webgpu: false });

    expect(plan.candidates).toEqual(['webgl', 'wasm', 'cpu']);
    expect(plan.skipped).toEqual([
      { name: 'webgpu', reason: 'navigator.gpu is missing, so this browser does not expose WebGPU' },
    ]);
  });

  it('keeps webgpu without webgl', () => {
    expect(planWebBackends({ ...EVERYTHING, webgl: false }).candidates).toEqual(['webgpu', 'wasm', 'cpu']);
  });

  it('falls to wasm and cpu without GPU APIs', () => {
    const plan = planWebBackends({ webgpu: false, webgl: false, crossOriginIsolated: false });

    expect(plan.candidates).toEqual(['wasm', 'cpu']);
    expect(plan.skipped.map((entry) => entry.name)).toEqual(['webgpu', 'webgl']);
  });

  it('leaves only cpu without WebAssembly', () => {
    const plan = planWebBackends(NOTHING);

    expect(plan.candidates).toEqual(['cpu']);
    expect(plan.skipped.map((entry) => entry.reason)).toContain('WebAssembly is missing');
  });
});

describe('planWebBackends WASM threads', () => {
  it('expects threads on a cross-origin isolated page', () => {
    expect(planWebBackends(EVERYTHING).wasmThreads).toBe(true);
  });

  it('expects no threads without cross-origin isolation', () => {
    expect(planWebBackends({ ...EVERYTHING, crossOriginIsolated: false }).wasmThreads).toBe(false);
  });

  it('expects no threads without SharedArrayBuffer', () => {
    expect(planWebBackends({ ...EVERYTHING, sharedArrayBuffer: false }).wasmThreads).toBe(false);
  });

  it('expects no threads without WebAssembly', () => {
    expect(planWebBackends({ ...EVERYTHING, webAssembly: false }).wasmThreads).toBe(false);
  });

  it('expects no threads with SharedArrayBuffer alone', () => {
    const capabilities = { webgpu: false, webgl: false, crossOriginIsolated: false, sharedArrayBuffer: true };

    expect(planWebBackends(capabilities).wasmThreads).toBe(false);
  });
});

describe('planWebBackends for a forced backend', () => {
  it('keeps only the forced backend', () => {
    const plan = planWebBackends(EVERYTHING, 'webgl');

    expect(plan.candidates).toEqual(['webgl']);
    expect(plan.skipped).toEqual([]);
  });

  it('plans nothing for webgpu without navigator.gpu', () => {
    const plan = planWebBackends(NOTHING, 'webgpu');

    expect(plan.candidates).toEqual([]);
    expect(plan.skipped).toEqual([
      { name: 'webgpu', reason: 'navigator.gpu is missing, so this browser does not expose WebGPU' },
    ]);
  });

  it('always plans cpu', () => {
    expect(planWebBackends(NOTHING, 'cpu').candidates).toEqual(['cpu']);
  });

  it('rejects an unknown name listing valid ones', () => {
    expect(() => planWebBackends(EVERYTHING, 'webnn' as never)).toThrow(
      "Unknown backend 'webnn': expected one of auto, webgpu, webgl, wasm, cpu.",
    );
  });
});
