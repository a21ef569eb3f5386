import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { downloadMnistFile, md5Hex, MnistDownloadError, type MnistEvent, type MnistFileEntry } from '../src/index.js';
import { fileOf, makeFakeMnist, rejection } from './helpers.js';
import { sendBody, sendSlowly, sendStalled, sendTruncated, startScriptedServer, type ScriptedServer } from './http-fixtures.js';

const fake = makeFakeMnist();
const entry = fake.files.train.images;
const raw = fileOf(fake.raw, entry.name);
const gz = fileOf(fake.gz, entry.name);
const file = `${entry.name}.gz`;
const html = new TextEncoder().encode('<!DOCTYPE html>\n<html><body>Access denied</body></html>');
const otherGz = new Uint8Array(gzipSync(new TextEncoder().encode('some other file')));
const brokenGz = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]);

let server: ScriptedServer;

beforeAll(async () => {
  server = await startScriptedServer({
    [`/good/${file}`]: (response) => sendBody(response, 200, gz),
    [`/html/${file}`]: (response) => sendBody(response, 200, html, { 'content-type': 'text/html; charset=utf-8' }),
    [`/html-stall/${file}`]: (response) => sendStalled(response, html, 20),
    [`/forbidden/${file}`]: (response) => sendBody(response, 403, html),
    [`/other/${file}`]: (response) => sendBody(response, 200, otherGz),
    [`/broken/${file}`]: (response) => sendBody(response, 200, brokenGz),
    [`/unavailable/${file}`]: (response) => sendBody(response, 503, html),
    [`/unavailable-twice/${file}`]: (response, count) => (count <= 2 ? sendBody(response, 503, html) : sendBody(response, 200, gz)),
    [`/truncated/${file}`]: (response) => sendTruncated(response, gz, 10),
    [`/truncated-once/${file}`]: (response, count) => (count === 1 ? sendTruncated(response, gz, 10) : sendBody(response, 200, gz)),
    [`/stall-body/${file}`]: (response) => sendStalled(response, gz, 10),
    [`/stall-headers/${file}`]: () => undefined,
    [`/slow/${file}`]: (response) => sendSlowly(response, gz, 10, 100),
    [`/very-slow/${file}`]: (response) => sendSlowly(response, gz, gz.length, 50),
    [`/encoded/${file}`]: (response) => sendBody(response, 200, gz, { 'content-encoding': 'gzip' }),
  });
});

afterAll(async () => {
  await server.close();
});

function url(mirror: string): string {
  return `${server.origin}/${mirror}/${file}`;
}

function mirrors(...names: string[]): string[] {
  return names.map((name) => `${server.origin}/${name}/`);
}


function eventsOf<T extends MnistEvent['type']>(events: readonly MnistEvent[], type: T): Extract<MnistEvent, { type: T }>[] {
  return events.filter((event): event is Extract<MnistEvent, { type: T }> => event.type === type);
}

