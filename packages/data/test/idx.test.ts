import { describe, expect, it } from 'vitest';

import { encodeIdx, IdxFormatError, parseIdx, type IdxArray, type IdxErrorCode } from '../src/index.js';

/** Builds an IDX file by hand: header bytes, then big-endian dimension sizes, then the payload bytes. */
function idxBytes(typeCode: number, shape: number[], payload: number[]): Uint8Array {
  const header = [0, 0, typeCode, shape.length];
  const dims = shape.flatMap((size) => [(size >>> 24) & 0xff, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff]);
  return Uint8Array.from([...header, ...dims, ...payload]);
}

function parseError(bytes: Uint8Array, name?: string): IdxFormatError {
  try {
    parseIdx(bytes, name);
  } catch (error) {
    if (error instanceof IdxFormatError) {
      return error;
    }
    throw error;
  }
  throw new Error('parseIdx accepted invalid bytes');
}

describe('parseIdx element types', () => {
  it('reads uint8', () => {
    const parsed = parseIdx(idxBytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255]));
    expect(parsed.dtype).toBe('uint8');
    expect(parsed.shape).toEqual([2, 3]);
    expect(parsed.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(parsed.data)).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it('reads int8 as signed', () => {
    const parsed = parseIdx(idxBytes(0x09, [3], [0x7f, 0x80, 0xff]));
    expect(parsed.dtype).toBe('int8');
    expect(parsed.data).toBeInstanceOf(Int8Array);
    expect(Array.from(parsed.data)).toEqual([127, -128, -1]);
  });

  it('reads int16 big-endian', () => {
    const parsed = parseIdx(idxBytes(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
    expect(parsed.dtype).toBe('int16');
    expect(parsed.data).toBeInstanceOf(Int16Array);
    expect(Array.from(parsed.data)).toEqual([258, -2]);
  });

  it('reads int32 big-endian', () => {
    const parsed = parseIdx(idxBytes(0x0c, [2], [0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff]));
    expect(parsed.dtype).toBe('int32');
    expect(parsed.data).toBeInstanceOf(Int32Array);
    expect(Array.from(parsed.data)).toEqual([16909060, -1]);
  });

  it('reads float32 big-endian', () => {
    const parsed = parseIdx(idxBytes(0x0d, [2], [0x3f, 0xc0, 0x00, 0x00, 0xc0, 0x20, 0x00, 0x00]));
    expect(parsed.dtype).toBe('float32');
    expect(parsed.data).toBeInstanceOf(Float32Array);
    expect(Array.from(parsed.data)).toEqual([1.5, -2.5]);
  });

  it('reads float64 big-endian', () => {
    const parsed = parseIdx(idxBytes(0x0e, [1], [0xbf, 0xe0, 0, 0, 0, 0, 0, 0]));
    expect(parsed.dtype).toBe('float64');
    expect(parsed.data).toBeInstanceOf(Float64Array);
    expect(Array.from(parsed.data)).toEqual([-0.5]);
  });

  it('reads rank-3 shapes with large dimensions', () => {
    const parsed = parseIdx(idxBytes(0x08, [1, 300, 2], new Array(600).fill(9)));
    expect(parsed.shape).toEqual([1, 300, 2]);
    expect(parsed.data.length).toBe(600);
  });

  it('reads from an unaligned view into a larger buffer', () => {
    const file = idxBytes(0x0b, [2], [0x00, 0x05, 0x80, 0x00]);
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 1);
    const parsed = parseIdx(padded.subarray(1, 1 + file.length));
    expect(Array.from(parsed.data)).toEqual([5, -32768]);
  });
});

describe('encodeIdx', () => {
  const arrays: IdxArray[] = [
    { dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([0, 1, 128, 255]) },
    { dtype: 'int8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) },
    { dtype: 'int32', shape: [1, 2], data: Int32Array.from([-2147483648, 2147483647]) },
    { dtype: 'float32', shape: [2], data: Float32Array.from([0.1, -3.25]) },
    { dtype: 'float64', shape: [2, 1, 1], data: Float64Array.from([Math.PI, -1e-300]) },
  ];

  it.each(arrays)('round-trips $dtype through parseIdx', (array) => {
    const parsed = parseIdx(encodeIdx(array));
    expect(parsed.dtype).toBe(array.dtype);
    expect(parsed.shape).toEqual(array.shape);
    expect(Array.from(parsed.data)).toEqual(Array.from(array.data));
  });

  it('writes the header big-endian', () => {
    const bytes = encodeIdx({ dtype: 'int16', shape: [258], data: new Int16Array(258).fill(-2) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0, 0, 0x0b, 1, 0, 0, 1, 2]);
    expect(Array.from(bytes.subarray(8, 10))).toEqual([0xff, 0xfe]);
  });

  it('rejects data of the wrong typed array', () => {
    const array = { dtype: 'int16', shape: [2], data: Uint8Array.from([1, 2]) } as unknown as IdxArray;
    expect(() => encodeIdx(array)).toThrow('Cannot encode IDX: dtype int16 needs data of type Int16Array, got Uint8Array.');
  });

  it('rejects a shape that does not match the data', () => {
    const array: IdxArray = { dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) };
    expect(() => encodeIdx(array)).toThrow('shape [2, 2] has 4 elements, but data has 3');
  });

  it('rejects an empty shape', () => {
    expect(() => encodeIdx({ dtype: 'uint8', shape: [], data: new Uint8Array(1) })).toThrow('rank must be in [1, 255], got 0');
  });

  it('rejects a zero dimension', () => {
    expect(() => encodeIdx({ dtype: 'uint8', shape: [0], data: new Uint8Array(0) })).toThrow(
      'dimension 0 of shape [0] must be an integer in [1, 4294967295]',
    );
  });
});

describe('parseIdx malformed headers', () => {
  const cases: { title: string; bytes: Uint8Array; code: IdxErrorCode; message: string }[] = [
    {
      title: 'rejects IDX shorter than the magic',
      bytes: Uint8Array.from([0, 0, 8]),
      code: 'too-short',
      message: 'Invalid IDX file labels: the header needs at least 4 bytes, got 3. The file is empty or truncated.',
    },
    {
      title: 'rejects IDX with wrong magic',
      bytes: Uint8Array.from([0, 1, 8, 1, 0, 0, 0, 1, 7]),
      code: 'bad-magic',
      message:
        'Invalid IDX magic in labels: expected the first two bytes to be 0x00 0x00, got 0x00 0x01. The file is not an IDX file.',
    },
    {
      title: 'rejects gzip data with a decompression hint',
      bytes: Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]),
      code: 'bad-magic',
      message:
        'Invalid IDX magic in labels: expected the first two bytes to be 0x00 0x00, got 0x1F 0x8B. These are gzip magic bytes: decompress the file first.',
    },
    {
      title: 'rejects an unknown element type',
      bytes: Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 1, 7]),
      code: 'unknown-type',
      message:
        'Invalid IDX element type in labels: type code 0x0A is not one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64).',
    },
    {
      title: 'rejects rank 0',
      bytes: Uint8Array.from([0, 0, 8, 0, 7]),
      code: 'bad-rank',
      message: 'Invalid IDX rank in labels: rank is 0, but an IDX array needs at least one dimension.',
    },
    {
      title: 'rejects a header cut inside the dimensions',
      bytes: Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]),
      code: 'truncated-dimensions',
      message: 'Truncated IDX header in labels: rank 3 needs 16 header bytes (3 dimension sizes of 4 bytes), got 10.',
    },
    {
      title: 'rejects a zero dimension',
      bytes: idxBytes(0x08, [2, 0, 3], []),
      code: 'bad-dimension',
      message: 'Invalid IDX dimension in labels: dimension 1 of shape [2, 0, 3] is 0, but every dimension must be at least 1.',
    },
    {
      title: 'rejects an element count beyond safe integers',
      bytes: idxBytes(0x08, [0xffffffff, 0xffffffff], []),
      code: 'bad-dimension',
      message: `Invalid IDX dimensions in labels: shape [4294967295, 4294967295] has more than ${Number.MAX_SAFE_INTEGER} elements, so the header is corrupt.`,
    },
    {
      title: 'rejects data shorter than the shape',
      bytes: idxBytes(0x0c, [2, 2], new Array(15).fill(0)),
      code: 'truncated-data',
      message:
        'Truncated IDX data in labels: shape [2, 2] of int32 needs 16 data bytes after the 12-byte header, got 15 (1 missing). The file is incomplete.',
    },
    {
      title: 'rejects data longer than the shape',
      bytes: idxBytes(0x08, [3], [1, 2, 3, 4, 5]),
      code: 'trailing-data',
      message:
        'Invalid IDX length in labels: shape [3] of uint8 needs 3 data bytes after the 8-byte header, got 5 (2 extra). The header does not match the data.',
    },
  ];

  it.each(cases)('$title', ({ bytes, code, message }) => {
    const error = parseError(bytes, 'labels');
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('names IDX data generically when no name is given', () => {
    expect(parseError(Uint8Array.from([])).message).toContain('Invalid IDX file IDX data:');
  });

  it('reports errors as IdxFormatError', () => {
    const error = parseError(Uint8Array.from([1, 2, 3, 4]));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('IdxFormatError');
  });
});
