import { describe, expect, it } from 'vitest';

import { NODE_BACKENDS, describeNodeBackend, parseNodeBackendName } from '../src/index.js';

describe('parseNodeBackendName', () => {
  it('accepts every listed name', () => {
    for (const name of NODE_BACKENDS) {
      expect(parseNodeBackendName(name)).toBe(name);
    }
  });

  it('ignores case and surrounding spaces', () => {
    expect(parseNodeBackendName('  Node-GPU ')).toBe('node-gpu');
  });

  it('rejects an unknown name listing valid ones', () => {
    expect(() => parseNodeBackendName('cuda')).toThrow(RangeError);
    expect(() => parseNodeBackendName('cuda')).toThrow(
      "Unknown backend 'cuda': expected one of auto, node-gpu, node, native-cpu, wasm, cpu.",
    );
  });

  it('rejects an empty name', () => {
    expect(() => parseNodeBackendName('')).toThrow("Unknown backend ''");
  });
});

describe('describeNodeBackend', () => {
  it('names the package of each concrete backend', () => {
    expect(describeNodeBackend('node-gpu')).toContain('@tensorflow/tfjs-node-gpu');
    expect(describeNodeBackend('node')).toContain('@tensorflow/tfjs-node');
    expect(describeNodeBackend('wasm')).toContain('@tensorflow/tfjs-backend-wasm');
    expect(describeNodeBackend('cpu')).toContain('@tensorflow/tfjs-backend-cpu');
  });

  it('states the CUDA requirement of node-gpu', () => {
    expect(describeNodeBackend('node-gpu')).toContain('CUDA 11.2 and cuDNN 8.1');
  });

  it('starts each line with the backend name', () => {
    for (const name of NODE_BACKENDS) {
      expect(describeNodeBackend(name).startsWith(`${name}: `)).toBe(true);
    }
  });
});
