/**
 * Reader and writer for the IDX format that the MNIST files use.
 *
 * An IDX file is a header followed by the array's elements in row-major order, all big-endian:
 * two zero bytes, one byte with the element type code, one byte with the rank, then one
 * unsigned 32-bit size per dimension.
 */

import { isGzip } from './gzip.js';

/** Element types an IDX file can contain. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** Typed array for the elements of each IDX element type. */
export interface IdxDataTypes {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/**
 * A parsed IDX array: `data` contains the elements in row-major order, in host byte order, and
 * `data.length` equals the product of `shape`. The type of `data` follows `dtype`.
 */
export type IdxArray = {
  [D in IdxDtype]: { dtype: D; shape: number[]; data: IdxDataTypes[D] };
}[IdxDtype];

/** Type code (byte 2 of the header) of each element type. */
export const IDX_TYPE_CODES: Readonly<Record<IdxDtype, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

/** Bytes per element of each element type. */
export const IDX_ELEMENT_BYTES: Readonly<Record<IdxDtype, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Bytes before the dimension sizes: two zero bytes, the type code and the rank. */
export const IDX_MAGIC_BYTES = 4;

/** Bytes of each dimension size in the header (unsigned 32-bit, big-endian). */
export const IDX_DIMENSION_BYTES = 4;

/** Largest rank the header's one rank byte can state. */
export const IDX_MAX_RANK = 255;

/** Code of the check that {@link parseIdx} failed; each code has its own message. */
export type IdxErrorCode =
  | 'too-short'
  | 'bad-magic'
  | 'unknown-type'
  | 'bad-rank'
  | 'truncated-dimensions'
  | 'bad-dimension'
  | 'truncated-data'
  | 'trailing-data';

/** Thrown by {@link parseIdx} when the bytes are not a valid IDX array. `code` names the failed check. */
export class IdxFormatError extends Error {
  override readonly name = 'IdxFormatError';

