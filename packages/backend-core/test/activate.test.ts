import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { activateBackend } from '../src/index.js';

/** A backend with no kernels, so that activation can succeed without loading a real backend package. */
class StubBackend extends tf.KernelBackend {
  override dispose(): void {}
}

const registeredNames: string[] = [];

/** Registers a factory under a name that no other test uses, and removes it after the test. */
function registerTestBackend(name: string, factory: () => tf.KernelBackend | Promise<tf.KernelBackend>): string {
  const uniqueName = `test-${name}-${registeredNames.length}`;
  tf.registerBackend(uniqueName, factory);
  registeredNames.push(uniqueName);
  return uniqueName;
}

beforeAll(() => {
  // tfjs-core prints each failed initialisation with console.warn unless IS_TEST or PROD is set.
  tf.env().set('IS_TEST', true);
});

afterEach(() => {
  for (const name of registeredNames.splice(0)) tf.removeBackend(name);
});

describe('activateBackend', () => {
  it('activates a backend whose factory succeeds', async () => {
    const name = registerTestBackend('stub', () => new StubBackend());

    const result = await activateBackend(name);

    expect(result).toEqual({ ok: true });
    expect(tf.getBackend()).toBe(name);
  });

  it('keeps a synchronous factory error as the reason', async () => {
    const failure = new Error('WebGL context lost');
    const name = registerTestBackend('throws', () => {
      throw failure;
    });

    const result = await activateBackend(name);

    expect(result).toEqual({
      ok: false,
      reason: `initialising the '${name}' backend failed: WebGL context lost`,
      cause: failure,
    });
  });

  it('keeps an asynchronous rejection as the reason', async () => {
    // The WASM loader rejects with a plain `{ message }` object rather than an Error.
    const failure = { message: 'WebAssembly.instantiate(): out of memory' };
    const name = registerTestBackend('rejects', () => Promise.reject(failure));

    const result = await activateBackend(name);

    expect(result).toEqual({
      ok: false,
      reason: `initialising the '${name}' backend failed: WebAssembly.instantiate(): out of memory`,
      cause: failure,
    });
  });

  it('restores the registered factory after a failure', async () => {
    const factory = (): tf.KernelBackend => {
      throw new Error('no adapter');
    };
    const name = registerTestBackend('restore', factory);

    await activateBackend(name);

    expect(tf.engine().registryFactory[name]?.factory).toBe(factory);
  });

  it('reuses a backend that is already initialised', async () => {
    let factoryCalls = 0;
    const name = registerTestBackend('reuse', () => {
      factoryCalls += 1;
      return new StubBackend();
    });

    await activateBackend(name);
    const second = await activateBackend(name);

    expect(second).toEqual({ ok: true });
    expect(factoryCalls).toBe(1);
  });

  it('reports a name that is not registered', async () => {
    const result = await activateBackend('missing-backend');

    expect(result).toEqual({
      ok: false,
      reason: "no backend named 'missing-backend' is registered with @tensorflow/tfjs-core",
    });
  });
});
