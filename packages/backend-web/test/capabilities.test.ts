import { describe, expect, it } from 'vitest';

import { detectWebCapabilities } from '../src/index.js';

describe('detectWebCapabilities', () => {
  it('finds nothing in an empty scope', () => {
    expect(detectWebCapabilities({})).toEqual({
      webgpu: false,
      webgl: false,
      crossOriginIsolated: false,
      webAssembly: false,
      sharedArrayBuffer: false,
    });
  });

  it('finds everything in an isolated GPU page', () => {
    const scope = {
      navigator: { gpu: {} },
      WebGL2RenderingContext: class {},
      crossOriginIsolated: true,
      WebAssembly: {},
      SharedArrayBuffer: class {},
    };

    expect(detectWebCapabilities(scope)).toEqual({
      webgpu: true,
      webgl: true,
      crossOriginIsolated: true,
      webAssembly: true,
      sharedArrayBuffer: true,
    });
  });

  it('accepts WebGL 1 alone', () => {
    expect(detectWebCapabilities({ WebGLRenderingContext: class {} }).webgl).toBe(true);
  });

  it('treats a navigator without gpu as no WebGPU', () => {
    expect(detectWebCapabilities({ navigator: {} }).webgpu).toBe(false);
  });

  it('reads Node globals as WASM only', () => {
    const capabilities = detectWebCapabilities();

    expect(capabilities).toEqual({
      webgpu: false,
      webgl: false,
      crossOriginIsolated: false,
      webAssembly: true,
      sharedArrayBuffer: true,
    });
  });
});
