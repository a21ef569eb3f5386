/**
 * Reader and writer for the safetensors format (https://huggingface.co/docs/safetensors):
 * an 8-byte little-endian header length, a JSON header that maps each tensor
 * name to `dtype`, `shape` and `data_offsets` (relative to the end of the
 * header), then the raw little-endian data.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Bytes of the little-endian uint64 that contains the header length. */
export const SAFETENSORS_LENGTH_BYTES = 8;
/** Largest header this reader accepts: 100 MB, the `MAX_HEADER_SIZE` of the Rust `safetensors` crate. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Element types this reader supports. `I64` is read into an `Int32Array`. */
export type SafetensorsDtype = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8';

export type SafetensorsData = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** One tensor of a safetensors file, data in row-major order and host byte order. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** Everything in a safetensors file: the tensors in header order and the optional string metadata. */
export interface SafetensorsContents {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Thrown for bytes that are not a valid safetensors file. `tensorName` is set when one tensor entry is at fault. */
export class SafetensorsFormatError extends Error {
  override readonly name = 'SafetensorsFormatError';

  constructor(
    message: string,
    readonly tensorName?: string,
  ) {
    super(message);
  }
}

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };
const METADATA_KEY = '__metadata__';
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file into its tensors, keyed by name in header order.
 * `I64` tensors come back as `Int32Array` (dtype stays `'I64'`).
 *
 * @throws SafetensorsFormatError for a short file, a header that is not UTF-8 JSON or
 *   has an invalid entry, an unsupported dtype, offsets outside the data or not
 *   matching the shape, or an `I64` value outside the int32 range. Messages name the tensor.
 */
export function parseSafetensors(bytes: Uint8Array): Map<string, SafetensorsTensor> {
  return decodeSafetensors(bytes).tensors;
}

/** Parses a safetensors file like {@link parseSafetensors} and also returns its `__metadata__`. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  const header = readHeader(bytes);
  const dataStart = SAFETENSORS_LENGTH_BYTES + header.byteLength;
  const dataBytes = bytes.length - dataStart;
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, dataBytes);
  const tensors = new Map<string, SafetensorsTensor>();

  for (const [name, entryValue] of Object.entries(header.entries)) {
    const entry = validateEntry(name, entryValue, dataBytes);
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: readData(name, entry, view) });
  }

  return { tensors, metadata: header.metadata };
}

/**
 * Encodes tensors into safetensors bytes, in map order with no padding.
 * `I64` data is written from an `Int32Array`, sign-extended.
 *
 * @throws SafetensorsFormatError when a tensor's data length does not match its shape or its array type does not match its dtype.
 */
export function encodeSafetensors(tensors: Map<string, SafetensorsTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { [METADATA_KEY]: metadata } : {};
  let offset = 0;
  for (const [name, tensor] of tensors) {
    checkDataMatches(name, tensor);
    const byteLength = tensor.data.length * DTYPE_BYTES[tensor.dtype];
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }

  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(SAFETENSORS_LENGTH_BYTES + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, SAFETENSORS_LENGTH_BYTES);

  let position = SAFETENSORS_LENGTH_BYTES + headerBytes.length;
  for (const tensor of tensors.values()) {
    position = writeData(view, position, tensor);
  }
  return bytes;
}

/**
 * Makes a tf.Tensor from a parsed safetensors tensor: floats become float32
 * (F64 is rounded) and integers become int32. The caller disposes it.
 */
export function safetensorToTensor(tensor: SafetensorsTensor): tf.Tensor {
  const isFloat = tensor.dtype === 'F32' || tensor.dtype === 'F64';
  const values = isFloat ? Float32Array.from(tensor.data) : Int32Array.from(tensor.data);
  return tf.tensor(values, tensor.shape, isFloat ? 'float32' : 'int32');
}

function readHeader(bytes: Uint8Array): { byteLength: number; entries: Record<string, unknown>; metadata: Record<string, string> } {
  if (bytes.length < SAFETENSORS_LENGTH_BYTES) {
    throw new SafetensorsFormatError(
      `Invalid safetensors file: it has ${bytes.length} bytes, fewer than the ${SAFETENSORS_LENGTH_BYTES}-byte header length.`,
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredLength = view.getBigUint64(0, true);
  const available = bytes.length - SAFETENSORS_LENGTH_BYTES;
  if (declaredLength > BigInt(Math.min(available, SAFETENSORS_MAX_HEADER_BYTES))) {
    throw new SafetensorsFormatError(
      `Invalid safetensors header length ${declaredLength}: the file has ${available} bytes after the length ` +
        `and headers are limited to ${SAFETENSORS_MAX_HEADER_BYTES} bytes. The file is truncated or not safetensors.`,
    );
  }

  const byteLength = Number(declaredLength);
  const text = decodeHeaderText(bytes.subarray(SAFETENSORS_LENGTH_BYTES, SAFETENSORS_LENGTH_BYTES + byteLength));
  const parsed = parseHeaderJson(text);
  const { [METADATA_KEY]: metadata = {}, ...entries } = parsed;

  return { byteLength, entries, metadata: validateMetadata(metadata) };
}

function decodeHeaderText(headerBytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (error) {
    throw new SafetensorsFormatError(
      `Invalid safetensors header: its ${headerBytes.length} bytes are not valid UTF-8 (${(error as Error).message}). ` +
        'The file is corrupt or not safetensors.',
    );
  }
}

function parseHeaderJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsFormatError(`Invalid safetensors header: it is not valid JSON (${(error as Error).message}).`);
  }
  if (!isRecord(parsed)) {
    throw new SafetensorsFormatError('Invalid safetensors header: expected a JSON object mapping tensor names to entries.');
  }
  return parsed;
}