describe('downloadMnistFile response checks', () => {
  it('rejects an HTML page served with status 200', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', { mirrors: mirrors('html', 'good'), onEvent: (event) => events.push(event) });

    expect(result.url).toBe(url('good'));
    expect(eventsOf(events, 'download-failed')[0]?.reason).toBe(
      'not gzip: the body starts with "<!DOCTYPE html>\\n<html><body>Acce"... ' +
        'instead of the gzip magic bytes 1f 8b (Content-Type text/html; charset=utf-8)',
    );
    expect(server.countOf(`/html/${file}`)).toBeGreaterThan(0);
  });

  it('stops reading a body once its start is not gzip', async () => {
    // The server sends 20 bytes of HTML and then nothing, so only the early check ends this before the stall limit.
    const started = performance.now();
    const error = await rejection(
      downloadMnistFile(entry, '/data', { mirrors: mirrors('html-stall'), stallTimeoutMs: 5_000, retries: 0 }), MnistDownloadError,
    );

    expect(error.attempts[0]?.reason).toBe('not gzip: the body starts with "<!DOCTYPE html>\\n<htm" instead of the gzip magic bytes 1f 8b');
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('does not retry 403, 404, not gzip or a wrong checksum', async () => {
    const before = ['forbidden', 'missing', 'html', 'other'].map((name) => server.countOf(`/${name}/${file}`));
    const events: MnistEvent[] = [];

    const result = await downloadMnistFile(entry, '/data', {
      mirrors: mirrors('forbidden', 'missing', 'html', 'other', 'good'),
      retryDelayMs: 1,
      onEvent: (event) => events.push(event),
    });

    expect(result.url).toBe(url('good'));
    expect(eventsOf(events, 'download-retry')).toEqual([]);
    const after = ['forbidden', 'missing', 'html', 'other'].map((name) => server.countOf(`/${name}/${file}`));
    expect(after.map((count, index) => count - (before[index] ?? 0))).toEqual([1, 1, 1, 1]);
    const reasons = eventsOf(events, 'download-failed').map((event) => event.reason);
    expect(reasons[0]).toBe('HTTP 403 Forbidden');
    expect(reasons[1]).toBe('HTTP 404 Not Found');
    expect(reasons[2]).toMatch(/^not gzip: /);
    expect(reasons[3]).toBe(`Checksum mismatch for ${file} in ${url('other')}: expected MD5 ${entry.gzMd5}, got ${md5Hex(otherGz)}.`);
  });

  it('rejects a gzip body that cannot be decompressed', async () => {
    const tableWithBrokenGz: MnistFileEntry = { ...entry, gzMd5: md5Hex(brokenGz) };
    const error = await rejection(downloadMnistFile(tableWithBrokenGz, '/data', { mirrors: mirrors('broken') }), MnistDownloadError);
    expect(error.attempts[0]?.reason).toMatch(/^invalid gzip data: /);
  });

  it('accepts a file sent with Content-Encoding gzip', async () => {
    const result = await downloadMnistFile(entry, '/data', { mirrors: mirrors('encoded') });
    expect(result.raw).toEqual(raw);
    expect(result.url).toBe(url('encoded'));
  });

  it('lists every mirror and its reason when all fail', async () => {
    const error = await rejection(
      downloadMnistFile(entry, '/data/MNIST/raw', { mirrors: mirrors('forbidden', 'html', 'truncated', 'missing'), retries: 0 }), MnistDownloadError,
    );

    expect(error.attempts.map((attempt) => attempt.url)).toEqual([url('forbidden'), url('html'), url('truncated'), url('missing')]);
    expect(error.message).toBe(
      `Download of ${entry.name} failed on every mirror (` +
        `${url('forbidden')}: HTTP 403 Forbidden; ` +
        `${url('html')}: not gzip: the body starts with "<!DOCTYPE html>\\n<html><body>Acce"... ` +
        'instead of the gzip magic bytes 1f 8b (Content-Type text/html; charset=utf-8); ' +
        `${url('truncated')}: ${error.attempts[2]?.reason ?? ''}; ` +
        `${url('missing')}: HTTP 404 Not Found). ` +
        `Check the network connection (and HTTPS_PROXY, HTTP_PROXY and NO_PROXY when you use a proxy) and rerun, or put ${entry.name} or ${file} in /data/MNIST/raw yourself.`,
    );
    expect(error.attempts[2]?.reason).toMatch(new RegExp(`^body truncated: connection failed after 10 of ${gz.length} bytes \\(`));
  });
});

describe('downloadMnistFile retries', () => {
  it('retries a 503 with doubling delays, then succeeds', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', {
      mirrors: mirrors('unavailable-twice'),
      retries: 2,
      retryDelayMs: 20,
      onEvent: (event) => events.push(event),
    });

    expect(result.raw).toEqual(raw);
    expect(eventsOf(events, 'download-retry')).toEqual([
      { type: 'download-retry', file: entry.name, url: url('unavailable-twice'), attempt: 1, maxAttempts: 3, delayMs: 20, reason: 'HTTP 503 Service Unavailable' },
      { type: 'download-retry', file: entry.name, url: url('unavailable-twice'), attempt: 2, maxAttempts: 3, delayMs: 40, reason: 'HTTP 503 Service Unavailable' },
    ]);
    expect(eventsOf(events, 'download-start')).toHaveLength(1);
  });

  it('reports the attempt count after the last retry', async () => {
    const before = server.countOf(`/unavailable/${file}`);
    const error = await rejection(downloadMnistFile(entry, '/data', { mirrors: mirrors('unavailable'), retries: 2, retryDelayMs: 1 }), MnistDownloadError);

    expect(error.attempts[0]?.reason).toBe('HTTP 503 Service Unavailable (3 attempts)');
    expect(server.countOf(`/unavailable/${file}`) - before).toBe(3);
  });

  it('retries a truncated body', async () => {
    const events: MnistEvent[] = [];
    const result = await downloadMnistFile(entry, '/data', { mirrors: mirrors('truncated-once'), retryDelayMs: 1, onEvent: (event) => events.push(event) });

    expect(result.raw).toEqual(raw);
    const [retry] = eventsOf(events, 'download-retry');
    expect(retry?.reason).toMatch(new RegExp(`^body truncated: connection failed after 10 of ${gz.length} bytes \\(terminated`));
  });

  it('stops waiting for a retry when aborted', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const pending = downloadMnistFile(entry, '/data', {
      mirrors: mirrors('unavailable', 'good'),
      retryDelayMs: 10_000,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'download-retry') {
          controller.abort(new Error('user cancelled'));
        }
      },
    });

    await expect(pending).rejects.toThrow('user cancelled');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects invalid retry and timeout options', async () => {
    await expect(downloadMnistFile(entry, '/data', { retries: -1 })).rejects.toThrow('Invalid retries -1: expected a whole number of 0 or more.');
    await expect(downloadMnistFile(entry, '/data', { retries: 1.5 })).rejects.toThrow('Invalid retries 1.5');
    await expect(downloadMnistFile(entry, '/data', { retryDelayMs: Number.NaN })).rejects.toThrow(
      'Invalid retryDelayMs NaN: expected 0 or more milliseconds.',
    );
    await expect(downloadMnistFile(entry, '/data', { stallTimeoutMs: 0 })).rejects.toThrow(
      'Invalid stallTimeoutMs 0: expected a positive number of milliseconds.',
    );
  });
});

