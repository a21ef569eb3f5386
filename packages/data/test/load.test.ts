import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import {
  ChecksumError,
  CorruptFileError,
  encodeIdx,
  InvalidMnistFilesError,
  loadMnist,
  md5Hex,
  MemoryFileStore,
  MnistNotFoundError,
  type MnistEvent,
} from '../src/index.js';
import { fileOf, makeFakeMnist, rejection } from './helpers.js';

const fake = makeFakeMnist();


describe('loadMnist from a store', () => {
  it('loads uncompressed files', async () => {
    const store = new MemoryFileStore(fake.raw);
    const train = await loadMnist(store, 'train', { files: fake.files });
    expect(train.length).toBe(fake.counts.train);
    expect(Array.from(train.labels.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('loads gzip files when the uncompressed ones are missing', async () => {
    const gzFiles = Object.fromEntries(Object.entries(fake.gz).map(([name, bytes]) => [`${name}.gz`, bytes]));
    const events: MnistEvent[] = [];
    const test = await loadMnist(new MemoryFileStore(gzFiles), 'test', { files: fake.files, onEvent: (event) => events.push(event) });
    expect(test.length).toBe(fake.counts.test);
    expect(events).toContainEqual({ type: 'file-verified', file: 't10k-images-idx3-ubyte', location: 'memory', compressed: true });
  });

  it('accepts any gzip of the right content', async () => {
    const recompressed = new Uint8Array(gzipSync(fileOf(fake.raw, 't10k-labels-idx1-ubyte'), { level: 1 }));
    const store = new MemoryFileStore({
      't10k-images-idx3-ubyte': fileOf(fake.raw, 't10k-images-idx3-ubyte'),
      't10k-labels-idx1-ubyte.gz': recompressed,
    });
    expect((await loadMnist(store, 'test', { files: fake.files })).length).toBe(fake.counts.test);
  });

  it('prefers the uncompressed file over the gzip file', async () => {
    const store = new MemoryFileStore({ ...fake.raw, 'train-images-idx3-ubyte.gz': Uint8Array.from([1, 2, 3]) });
    expect((await loadMnist(store, 'train', { files: fake.files })).length).toBe(fake.counts.train);
  });

  it('checks files with the given MD5 function', async () => {
    const hashed: number[] = [];
    const md5 = (bytes: Uint8Array): string => {
      hashed.push(bytes.length);
      return md5Hex(bytes);
    };
    await loadMnist(new MemoryFileStore(fake.raw), 'test', { files: fake.files, md5 });
    expect(hashed.sort((a, b) => a - b)).toEqual([fake.files.test.labels.bytes, fake.files.test.images.bytes]);
  });

  it('rejects a file with the wrong checksum', async () => {
    const corrupt = fileOf(fake.raw, 'train-labels-idx1-ubyte').slice(0, -1);
    const store = new MemoryFileStore({ ...fake.raw, 'train-labels-idx1-ubyte': corrupt }, '/data/MNIST/raw');
    const error = await rejection(loadMnist(store, 'train', { files: fake.files }));

    expect(error).toBeInstanceOf(ChecksumError);
    const expected = fake.files.train.labels.md5;
    expect(error.message).toMatch(
      new RegExp(
        `^Checksum mismatch for train-labels-idx1-ubyte in /data/MNIST/raw: expected MD5 ${expected}, got [0-9a-f]{32}\\. ` +
          'It has 19 bytes instead of 20\\. The file is corrupt or incomplete: delete it and rerun to fetch it again\\.$',
      ),
    );
  });

  it('rejects a gzip file whose content has the wrong checksum', async () => {
    const wrongContent = new Uint8Array(gzipSync(fileOf(fake.raw, 't10k-labels-idx1-ubyte')));
    const store = new MemoryFileStore({
      'train-images-idx3-ubyte': fileOf(fake.raw, 'train-images-idx3-ubyte'),
      'train-labels-idx1-ubyte.gz': wrongContent,
    });
    const error = await rejection(loadMnist(store, 'train', { files: fake.files }));

    expect(error).toBeInstanceOf(ChecksumError);
    expect(error.message).toContain(`Checksum mismatch for train-labels-idx1-ubyte.gz in memory: expected MD5 ${fake.files.train.labels.md5} of the decompressed content`);
  });

  it('rejects a truncated gzip file', async () => {
    const truncated = fileOf(fake.gz, 't10k-images-idx3-ubyte').slice(0, 12);
    const store = new MemoryFileStore({ 't10k-images-idx3-ubyte.gz': truncated, 't10k-labels-idx1-ubyte': fileOf(fake.raw, 't10k-labels-idx1-ubyte') });
    const error = await rejection(loadMnist(store, 'test', { files: fake.files }));

    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error.message).toMatch(/^Cannot decompress t10k-images-idx3-ubyte\.gz in memory: .+\. The file is corrupt or incomplete: delete it and rerun to fetch it again\.$/);
  });

  it('reports a label outside 0..9 as invalid files, naming both', async () => {
    const labels = encodeIdx({ dtype: 'uint8', shape: [fake.counts.test], data: Uint8Array.from({ length: fake.counts.test }, (_, i) => (i === 2 ? 255 : 0)) });
    const files = { ...fake.files, test: { ...fake.files.test, labels: { ...fake.files.test.labels, md5: md5Hex(labels), bytes: labels.length } } };
    const store = new MemoryFileStore({ 't10k-images-idx3-ubyte': fileOf(fake.raw, 't10k-images-idx3-ubyte'), 't10k-labels-idx1-ubyte': labels });

    const error = await rejection(loadMnist(store, 'test', { files }), InvalidMnistFilesError);

    expect(error.files).toEqual(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
    expect(error.message).toBe(
      'Invalid MNIST data in t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte in memory: ' +
        'Invalid MNIST label 255 at index 2: labels must be in [0, 9]. Delete these files and rerun to fetch them again.',
    );
  });

  it('stops decompressing a gzip file that expands past the size in the table', async () => {
    // 64 MiB of zeros compress to about 64 KiB; the table expects a few hundred bytes.
    const bomb = gzipSync(new Uint8Array(64 * 1024 * 1024));
    const store = new MemoryFileStore({ 't10k-images-idx3-ubyte.gz': bomb, 't10k-labels-idx1-ubyte': fileOf(fake.raw, 't10k-labels-idx1-ubyte') });
    const before = process.memoryUsage().arrayBuffers;

    const error = await rejection(loadMnist(store, 'test', { files: fake.files }));

    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error.message).toContain(`expands to more than the expected ${fake.files.test.images.bytes} bytes`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('loadMnist with missing files', () => {
  it('names the location, the files and the fix when download is off', async () => {
    const error = await rejection(loadMnist(new MemoryFileStore({}, 'browser cache'), 'train'));

    expect(error).toBeInstanceOf(MnistNotFoundError);
    expect(error.message).toBe(
      'MNIST not found in browser cache: missing train-images-idx3-ubyte, train-labels-idx1-ubyte (raw or .gz). ' +
        'To fix this, pass download: true to download it, or put the files in browser cache.',
    );
  });

  it('lists only the missing files', async () => {
    const store = new MemoryFileStore({ 't10k-labels-idx1-ubyte': fileOf(fake.raw, 't10k-labels-idx1-ubyte') });
    const error = await rejection(loadMnist(store, 'test', { files: fake.files }));
    expect(error).toBeInstanceOf(MnistNotFoundError);
    expect((error as MnistNotFoundError).missing).toEqual(['t10k-images-idx3-ubyte']);
  });

  it('uses the caller’s download hint', async () => {
    const error = await rejection(loadMnist(new MemoryFileStore(), 'test', { downloadHint: 'drop --no-download' }));
    expect(error.message).toContain('To fix this, drop --no-download to download it, or put the files in memory.');
  });

  it('downloads through the injected fetch and stores the uncompressed file', async () => {
    const requested: string[] = [];
    const fakeFetch = async (input: string | URL | Request): Promise<Response> => {
      const url = String(input);
      requested.push(url);
      const name = url.slice(url.lastIndexOf('/') + 1).replace(/\.gz$/, '');
      const body = fake.gz[name];
      return body === undefined ? new Response(null, { status: 404 }) : new Response(new Blob([new Uint8Array(body)]));
    };
    const store = new MemoryFileStore();
    const events: MnistEvent[] = [];

    const test = await loadMnist(store, 'test', {
      files: fake.files,
      download: true,
      fetch: fakeFetch as typeof fetch,
      mirrors: ['https://mirror.invalid/mnist/'],
      onEvent: (event) => events.push(event),
    });

    expect(test.length).toBe(fake.counts.test);
    expect(requested).toEqual(['https://mirror.invalid/mnist/t10k-images-idx3-ubyte.gz', 'https://mirror.invalid/mnist/t10k-labels-idx1-ubyte.gz']);
    expect(store.names().sort()).toEqual(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
    expect(await store.read('t10k-labels-idx1-ubyte')).toEqual(fake.raw['t10k-labels-idx1-ubyte']);
    expect(events.filter((event) => event.type === 'download-complete')).toHaveLength(2);
  });
});
