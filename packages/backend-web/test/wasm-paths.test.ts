import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { initWebBackend } from '../src/index.js';

/** Folder with the `.wasm` files that `@tensorflow/tfjs-backend-wasm` 4.22 ships next to its Node bundle. */
const packageWasmFolder = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

let copyFolder: string;

beforeAll(async () => {
  copyFolder = await mkdtemp(join(tmpdir(), 'backend-web-wasm-'));
  const wasmFiles = (await readdir(packageWasmFolder)).filter((name) => name.endsWith('.wasm'));
  for (const name of wasmFiles) {
    await copyFile(join(packageWasmFolder, name), join(copyFolder, name));
  }
});

afterAll(async () => {
  await rm(copyFolder, { recursive: true, force: true });
});

describe('initWebBackend wasmPaths', () => {
  it('loads the .wasm files from the given folder', async () => {
    const selection = await initWebBackend('wasm', { wasmPaths: `${copyFolder}/` });

    expect(selection.name).toBe('wasm');
    const product = tf.matMul(tf.tensor2d([[2]]), tf.tensor2d([[3]]));
    expect(Array.from(await product.data())).toEqual([6]);
  });
});
