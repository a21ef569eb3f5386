import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import { encodeIdx, md5Hex, type MnistFileEntry, type MnistFilesTable } from '../src/index.js';

/** A small MNIST look-alike: its IDX files, their gzip versions and a checksum table for them. */
export interface FakeMnist {
  files: MnistFilesTable;
  /** Uncompressed files by name. */
  raw: Record<string, Uint8Array>;
  /** Gzip files by name without `.gz`. */
  gz: Record<string, Uint8Array>;
  counts: { train: number; test: number };
}

export const FAKE_ROWS = 4;
export const FAKE_COLS = 3;

/** Image `i` has every pixel equal to `(i * 7 + 1) % 256`, and label `i % 10`. */
export function makeFakeSplit(count: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(count * FAKE_ROWS * FAKE_COLS);
  for (let i = 0; i < count; i++) {
    pixels.fill((i * 7 + 1) % 256, i * FAKE_ROWS * FAKE_COLS, (i + 1) * FAKE_ROWS * FAKE_COLS);
  }
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return {
    images: encodeIdx({ dtype: 'uint8', shape: [count, FAKE_ROWS, FAKE_COLS], data: pixels }),
    labels: encodeIdx({ dtype: 'uint8', shape: [count], data: labels }),
  };
}

function entryFor(name: string, raw: Uint8Array, gz: Uint8Array): MnistFileEntry {
  return { name, md5: md5Hex(raw), gzMd5: md5Hex(gz), bytes: raw.length };
}

/** Builds a fake MNIST with the real file names: 12 training and 5 test examples of 4x3 pixels. */
export function makeFakeMnist(counts = { train: 12, test: 5 }): FakeMnist {
  const raw: Record<string, Uint8Array> = {};
  const gz: Record<string, Uint8Array> = {};
  const names = {
    train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
    test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
  };

  const table = { train: {}, test: {} } as Record<'train' | 'test', Record<'images' | 'labels', MnistFileEntry>>;
  for (const split of ['train', 'test'] as const) {
    const files = makeFakeSplit(counts[split]);
    for (const kind of ['images', 'labels'] as const) {
      const name = names[split][kind];
      raw[name] = files[kind];
      gz[name] = new Uint8Array(gzipSync(files[kind]));
      table[split][kind] = entryFor(name, files[kind], gz[name]);
    }
  }
  return { files: table, raw, gz, counts };
}

/** What the local server sends for one path: a status and body, or no response at all. */
export type Route = { status: number; body: Uint8Array } | 'stall';

/** An HTTP server on 127.0.0.1 with a fixed route table, and the paths it was asked for. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  origin: string;
  requests: string[];
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 on a free port; unknown paths get 404. */
export async function startLocalServer(routes: Record<string, Route>): Promise<LocalServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const route = routes[path];
    if (route === 'stall') {
      return;
    }
    const { status, body } = route ?? { status: 404, body: new TextEncoder().encode('not found') };
    response.writeHead(status, { 'content-length': body.length });
    response.end(body);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Returns `files[name]`, failing the test when the fixture has no such file. */
export function fileOf(files: Record<string, Uint8Array>, name: string): Uint8Array {
  const bytes = files[name];
  if (bytes === undefined) {
    throw new Error(`test fixture has no file ${name}`);
  }
  return bytes;
}

/**
 * Awaits a promise that must reject and returns its error, so a test can check the message.
 *
 * @throws the rejection itself when it is not an instance of `errorClass`, and an Error when the promise resolves.
 */
export async function rejection<T extends Error = Error>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => T = Error as unknown as abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof errorClass) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the promise to reject');
}
