import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  ChecksumError,
  CorruptFileError,
  encodeIdx,
  IDX_TYPE_CODES,
  IdxFormatError,
  md5Hex,
  MemoryFileStore,
  parseIdx,
  readVerifiedFile,
  type IdxArray,
  type IdxDtype,
  type IdxErrorCode,
  type MnistFileEntry,
} from '../src/index.js';

/**
 * Property tests of the IDX reader on bad input. The fixed seed makes a failure replay: fast-check
 * prints the counterexample and its path, and rerunning with the same seed finds it again.
 */
const FUZZ_SEED = 20_261_204;
const FUZZ_RUNS = 2_000;
const FUZZ_OPTIONS = { seed: FUZZ_SEED, numRuns: FUZZ_RUNS } as const;

const DTYPES = Object.keys(IDX_TYPE_CODES) as IdxDtype[];
const TYPE_CODES = Object.values(IDX_TYPE_CODES);

/** Runs `parseIdx` and returns the parsed array or the IdxFormatError it throws. Any other error propagates. */
function parseOutcome(bytes: Uint8Array): { parsed?: IdxArray; error?: IdxFormatError } {
  try {
    return { parsed: parseIdx(bytes, 'fuzz.idx') };
  } catch (error) {
    if (error instanceof IdxFormatError) {
      return { error };
    }
    throw error;
  }
}

/** Checks what an accepted file must satisfy: as many elements as the shape's product, and a header that matches the length. */
function expectConsistent(bytes: Uint8Array, parsed: IdxArray): void {
  const elements = parsed.shape.reduce((product, size) => product * size, 1);
  expect(parsed.data.length).toBe(elements);
  expect(bytes.length).toBe(4 + 4 * parsed.shape.length + parsed.data.byteLength);
}

function headerBytes(typeCode: number, shape: number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(2, typeCode);
  view.setUint8(3, shape.length);
  shape.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** A valid IDX array of any element type, rank 1 to 3 and up to 60 elements. */
const validIdxArray: fc.Arbitrary<IdxArray> = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ dtype, shape, seed }) => {
    const count = shape.reduce((product, size) => product * size, 1);
    const values = Array.from({ length: count }, (_, i) => (seed + i * 37) % 120);
    const typed = {
      uint8: Uint8Array,
      int8: Int8Array,
      int16: Int16Array,
      int32: Int32Array,
      float32: Float32Array,
      float64: Float64Array,
    }[dtype];
    return { dtype, shape, data: typed.from(values) } as IdxArray;
  });

/** A header with a known type code and a plausible rank, followed by random bytes, so inputs reach the later checks. */
const idxLikeBytes: fc.Arbitrary<Uint8Array> = fc
  .record({
    typeCode: fc.constantFrom(...TYPE_CODES),
    shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }),
    payload: fc.uint8Array({ maxLength: 200 }),
  })
  .map(({ typeCode, shape, payload }) => concat(headerBytes(typeCode, shape), payload));

describe('parseIdx on random bytes', () => {
  it('returns or throws IdxFormatError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const { parsed } = parseOutcome(bytes);
        if (parsed !== undefined) expectConsistent(bytes, parsed);
      }),
      FUZZ_OPTIONS,
    );
  });

  it('returns or throws IdxFormatError for bytes after a plausible header', () => {
    fc.assert(
      fc.property(idxLikeBytes, (bytes) => {
        const { parsed } = parseOutcome(bytes);
        if (parsed !== undefined) expectConsistent(bytes, parsed);
      }),
      FUZZ_OPTIONS,
    );
  });
});

describe('parseIdx on damaged valid files', () => {
  it('rejects every truncation as too short or truncated', () => {
    const truncationCodes: IdxErrorCode[] = ['too-short', 'truncated-dimensions', 'truncated-data'];
    fc.assert(
      fc.property(validIdxArray, fc.nat(), (array, cutSeed) => {
        const file = encodeIdx(array);
        const cut = cutSeed % file.length;
        const { error } = parseOutcome(file.subarray(0, cut));
        expect(error?.code).toBeOneOf(truncationCodes);
      }),
      FUZZ_OPTIONS,
    );
  });

  it('rejects appended bytes as trailing data', () => {
    fc.assert(
      fc.property(validIdxArray, fc.uint8Array({ minLength: 1, maxLength: 16 }), (array, extra) => {
        const { error } = parseOutcome(concat(encodeIdx(array), extra));
        expect(error?.code).toBe('trailing-data');
      }),
      FUZZ_OPTIONS,
    );
  });

  it('rejects header bit flips unless the header still fits', () => {
    fc.assert(
      fc.property(validIdxArray, fc.nat(), fc.integer({ min: 0, max: 7 }), (array, byteSeed, bit) => {
        const file = encodeIdx(array);
        const headerLength = 4 + 4 * array.shape.length;
        const at = byteSeed % headerLength;
        file[at] = (file[at] as number) ^ (1 << bit);

        const { parsed } = parseOutcome(file);
        if (parsed !== undefined) expectConsistent(file, parsed);
      }),
      FUZZ_OPTIONS,
    );
  });
});

