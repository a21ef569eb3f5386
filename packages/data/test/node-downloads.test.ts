import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ChecksumError, md5Hex, MnistNotFoundError, type MnistEvent } from '../src/index.js';
import { CHECKSUM_MEMO_FILE, DirectoryFileStore, prepareMnist, STALE_TEMPORARY_FILE_MS } from '../src/node/index.js';
import { fileOf, makeFakeMnist, rejection } from './helpers.js';
import { sendBody, sendStalled, startScriptedServer, type ScriptedServer } from './http-fixtures.js';

const fake = makeFakeMnist();
const names = Object.keys(fake.raw).sort();
const firstDownload = fake.files.train.images.name;

let root: string;
let folder: string;
let server: ScriptedServer;
let onHang: () => void = () => undefined;

beforeAll(async () => {
  const routes: Parameters<typeof startScriptedServer>[0] = {};
  for (const [name, body] of Object.entries(fake.gz)) {
    routes[`/good/${name}.gz`] = (response) => sendBody(response, 200, body);
  }
  // The first file prepareMnist downloads arrives in part, then the server goes silent.
  routes[`/hang/${firstDownload}.gz`] = (response) => {
    sendStalled(response, fileOf(fake.gz, firstDownload), 10);
    onHang();
  };
  server = await startScriptedServer(routes);
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lstm-mnist-downloads-'));
  folder = join(root, 'MNIST', 'raw');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});


/** An MD5 function that records the size of every input it hashes. */
function countingMd5(): { md5: (bytes: Uint8Array) => string; sizes: number[] } {
  const sizes: number[] = [];
  return {
    sizes,
    md5: (bytes) => {
      sizes.push(bytes.length);
      return md5Hex(bytes);
    },
  };
}

async function downloadAll(extra: Partial<Parameters<typeof prepareMnist>[0]> = {}): Promise<void> {
  await prepareMnist({ dataDir: root, packageDir: null, proxy: null, files: fake.files, mirrors: [`${server.origin}/good/`], ...extra });
}

async function listFolder(): Promise<string[]> {
  return (await readdir(folder).catch(() => [])).sort();
}

describe('prepareMnist checksum memo', () => {
  it('records each downloaded file with its size and MD5', async () => {
    await downloadAll();

    const memo = JSON.parse(await readFile(join(folder, CHECKSUM_MEMO_FILE), 'utf8')) as {
      version: number;
      files: Record<string, { size: number; md5: string; mtimeMs: number }>;
    };
    expect(memo.version).toBe(1);
    expect(Object.keys(memo.files).sort()).toEqual(names);
    expect(memo.files[firstDownload]).toMatchObject({ size: fake.files.train.images.bytes, md5: fake.files.train.images.md5 });
  });

  it('skips the MD5 of unchanged files on the next run', async () => {
    await downloadAll();
    const counter = countingMd5();
    const events: MnistEvent[] = [];

    await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files, md5: counter.md5, onEvent: (event) => events.push(event) });

    expect(counter.sizes).toEqual([]);
    const verified = events.filter((event) => event.type === 'file-verified');
    expect(verified).toHaveLength(4);
    expect(verified.every((event) => event.remembered === true)).toBe(true);
  });

  it('hashes a file again when its modification time changed', async () => {
    await downloadAll();
    const changed = join(folder, 't10k-labels-idx1-ubyte');
    await utimes(changed, new Date(2001, 0, 1), new Date(2001, 0, 1));
    const counter = countingMd5();

    await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files, md5: counter.md5 });
    expect(counter.sizes).toEqual([fake.files.test.labels.bytes]);
  });

  it('reports a corrupt file of the right size by name', async () => {
    await downloadAll();
    const labels = fileOf(fake.raw, 'train-labels-idx1-ubyte');
    await writeFile(join(folder, 'train-labels-idx1-ubyte'), labels.map((byte) => byte ^ 0xff));

    const error = await rejection(prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files }));
    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.message).toMatch(new RegExp(`^Checksum mismatch for train-labels-idx1-ubyte in ${folder}: expected MD5 ${fake.files.train.labels.md5}, got [0-9a-f]{32}\\. `));
    expect(error.message).toMatch(/The file is corrupt or incomplete: delete it and rerun to fetch it again\.$/);
  });

  it('ignores a malformed memo and writes a new one', async () => {
    await downloadAll();
    await writeFile(join(folder, CHECKSUM_MEMO_FILE), 'not json');
    const events: MnistEvent[] = [];
    const counter = countingMd5();

    await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files, md5: counter.md5, onEvent: (event) => events.push(event) });

    expect(counter.sizes).toHaveLength(4);
    const failure = events.find((event) => event.type === 'checksum-memo-failed');
    expect(failure).toMatchObject({ type: 'checksum-memo-failed', path: join(folder, CHECKSUM_MEMO_FILE) });
    expect(failure).toHaveProperty('reason', expect.stringMatching(/JSON/));
    expect(JSON.parse(await readFile(join(folder, CHECKSUM_MEMO_FILE), 'utf8'))).toHaveProperty('version', 1);
  });

  it('hashes every file when the memo is off', async () => {
    await downloadAll({ checksumMemo: null });
    const counter = countingMd5();

    await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files, md5: counter.md5, checksumMemo: null });
    expect(counter.sizes).toHaveLength(4);
    expect(await listFolder()).toEqual(names);
  });
});