  constructor(
    readonly code: IdxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const DTYPE_BY_CODE = new Map<number, IdxDtype>(
  (Object.entries(IDX_TYPE_CODES) as [IdxDtype, number][]).map(([dtype, code]) => [code, dtype]),
);

interface IdxHeader {
  dtype: IdxDtype;
  shape: number[];
  headerBytes: number;
}

/**
 * Parses an IDX array, checking the header field by field against the bytes.
 *
 * Multi-byte elements are converted from big-endian to host order into a new typed array.
 * `uint8` and `int8` data are views of `bytes` without a copy, so they change when `bytes` does.
 *
 * @param bytes the whole IDX file, uncompressed.
 * @param name the file name used in error messages; defaults to "IDX data".
 * @throws IdxFormatError when the header is invalid: the magic bytes are not zero, the type code is
 *   unknown, the rank is 0 or the header is shorter than the rank needs. It is also thrown when a
 *   dimension is 0, the element count is not a safe integer, or the data length does not match the shape.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  const header = parseIdxHeader(bytes, name);
  checkDataLength(bytes, header, name);

  return readElements(bytes, header);
}

function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  if (bytes.length < IDX_MAGIC_BYTES) {
    throw new IdxFormatError(
      'too-short',
      `Invalid IDX file ${name}: the header needs at least ${IDX_MAGIC_BYTES} bytes, got ${bytes.length}. ` +
        'The file is empty or truncated.',
    );
  }

  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzipHint = isGzip(bytes) ? ' These are gzip magic bytes: decompress the file first.' : ' The file is not an IDX file.';
    throw new IdxFormatError(
      'bad-magic',
      `Invalid IDX magic in ${name}: expected the first two bytes to be 0x00 0x00, got ${hexByte(bytes[0])} ${hexByte(bytes[1])}.${gzipHint}`,
    );
  }

  const typeCode = bytes[2] ?? 0;
  const dtype = DTYPE_BY_CODE.get(typeCode);
  if (dtype === undefined) {
    const known = Object.entries(IDX_TYPE_CODES)
      .map(([knownDtype, code]) => `${hexByte(code)} (${knownDtype})`)
      .join(', ');
    throw new IdxFormatError(
      'unknown-type',
      `Invalid IDX element type in ${name}: type code ${hexByte(typeCode)} is not one of ${known}.`,
    );
  }

  const rank = bytes[3] ?? 0;
  if (rank === 0) {
    throw new IdxFormatError('bad-rank', `Invalid IDX rank in ${name}: rank is 0, but an IDX array needs at least one dimension.`);
  }

  const shape = readShape(bytes, rank, name);
  return { dtype, shape, headerBytes: IDX_MAGIC_BYTES + rank * IDX_DIMENSION_BYTES };
}

function readShape(bytes: Uint8Array, rank: number, name: string): number[] {
  const headerBytes = IDX_MAGIC_BYTES + rank * IDX_DIMENSION_BYTES;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      'truncated-dimensions',
      `Truncated IDX header in ${name}: rank ${rank} needs ${headerBytes} header bytes ` +
        `(${rank} dimension sizes of ${IDX_DIMENSION_BYTES} bytes), got ${bytes.length}.`,
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    shape.push(view.getUint32(IDX_MAGIC_BYTES + axis * IDX_DIMENSION_BYTES, false));
  }

  const zeroAxis = shape.indexOf(0);
  if (zeroAxis >= 0) {
    throw new IdxFormatError(
      'bad-dimension',
      `Invalid IDX dimension in ${name}: dimension ${zeroAxis} of shape [${shape.join(', ')}] is 0, ` +
        'but every dimension must be at least 1.',
    );
  }

  const elements = shape.reduce((product, size) => product * size, 1);
  if (!Number.isSafeInteger(elements)) {
    throw new IdxFormatError(
      'bad-dimension',
      `Invalid IDX dimensions in ${name}: shape [${shape.join(', ')}] has more than ` +
        `${Number.MAX_SAFE_INTEGER} elements, so the header is corrupt.`,
    );
  }

  return shape;
}

function checkDataLength(bytes: Uint8Array, header: IdxHeader, name: string): void {
  const elements = header.shape.reduce((product, size) => product * size, 1);
  const expected = elements * IDX_ELEMENT_BYTES[header.dtype];
  const actual = bytes.length - header.headerBytes;
  const described = `shape [${header.shape.join(', ')}] of ${header.dtype} needs ${expected} data bytes after the ${header.headerBytes}-byte header`;

  if (actual < expected) {
    throw new IdxFormatError(
      'truncated-data',
      `Truncated IDX data in ${name}: ${described}, got ${actual} (${expected - actual} missing). The file is incomplete.`,
    );
  }

  if (actual > expected) {
    throw new IdxFormatError(
      'trailing-data',
      `Invalid IDX length in ${name}: ${described}, got ${actual} (${actual - expected} extra). ` +
        'The header does not match the data.',
    );
  }
}

function readElements(bytes: Uint8Array, header: IdxHeader): IdxArray {
  const { dtype, shape, headerBytes } = header;
  const start = bytes.byteOffset + headerBytes;
  const count = (bytes.length - headerBytes) / IDX_ELEMENT_BYTES[dtype];
  const view = new DataView(bytes.buffer, start, bytes.length - headerBytes);

  switch (dtype) {
    case 'uint8':
      return { dtype, shape, data: new Uint8Array(bytes.buffer, start, count) };
    case 'int8':
      return { dtype, shape, data: new Int8Array(bytes.buffer, start, count) };
    case 'int16':
      return { dtype, shape, data: Int16Array.from({ length: count }, (_, i) => view.getInt16(i * 2, false)) };
    case 'int32':
      return { dtype, shape, data: Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, false)) };
    case 'float32':
      return { dtype, shape, data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, false)) };
    case 'float64':
      return { dtype, shape, data: Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, false)) };
  }
}

/**
 * Encodes an array as an IDX file: the inverse of {@link parseIdx}.
 *
 * @throws RangeError when the shape is empty, has more than 255 dimensions, has a dimension that is
 *   not an integer in [1, 2^32 - 1], or does not match `data.length`.
 * @throws TypeError when `data` is not the typed array that `dtype` needs.
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, shape, data } = array;
  checkEncodable(array);

  const headerBytes = IDX_MAGIC_BYTES + shape.length * IDX_DIMENSION_BYTES;
  const bytes = new Uint8Array(headerBytes + data.length * IDX_ELEMENT_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  view.setUint8(2, IDX_TYPE_CODES[dtype]);
  view.setUint8(3, shape.length);
  shape.forEach((size, axis) => view.setUint32(IDX_MAGIC_BYTES + axis * IDX_DIMENSION_BYTES, size, false));

  writeElements(view, headerBytes, array);
  return bytes;
}

function checkEncodable(array: IdxArray): void {
  const { dtype, shape, data } = array;
  const expectedType = TYPED_ARRAYS[dtype];
  if (!(data instanceof expectedType)) {
    throw new TypeError(`Cannot encode IDX: dtype ${dtype} needs data of type ${expectedType.name}, got ${describeValue(data)}.`);
  }

  if (shape.length === 0 || shape.length > IDX_MAX_RANK) {
    throw new RangeError(`Cannot encode IDX: rank must be in [1, ${IDX_MAX_RANK}], got ${shape.length}.`);
  }

  const badAxis = shape.findIndex((size) => !Number.isInteger(size) || size < 1 || size > 0xffffffff);
  if (badAxis >= 0) {
    throw new RangeError(
      `Cannot encode IDX: dimension ${badAxis} of shape [${shape.join(', ')}] must be an integer in [1, 4294967295].`,
    );
  }

  const elements = shape.reduce((product, size) => product * size, 1);
  if (elements !== data.length) {
    throw new RangeError(`Cannot encode IDX: shape [${shape.join(', ')}] has ${elements} elements, but data has ${data.length}.`);
  }
}

const TYPED_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    return value.constructor.name;
  }
  return typeof value;
}

function writeElements(view: DataView, offset: number, array: IdxArray): void {
  const { dtype, data } = array;
  const step = IDX_ELEMENT_BYTES[dtype];
  for (let i = 0; i < data.length; i++) {
    const value = data[i] ?? 0;
    const at = offset + i * step;
    switch (dtype) {
      case 'uint8':
        view.setUint8(at, value);
        break;
      case 'int8':
        view.setInt8(at, value);
        break;
      case 'int16':
        view.setInt16(at, value, false);
        break;
      case 'int32':
        view.setInt32(at, value, false);
        break;
      case 'float32':
        view.setFloat32(at, value, false);
        break;
      case 'float64':
        view.setFloat64(at, value, false);
        break;
    }
  }
}

function hexByte(value: number | undefined): string {
  return `0x${(value ?? 0).toString(16).padStart(2, '0').toUpperCase()}`;
}
