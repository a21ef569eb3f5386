import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensors,
  SafetensorsFormatError,
  type SafetensorsTensor,
  safetensorToTensor,
} from '../src/index.js';
import { readFixture } from './helpers.js';

/** Builds safetensors bytes from a header object and a data section, without any validation. */
function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

function parseError(bytes: Uint8Array): SafetensorsFormatError {
  try {
    parseSafetensors(bytes);
  } catch (error) {
    if (error instanceof SafetensorsFormatError) {
      return error;
    }
    throw error;
  }
  throw new Error('parseSafetensors accepted invalid bytes');
}

describe('parseSafetensors on the PyTorch fixture', () => {
  it('reads names, dtypes and shapes of the state dict', () => {
    const tensors = readFixture('model');

    expect([...tensors.keys()]).toEqual([
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'lstm.weight_ih_l1',
      'lstm.weight_hh_l1',
      'lstm.bias_ih_l1',
      'lstm.bias_hh_l1',
      'fc.weight',
      'fc.bias',
    ]);
    expect(tensors.get('lstm.weight_ih_l0')?.shape).toEqual([512, 28]);
    expect(tensors.get('lstm.weight_ih_l0')?.dtype).toBe('F32');
    expect(tensors.get('fc.weight')?.data).toBeInstanceOf(Float32Array);
  });

  it('reads I64 labels as Int32Array digits', () => {
    const labels = readFixture('batch').get('labels') as SafetensorsTensor;

    expect(labels.dtype).toBe('I64');
    expect(labels.data).toBeInstanceOf(Int32Array);
    expect(labels.shape).toEqual([8]);
    // The first eight MNIST test labels.
    expect(Array.from(labels.data)).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
  });

  it('reads normalised F32 images in MNIST range', () => {
    const images = readFixture('batch').get('images') as SafetensorsTensor;
    const values = Array.from(images.data);

    expect(images.shape).toEqual([8, 28, 28]);
    // (0 - 0.1307) / 0.3081 and (1 - 0.1307) / 0.3081.
    expect(Math.min(...values)).toBeCloseTo(-0.4242, 4);
    expect(Math.max(...values)).toBeCloseTo(2.8215, 4);
  });
});

describe('encodeSafetensors and decodeSafetensors', () => {
  const tensors = new Map<string, SafetensorsTensor>([
    ['f64', { dtype: 'F64', shape: [2], data: new Float64Array([0.1, -2.5e300]) }],
    ['f32', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 4]) }],
    ['i64', { dtype: 'I64', shape: [3], data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]) }],
    ['i32', { dtype: 'I32', shape: [1], data: new Int32Array([-7]) }],
    ['i16', { dtype: 'I16', shape: [1], data: new Int16Array([-300]) }],
    ['i8', { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) }],
    ['u8', { dtype: 'U8', shape: [1, 3], data: new Uint8Array([0, 128, 255]) }],
    ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([42]) }],
    ['empty', { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }],
  ]);

  it('round-trips every supported dtype', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { format: 'pt' }));

    expect(decoded.tensors).toEqual(tensors);
    expect(decoded.metadata).toEqual({ format: 'pt' });
  });

  it('reads tensors from a view into a larger buffer', () => {
    const encoded = encodeSafetensors(tensors);
    const padded = new Uint8Array(encoded.length + 3);
    padded.set(encoded, 3);

    expect(parseSafetensors(padded.subarray(3))).toEqual(tensors);
  });

  it('rejects data whose length does not fit the shape', () => {
    const bad = new Map<string, SafetensorsTensor>([['w', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]);

    expect(() => encodeSafetensors(bad)).toThrow("Cannot encode tensor 'w': shape [3] needs 3 values, data has 2.");
  });

  it('rejects an array type that does not match the dtype', () => {
    const bad = new Map<string, SafetensorsTensor>([['w', { dtype: 'F64', shape: [1], data: new Float32Array(1) }]]);

    expect(() => encodeSafetensors(bad)).toThrow("dtype F64 needs a Float64Array, got a Float32Array");
  });
});