describe('downloadMnistFile slow and stalled servers', () => {
  it('drops a body that stops arriving, before the overall timeout', async () => {
    const started = performance.now();
    const error = await rejection(
      downloadMnistFile(entry, '/data', { mirrors: mirrors('stall-body'), stallTimeoutMs: 200, timeoutMs: 20_000, retries: 0 }), MnistDownloadError,
    );

    expect(error.attempts[0]?.reason).toBe('stalled: no data for 200 ms after 10 body bytes');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('drops a server that never sends headers', async () => {
    const error = await rejection(
      downloadMnistFile(entry, '/data', { mirrors: mirrors('stall-headers'), stallTimeoutMs: 200, timeoutMs: 20_000, retries: 0 }), MnistDownloadError,
    );
    expect(error.attempts[0]?.reason).toBe('stalled: no data for 200 ms after 0 body bytes');
  });

  it('retries a stalled mirror before moving on', async () => {
    const events: MnistEvent[] = [];
    await rejection(
      downloadMnistFile(entry, '/data', {
        mirrors: mirrors('stall-body'),
        stallTimeoutMs: 150,
        retries: 1,
        retryDelayMs: 1,
        onEvent: (event) => events.push(event),
      }), MnistDownloadError,
    );
    expect(eventsOf(events, 'download-retry').map((event) => event.reason)).toEqual(['stalled: no data for 150 ms after 10 body bytes']);
    expect(eventsOf(events, 'download-failed')[0]?.reason).toBe('stalled: no data for 150 ms after 10 body bytes (2 attempts)');
  });

  it('accepts a slow body that keeps arriving', async () => {
    // Ten chunks 100 ms apart take about a second, twice the stall limit, but are never silent for that long.
    const result = await downloadMnistFile(entry, '/data', { mirrors: mirrors('slow'), stallTimeoutMs: 500, retries: 0 });
    expect(result.raw).toEqual(raw);
  });

  it('times out a body that keeps arriving past the overall limit', async () => {
    const error = await rejection(
      downloadMnistFile(entry, '/data', { mirrors: mirrors('very-slow'), stallTimeoutMs: 1_000, timeoutMs: 300, retries: 0 }), MnistDownloadError,
    );
    expect(error.attempts[0]?.reason).toBe('timed out after 300 ms');
  });
});