describe('prepareMnist after an interrupted download', () => {
  it('abort mid-body leaves no usable file', async () => {
    const controller = new AbortController();
    onHang = () => controller.abort(new Error('interrupted by the test'));

    const error = await rejection(
      prepareMnist({ dataDir: root, packageDir: null, proxy: null, files: fake.files, mirrors: [`${server.origin}/hang/`], signal: controller.signal }),
    );
    expect(error.message).toBe('interrupted by the test');
    expect(await listFolder()).toEqual([]);

    await downloadAll();
    expect((await listFolder()).filter((name) => !name.startsWith('.'))).toEqual(names);
  });

  it('kill mid-body leaves no usable file', async () => {
    const hang = new Promise<void>((resolve) => {
      onHang = resolve;
    });
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('fixtures/prepare-child.ts', import.meta.url));
    const child: ChildProcess = spawn(process.execPath, ['--import', tsxLoader, script, root, `${server.origin}/hang/`, JSON.stringify(fake.files)], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

    try {
      await hang;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }

    const offline = await rejection(prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files }));
    expect(offline).toBeInstanceOf(MnistNotFoundError);
    expect((offline as MnistNotFoundError).missing).toEqual(Object.keys(fake.raw));

    await downloadAll();
    expect((await listFolder()).filter((name) => !name.startsWith('.'))).toEqual(names);
  }, 20_000);

  it('never reads a temporary file as data', async () => {
    await mkdir(folder, { recursive: true });
    const temporary = `.${firstDownload}.0123456789ab.tmp`;
    await writeFile(join(folder, temporary), fileOf(fake.raw, firstDownload));

    const error = await rejection(prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files }));
    expect((error as MnistNotFoundError).missing).toEqual(Object.keys(fake.raw));
    expect(await listFolder()).toContain(temporary);
  });

  it('deletes temporary files left over an hour ago', async () => {
    await mkdir(folder, { recursive: true });
    const old = `.${firstDownload}.0123456789ab.tmp`;
    const recent = `.${firstDownload}.ba9876543210.tmp`;
    await writeFile(join(folder, old), 'partial');
    await writeFile(join(folder, recent), 'partial');
    const longAgo = new Date(Date.now() - STALE_TEMPORARY_FILE_MS - 60_000);
    await utimes(join(folder, old), longAgo, longAgo);
    const events: MnistEvent[] = [];

    await downloadAll({ onEvent: (event) => events.push(event) });

    expect(events).toContainEqual({ type: 'temporary-file-removed', path: join(folder, old) });
    expect(await listFolder()).toContain(recent);
    expect(await listFolder()).not.toContain(old);
  });

  it('keeps files that only look like temporary files', async () => {
    const store = new DirectoryFileStore(root);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'notes.tmp'), 'mine');
    const longAgo = new Date(Date.now() - STALE_TEMPORARY_FILE_MS - 60_000);
    await utimes(join(folder, 'notes.tmp'), longAgo, longAgo);

    expect(await store.removeStaleTemporaryFiles()).toEqual([]);
    expect(await listFolder()).toEqual(['notes.tmp']);
  });
});