function validateMetadata(metadata: unknown): Record<string, string> {
  const valid = isRecord(metadata) && Object.values(metadata).every((value) => typeof value === 'string');
  if (!valid) {
    throw new SafetensorsFormatError(`Invalid safetensors ${METADATA_KEY}: expected an object of string values.`);
  }
  return metadata as Record<string, string>;
}

function validateEntry(name: string, value: unknown, dataBytes: number): HeaderEntry {
  const invalid = (problem: string) => new SafetensorsFormatError(`Invalid safetensors entry for tensor '${name}': ${problem}.`, name);
  if (!isRecord(value)) {
    throw invalid('expected an object with dtype, shape and data_offsets');
  }

  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw invalid(`unsupported dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw invalid(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offsetsValid = Array.isArray(offsets) && offsets.length === 2 && offsets.every(isNonNegativeInteger);
  const [begin, end] = offsetsValid ? (offsets as [number, number]) : [0, -1];
  if (begin > end) {
    throw invalid(`data_offsets ${JSON.stringify(offsets)} is not a pair [begin, end] with 0 <= begin <= end`);
  }

  const expectedBytes = (shape as number[]).reduce((product, size) => product * size, 1) * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (end - begin !== expectedBytes) {
    throw invalid(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} shape [${shape.join(', ')}] needs ${expectedBytes}`);
  }
  if (end > dataBytes) {
    throw invalid(`data ends at byte ${end} but the data section has only ${dataBytes} bytes, so the file is truncated`);
  }

  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

function readData(name: string, entry: HeaderEntry, view: DataView): SafetensorsData {
  const count = (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype];
  const at = (index: number) => entry.begin + index * DTYPE_BYTES[entry.dtype];

  switch (entry.dtype) {
    case 'F64':
      return fill(new Float64Array(count), (i) => view.getFloat64(at(i), true));
    case 'F32':
      return fill(new Float32Array(count), (i) => view.getFloat32(at(i), true));
    case 'I32':
      return fill(new Int32Array(count), (i) => view.getInt32(at(i), true));
    case 'I16':
      return fill(new Int16Array(count), (i) => view.getInt16(at(i), true));
    case 'I8':
      return fill(new Int8Array(count), (i) => view.getInt8(at(i)));
    case 'U8':
      return fill(new Uint8Array(count), (i) => view.getUint8(at(i)));
    case 'I64':
      return fill(new Int32Array(count), (i) => readInt64AsInt32(name, view, at(i)));
  }
}

function readInt64AsInt32(name: string, view: DataView, byteOffset: number): number {
  const value = view.getBigInt64(byteOffset, true);
  if (value < BigInt(INT32_MIN) || value > BigInt(INT32_MAX)) {
    throw new SafetensorsFormatError(
      `Unsupported I64 value ${value} in tensor '${name}': only values in the int32 range are supported.`,
      name,
    );
  }
  return Number(value);
}

function writeData(view: DataView, start: number, tensor: SafetensorsTensor): number {
  const width = DTYPE_BYTES[tensor.dtype];
  tensor.data.forEach((value: number, index: number) => {
    const offset = start + index * width;
    switch (tensor.dtype) {
      case 'F64':
        return view.setFloat64(offset, value, true);
      case 'F32':
        return view.setFloat32(offset, value, true);
      case 'I64':
        return view.setBigInt64(offset, BigInt(value), true);
      case 'I32':
        return view.setInt32(offset, value, true);
      case 'I16':
        return view.setInt16(offset, value, true);
      case 'I8':
        return view.setInt8(offset, value);
      case 'U8':
        return view.setUint8(offset, value);
    }
  });
  return start + tensor.data.length * width;
}

const DTYPE_ARRAYS: Record<SafetensorsDtype, string> = {
  F64: 'Float64Array',
  F32: 'Float32Array',
  I64: 'Int32Array',
  I32: 'Int32Array',
  I16: 'Int16Array',
  I8: 'Int8Array',
  U8: 'Uint8Array',
};

function checkDataMatches(name: string, tensor: SafetensorsTensor): void {
  const expectedLength = tensor.shape.reduce((product, size) => product * size, 1);
  if (tensor.data.length !== expectedLength) {
    throw new SafetensorsFormatError(
      `Cannot encode tensor '${name}': shape [${tensor.shape.join(', ')}] needs ${expectedLength} values, data has ${tensor.data.length}.`,
      name,
    );
  }
  const arrayType = tensor.data.constructor.name;
  if (arrayType !== DTYPE_ARRAYS[tensor.dtype]) {
    throw new SafetensorsFormatError(
      `Cannot encode tensor '${name}': dtype ${tensor.dtype} needs a ${DTYPE_ARRAYS[tensor.dtype]}, got a ${arrayType}.`,
      name,
    );
  }
}

function fill<T extends SafetensorsData>(array: T, valueAt: (index: number) => number): T {
  for (let i = 0; i < array.length; i++) {
    array[i] = valueAt(i);
  }
  return array;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