describe('parseSafetensors errors', () => {
  it('rejects a file shorter than the length field', () => {
    const error = parseError(new Uint8Array(5));

    expect(error.message).toBe('Invalid safetensors file: it has 5 bytes, fewer than the 8-byte header length.');
  });

  it('rejects a header length beyond the end of the file', () => {
    const bytes = rawSafetensors({});
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);

    expect(parseError(bytes).message).toContain('Invalid safetensors header length 1000: the file has 2 bytes after the length');
  });

  it('rejects a header that is not JSON', () => {
    const bytes = rawSafetensors({});
    bytes.set(new TextEncoder().encode('{x'), 8);

    expect(parseError(bytes).message).toMatch(/^Invalid safetensors header: it is not valid JSON/);
  });

  it('rejects a header that is a JSON array', () => {
    expect(parseError(rawSafetensors([1, 2])).message).toContain('expected a JSON object');
  });

  it('rejects non-string metadata', () => {
    expect(parseError(rawSafetensors({ __metadata__: { seed: 1 } })).message).toContain('__metadata__: expected an object of string values');
  });

  it('rejects an unsupported dtype', () => {
    const error = parseError(rawSafetensors({ half: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)));

    expect(error.tensorName).toBe('half');
    expect(error.message).toContain("Invalid safetensors entry for tensor 'half': unsupported dtype \"F16\"");
  });

  it('rejects a negative dimension', () => {
    const error = parseError(rawSafetensors({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }));

    expect(error.message).toContain("tensor 'w': shape [-1] is not a list of non-negative integers");
  });

  it('rejects reversed data offsets', () => {
    const error = parseError(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)));

    expect(error.message).toContain("tensor 'w': data_offsets [4,0] is not a pair [begin, end]");
  });

  it('rejects offsets that do not span the shape', () => {
    const error = parseError(rawSafetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12)));

    expect(error.message).toContain("tensor 'w': data_offsets [0, 12] span 12 bytes but F32 shape [2, 2] needs 16");
  });

  it('rejects data beyond the end of the file', () => {
    const error = parseError(rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(10)));

    expect(error.tensorName).toBe('w');
    expect(error.message).toContain('data ends at byte 16 but the data section has only 10 bytes, so the file is truncated');
  });

  it('rejects a truncated fixture file', () => {
    const encoded = encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [8], data: new Float32Array(8) }]]));

    expect(parseError(encoded.subarray(0, encoded.length - 1)).message).toContain('the file is truncated');
  });

  it('rejects I64 values beyond int32', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 40n, true);
    const error = parseError(rawSafetensors({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data));

    expect(error.message).toBe("Unsupported I64 value 1099511627776 in tensor 'ids': only values in the int32 range are supported.");
  });
});

describe('parseSafetensors on damaged files', () => {
  const valid = encodeSafetensors(
    new Map<string, SafetensorsTensor>([
      ['w', { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }],
      ['ids', { dtype: 'I64', shape: [2], data: Int32Array.of(7, -1) }],
    ]),
    { format: 'pt' },
  );

  /** Returns what parsing `bytes` gives: the tensor names or the SafetensorsFormatError. Any other error propagates. */
  function outcome(bytes: Uint8Array): string[] | SafetensorsFormatError {
    try {
      return [...parseSafetensors(bytes).keys()];
    } catch (error) {
      if (error instanceof SafetensorsFormatError) {
        return error;
      }
      throw error;
    }
  }

  it('rejects a header that is not UTF-8', () => {
    const bytes = rawSafetensors({ w: 1 });
    bytes[9] = 0xff;

    expect(parseError(bytes).message).toMatch(/^Invalid safetensors header: its 7 bytes are not valid UTF-8 \(.+\)\. The file is corrupt or not safetensors\.$/);
  });

  it('rejects every truncation', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(outcome(valid.subarray(0, length)), `first ${length} bytes`).toBeInstanceOf(SafetensorsFormatError);
    }
  });

  it('returns or throws SafetensorsFormatError for every single bit flip', () => {
    for (let at = 0; at < valid.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = valid.slice();
        damaged[at] = (damaged[at] as number) ^ (1 << bit);
        expect(() => outcome(damaged), `bit ${bit} of byte ${at}`).not.toThrow();
      }
    }
  });

  it('returns or throws SafetensorsFormatError for random headers', () => {
    // A fixed linear congruential generator, so a failing header replays.
    let state = 20_261_204;
    const nextByte = () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state >>> 24;
    };
    for (let run = 0; run < 2_000; run++) {
      const header = Uint8Array.from({ length: run % 40 }, nextByte);
      const bytes = new Uint8Array(8 + header.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
      bytes.set(header, 8);
      expect(() => outcome(bytes), `header ${Array.from(header).join(',')}`).not.toThrow();
    }
  });
});

describe('safetensorToTensor', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('makes float32 from F64 and int32 from U8', () => {
    const floats = safetensorToTensor({ dtype: 'F64', shape: [2], data: new Float64Array([0.5, 1.5]) });
    const bytes = safetensorToTensor({ dtype: 'U8', shape: [1, 2], data: new Uint8Array([3, 250]) });

    expect(floats.dtype).toBe('float32');
    expect(Array.from(floats.dataSync())).toEqual([0.5, 1.5]);
    expect(bytes.dtype).toBe('int32');
    expect(bytes.shape).toEqual([1, 2]);
    expect(Array.from(bytes.dataSync())).toEqual([3, 250]);
    tf.dispose([floats, bytes]);
  });
});
