import { concatBytes } from './bytes.js';

/** First two bytes of every gzip stream (RFC 1952). */
export const GZIP_MAGIC: readonly number[] = [0x1f, 0x8b];

/** Returns whether `bytes` starts with the gzip magic bytes. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Decompresses a gzip stream with the `DecompressionStream` that browsers and Node 18+ provide.
 *
 * @param maxBytes largest output accepted. Decompression stops as soon as the output passes it, so a
 *   small file that expands without bound (a gzip bomb) costs at most this much memory. Default: no limit.
 * @throws TypeError from the stream when `bytes` is not valid gzip or is truncated.
 * @throws RangeError when the output passes `maxBytes`.
 */
export async function gunzip(bytes: Uint8Array, maxBytes = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const input = new Blob([toArrayBufferView(bytes)]).stream();
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw new RangeError(`the gzip data expands to more than the expected ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

// Blob needs memory backed by an ArrayBuffer, not a SharedArrayBuffer.
function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(bytes);
}
