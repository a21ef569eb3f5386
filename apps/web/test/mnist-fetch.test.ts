import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { type FetchProgress, SameOriginMnistStore } from '../src/mnist-fetch.js';

const BASE = new URL('http://127.0.0.1:1/app/mnist/');
const RAW = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);

function serve(body: Uint8Array | undefined): string[] {
  const requested: string[] = [];
  vi.stubGlobal('fetch', async (url: URL) => {
    requested.push(url.pathname);
    if (body === undefined) return new Response('not found', { status: 404 });
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'Content-Length': String(body.length) } });
  });
  return requested;
}

describe('SameOriginMnistStore', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  test('fetches <name>.gz and decompresses it', async () => {
    const requested = serve(new Uint8Array(gzipSync(RAW)));

    expect(await new SameOriginMnistStore(BASE).read('t10k-labels-idx1-ubyte')).toEqual(RAW);
    expect(requested).toEqual(['/app/mnist/t10k-labels-idx1-ubyte.gz']);
  });

  test('accepts bytes the browser already decompressed', async () => {
    serve(RAW);

    expect(await new SameOriginMnistStore(BASE).read('t10k-labels-idx1-ubyte')).toEqual(RAW);
  });

  test('reports progress against Content-Length', async () => {
    const gz = new Uint8Array(gzipSync(RAW));
    serve(gz);
    const updates: FetchProgress[] = [];
    await new SameOriginMnistStore(BASE, (progress) => updates.push(progress)).read('t10k-labels-idx1-ubyte');

    expect(updates.at(-1)).toEqual({ file: 't10k-labels-idx1-ubyte', receivedBytes: gz.length, totalBytes: gz.length });
  });

  test('missing file reads as undefined', async () => {
    serve(undefined);

    expect(await new SameOriginMnistStore(BASE).read('t10k-labels-idx1-ubyte')).toBeUndefined();
  });

  test('ignores .gz names', async () => {
    const requested = serve(RAW);

    expect(await new SameOriginMnistStore(BASE).read('t10k-labels-idx1-ubyte.gz')).toBeUndefined();
    expect(requested).toEqual([]);
  });

  test('names the file when the gzip is corrupt', async () => {
    const gz = new Uint8Array(gzipSync(RAW)).subarray(0, 12);
    serve(gz);

    await expect(new SameOriginMnistStore(BASE).read('t10k-labels-idx1-ubyte')).rejects.toThrow('/app/mnist/t10k-labels-idx1-ubyte.gz is not a valid gzip file');
  });
});
