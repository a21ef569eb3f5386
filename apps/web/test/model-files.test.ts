import { describe, expect, test } from 'vitest';

import { artifactsFromFiles, ModelFileError } from '../src/model-files.js';

const encoder = new TextEncoder();

function modelJson(shape: number[] = [2, 3]): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      modelTopology: { class_name: 'Sequential' },
      format: 'layers-model',
      weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'dense/kernel', shape, dtype: 'float32' }] }],
    }),
  );
}

function rejection(run: () => unknown): ModelFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ModelFileError) return error;
    throw error;
  }
  throw new Error('expected a ModelFileError');
}

describe('artifactsFromFiles', () => {
  test('accepts weights of the described size', () => {
    const artifacts = artifactsFromFiles([
      { name: 'model.json', bytes: modelJson() },
      { name: 'weights.bin', bytes: new Uint8Array(24) },
    ]);

    expect(artifacts.weightSpecs).toHaveLength(1);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(24);
  });

  test('names a truncated weights file', () => {
    const error = rejection(() => artifactsFromFiles([{ name: 'model.json', bytes: modelJson() }, { name: 'weights.bin', bytes: new Uint8Array(10) }]));

    expect(error.file).toBe('weights.bin');
    expect(error.message).toBe('weights.bin: has 10 bytes, but model.json describes 24 bytes of weights, so the file is truncated or belongs to another model');
  });

  test('names a model.json that is not JSON', () => {
    const error = rejection(() => artifactsFromFiles([{ name: 'model.json', bytes: encoder.encode('{"modelTop') }, { name: 'weights.bin', bytes: new Uint8Array(24) }]));

    expect(error.file).toBe('model.json');
    expect(error.message).toMatch(/^model\.json: is not valid JSON/);
  });

  test('rejects JSON without a topology', () => {
    const error = rejection(() => artifactsFromFiles([{ name: 'model.json', bytes: encoder.encode('{"weightsManifest":[]}') }]));

    expect(error.message).toContain('has no modelTopology');
  });

  test('asks for the missing weights file', () => {
    const error = rejection(() => artifactsFromFiles([{ name: 'model.json', bytes: modelJson() }]));

    expect(error.message).toContain('its weights file is missing (weights.bin)');
  });

  test('asks for model.json when only weights are picked', () => {
    const error = rejection(() => artifactsFromFiles([{ name: 'weights.bin', bytes: new Uint8Array(24) }]));

    expect(error.message).toContain('no .json file among the picked files');
  });
});
