import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { downloadMnistFile, md5Hex, MnistDownloadError, type MnistEvent, type MnistFileEntry } from '../src/index.js';
import { fileOf, makeFakeMnist, rejection, startLocalServer, type LocalServer } from './helpers.js';

const fake = makeFakeMnist();
const entry = fake.files.train.labels;
const gzBody = fileOf(fake.gz, entry.name);
const garbage = new TextEncoder().encode('<html>this is not the file</html>');
const otherGz = new Uint8Array(gzipSync(garbage));

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({
    [`/good/${entry.name}.gz`]: { status: 200, body: gzBody },
    [`/wrong/${entry.name}.gz`]: { status: 200, body: otherGz },
    [`/html/${entry.name}.gz`]: { status: 200, body: garbage },
    [`/stall/${entry.name}.gz`]: 'stall',
    [`/error/${entry.name}.gz`]: { status: 500, body: garbage },
  });
});

afterAll(async () => {
  await server.close();
});

function mirror(path: string): string {
  return `${server.origin}/${path}/`;
}


/** Returns a port on 127.0.0.1 that this test opened and closed again, so connections to it are refused. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('no TCP address');
  }
  return address.port;
}

describe('downloadMnistFile from a local server', () => {
  it('downloads and decompresses a good file', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', { mirrors: [mirror('good')], onEvent: (event) => events.push(event) });

    expect(result.raw).toEqual(fileOf(fake.raw, entry.name));
    expect(result.url).toBe(`${server.origin}/good/${entry.name}.gz`);
    expect(result.gzBytes).toBe(gzBody.length);
    expect(events).toEqual([{ type: 'download-start', file: entry.name, url: result.url }]);
  });

  it('adds the slash missing at the end of a mirror', async () => {
    const result = await downloadMnistFile(entry, '/data', { mirrors: [`${server.origin}/good`] });
    expect(result.url).toBe(`${server.origin}/good/${entry.name}.gz`);
  });

  it('moves to the next mirror after a 404 and reports why', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', {
      mirrors: [mirror('missing'), mirror('good')],
      onEvent: (event) => events.push(event),
    });

    expect(result.url).toBe(`${server.origin}/good/${entry.name}.gz`);
    expect(events).toContainEqual({
      type: 'download-failed',
      file: entry.name,
      url: `${server.origin}/missing/${entry.name}.gz`,
      reason: 'HTTP 404 Not Found',
      nextUrl: `${server.origin}/good/${entry.name}.gz`,
    });
  });

  it('moves to the next mirror after a wrong checksum', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', {
      mirrors: [mirror('wrong'), mirror('good')],
      onEvent: (event) => events.push(event),
    });

    expect(result.raw).toEqual(fileOf(fake.raw, entry.name));
    const failure = events.find((event) => event.type === 'download-failed');
    expect(failure).toMatchObject({
      url: `${server.origin}/wrong/${entry.name}.gz`,
      reason: `Checksum mismatch for ${entry.name}.gz in ${server.origin}/wrong/${entry.name}.gz: expected MD5 ${entry.gzMd5}, got ${md5Hex(otherGz)}.`,
    });
  });

  it('reports a body without the gzip magic bytes', async () => {
    const tableWithGarbage: MnistFileEntry = { ...entry, gzMd5: md5Hex(garbage) };
    const error = await rejection(downloadMnistFile(tableWithGarbage, '/data', { mirrors: [mirror('html')] }), MnistDownloadError);
    expect(error.attempts[0]?.reason).toBe(
      'not gzip: the body starts with "<html>this is not the file</html"... instead of the gzip magic bytes 1f 8b',
    );
  });

  it('reports content that fails the uncompressed checksum', async () => {
    const tableWithWrongMd5: MnistFileEntry = { ...entry, md5: '0'.repeat(32) };
    const error = await rejection(downloadMnistFile(tableWithWrongMd5, '/data', { mirrors: [mirror('good')] }), MnistDownloadError);
    expect(error.attempts[0]?.reason).toBe(
      `Checksum mismatch for ${entry.name}.gz in ${server.origin}/good/${entry.name}.gz: ` +
        `expected MD5 ${'0'.repeat(32)} of the decompressed content, got ${entry.md5}.`,
    );
  });

  it('gives up on a mirror that does not answer in time', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', {
      mirrors: [mirror('stall'), mirror('good')],
      timeoutMs: 300,
      retries: 0,
      onEvent: (event) => events.push(event),
    });

    expect(result.url).toBe(`${server.origin}/good/${entry.name}.gz`);
    expect(events.find((event) => event.type === 'download-failed')).toMatchObject({ reason: 'timed out after 300 ms' });
  });

  it('reports a refused connection', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mnist/`;
    const error = await rejection(downloadMnistFile(entry, '/data', { mirrors: [url] }), MnistDownloadError);
    expect(error.attempts[0]?.reason).toMatch(/^fetch failed: .*ECONNREFUSED/);
  });

  it('lists every mirror when all fail', async () => {
    const events: MnistEvent[] = [];
    const error = await rejection(
      downloadMnistFile(entry, '/data/MNIST/raw', {
        mirrors: [mirror('missing'), mirror('error')],
        retries: 1,
        retryDelayMs: 10,
        onEvent: (event) => events.push(event),
      }), MnistDownloadError,
    );

    expect(error.message).toBe(
      `Download of ${entry.name} failed on every mirror (` +
        `${server.origin}/missing/${entry.name}.gz: HTTP 404 Not Found; ` +
        `${server.origin}/error/${entry.name}.gz: HTTP 500 Internal Server Error (2 attempts)). ` +
        `Check the network connection (and HTTPS_PROXY, HTTP_PROXY and NO_PROXY when you use a proxy) and rerun, or put ${entry.name} or ${entry.name}.gz in /data/MNIST/raw yourself.`,
    );
    const lastFailure = events.filter((event) => event.type === 'download-failed').at(-1);
    expect(lastFailure).not.toHaveProperty('nextUrl');
  });

  it('stops without trying other mirrors when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const before = server.requests.length;

    await expect(downloadMnistFile(entry, '/data', { mirrors: [mirror('good')], signal: controller.signal })).rejects.toThrow(
      'user cancelled',
    );
    expect(server.requests.length).toBe(before);
  });

  it('stops a running request when aborted', async () => {
    const goodRequests = (): number => server.requests.filter((path) => path.startsWith('/good/')).length;
    const goodBefore = goodRequests();
    const controller = new AbortController();
    const pending = downloadMnistFile(entry, '/data', { mirrors: [mirror('stall'), mirror('good')], signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 100);

    await expect(pending).rejects.toThrow('user cancelled');
    expect(goodRequests()).toBe(goodBefore);
  });
});
