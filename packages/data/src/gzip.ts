/** First two bytes of every gzip stream (RFC 1952). */
export const GZIP_MAGIC: readonly number[] = [0x1f, 0x8b];

/** Returns whether `bytes` starts with the gzip magic bytes. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Decompresses a gzip stream with the `DecompressionStream` that browsers and Node 18+ provide.
 *
 * @throws TypeError from the stream when `bytes` is not valid gzip or is truncated.
 */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const input = new Blob([toArrayBufferView(bytes)]).stream();
  const output = input.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(output).arrayBuffer());
}

// Blob needs memory backed by an ArrayBuffer, not a SharedArrayBuffer.
function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(bytes);
}
