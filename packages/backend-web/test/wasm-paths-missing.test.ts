import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BackendUnavailableError, initWebBackend } from '../src/index.js';

let emptyFolder: string;

beforeAll(async () => {
  emptyFolder = await mkdtemp(join(tmpdir(), 'backend-web-empty-'));
});

afterAll(async () => {
  await rm(emptyFolder, { recursive: true, force: true });
});

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('initWebBackend wasmPaths without the files', () => {
  it('rejects a file map that lacks a binary', async () => {
    const error = await captureError(
      initWebBackend('wasm', { wasmPaths: { 'tfjs-backend-wasm.wasm': `${emptyFolder}/x.wasm` } }),
    );

    expect((error as Error).message).toContain('There were no entries found for the following binaries');
  });

  it('rejects forced wasm with the loader message', async () => {
    const error = await captureError(initWebBackend('wasm', { wasmPaths: `${emptyFolder}/` }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.reason).toContain("initialising the 'wasm' backend failed: Make sure the server can serve");
    expect(unavailable.installHint).toContain('the wasmPaths option');
  });

  it('explains why a retry cannot take new paths', async () => {
    const error = await captureError(initWebBackend('wasm', { wasmPaths: `${emptyFolder}/other/` }));

    expect((error as BackendUnavailableError).reason).toContain(
      'accepts new wasmPaths only before the first attempt',
    );
  });
});