describe('parseIdx on headers that claim huge arrays', () => {
  /**
   * Dimensions whose product is at least 2^24 elements, with only a few real data bytes behind them.
   * Products from 2^24 up could be allocated, so a reader that allocates first shows in `arrayBuffers`.
   * Larger ones, up to past 2^53, would fail the allocation with a RangeError.
   */
  const hugeClaim = fc.record({
    typeCode: fc.constantFrom(...TYPE_CODES),
    shape: fc.oneof(
      fc.tuple(fc.integer({ min: 2 ** 24, max: 2 ** 32 - 1 })),
      fc.tuple(fc.integer({ min: 2 ** 16, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 15, max: 2 ** 32 - 1 })),
      fc.tuple(fc.constant(60_000), fc.integer({ min: 2 ** 16, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 16, max: 2 ** 32 - 1 })),
    ),
    payload: fc.uint8Array({ maxLength: 64 }),
  });

  it('throws before allocating room for the claimed elements', () => {
    const allocationSlackBytes = 1 << 20;
    const maxMillisPerCase = 200;

    fc.assert(
      fc.property(hugeClaim, ({ typeCode, shape, payload }) => {
        const bytes = concat(headerBytes(typeCode, shape), payload);
        const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
        const start = performance.now();

        const { error } = parseOutcome(bytes);

        const elapsedMs = performance.now() - start;
        const allocated = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
        expect(error?.code).toBeOneOf(['truncated-data', 'bad-dimension']);
        expect(elapsedMs).toBeLessThan(maxMillisPerCase);
        expect(allocated).toBeLessThan(allocationSlackBytes);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it('names the claimed shape and the real length for 2^31 bytes', () => {
    const { error } = parseOutcome(concat(headerBytes(IDX_TYPE_CODES.uint8, [2 ** 16, 2 ** 15]), new Uint8Array(10)));

    expect(error?.code).toBe('truncated-data');
    expect(error?.message).toContain('shape [65536, 32768] of uint8 needs 2147483648 data bytes');
    expect(error?.message).toContain('got 10');
  });
});

describe('readVerifiedFile on bad gzip', () => {
  const valid = encodeIdx({ dtype: 'uint8', shape: [3, 4], data: Uint8Array.from({ length: 12 }, (_, i) => i) });
  const validGz = new Uint8Array(gzipSync(valid));
  const entry: MnistFileEntry = { name: 'fuzz-idx1-ubyte', md5: md5Hex(valid), gzMd5: md5Hex(validGz), bytes: valid.length };

  async function readGz(gz: Uint8Array): Promise<unknown> {
    const store = new MemoryFileStore({ [`${entry.name}.gz`]: gz });
    try {
      return await readVerifiedFile(store, entry);
    } catch (error) {
      return error;
    }
  }

  it('reads the valid gzip it damages below', async () => {
    const content = await readGz(validGz);
    expect(content).toEqual(valid);
  });

  it('throws CorruptFileError or ChecksumError for random bytes after the gzip magic', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (tail) => {
        const outcome = await readGz(concat(Uint8Array.of(0x1f, 0x8b), tail));
        expect(outcome instanceof CorruptFileError || outcome instanceof ChecksumError).toBe(true);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it('throws CorruptFileError for every truncation of a valid gzip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: validGz.length - 1 }), async (cut) => {
        const outcome = await readGz(validGz.subarray(0, cut));
        expect(outcome).toBeInstanceOf(CorruptFileError);
        expect((outcome as CorruptFileError).message).toContain(`${entry.name}.gz`);
      }),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
  });

  it('throws CorruptFileError or ChecksumError for bit flips in a valid gzip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: validGz.length - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const damaged = validGz.slice();
        damaged[at] = (damaged[at] as number) ^ (1 << bit);

        const outcome = await readGz(damaged);
        const typed = outcome instanceof CorruptFileError || outcome instanceof ChecksumError;
        // A flip in the gzip header's modification time or OS byte leaves the content intact.
        const intact = outcome instanceof Uint8Array && md5Hex(outcome) === entry.md5;
        expect(typed || intact).toBe(true);
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });
});
