import { md5Hex } from './checksum.js';
import { MnistDataset } from './dataset.js';
import { downloadMnistFile, type DownloadOptions } from './download.js';
import { ChecksumError, CorruptFileError, InvalidMnistFilesError, MnistNotFoundError } from './errors.js';
import type { MnistEventListener } from './events.js';
import { gunzip } from './gzip.js';
import { IdxFormatError, parseIdx } from './idx.js';
import { MNIST_FILES, type MnistFileEntry, type MnistFilesTable, type MnistSplit } from './mnist-files.js';
import type { MnistFileStore } from './store.js';

/** Advice in {@link MnistNotFoundError} when the caller did not give its own. */
export const DEFAULT_DOWNLOAD_HINT = 'pass download: true';

/**
 * Record of files whose checksum passed, so that a later run can skip recomputing the MD5 of an
 * unchanged file. `DirectoryFileStore` users get one from `FileChecksumMemo` in `@lstm-mnist/data/node`.
 * Implementations must not throw: a memo that cannot be read or written only costs speed.
 */
export interface ChecksumMemo {
  /** Returns whether the stored file `name` passed a check for content MD5 `md5` and is unchanged since. */
  isVerified(name: string, md5: string): Promise<boolean>;
  /** Records that the stored file `name`, as it is now, has content MD5 `md5`. */
  remember(name: string, md5: string): Promise<void>;
}

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions extends DownloadOptions {
  /** Downloads missing files from the mirrors and writes them to the store. Default: false. */
  download?: boolean;
  /** File names and checksums. Default: {@link MNIST_FILES}. */
  files?: MnistFilesTable;
  /** How to enable downloads, for the not-found message, e.g. "drop --no-download". Default: {@link DEFAULT_DOWNLOAD_HINT}. */
  downloadHint?: string;
  /** Receives `file-verified` and download events. */
  onEvent?: MnistEventListener;
  /** Skips the MD5 of stored files that it records as verified and unchanged. Default: none, so every file is hashed. */
  checksumMemo?: ChecksumMemo;
}

/**
 * Loads one split from a store. Each file is read as `<name>` or else `<name>.gz`, decompressed with
 * `DecompressionStream`, and checked against the MD5 of the uncompressed file in the table, so any gzip
 * of the right file is accepted. Missing files are downloaded when `download` is true: the mirror's
 * `.gz` is checked against its own MD5 too, and the uncompressed file is written to the store.
 *
 * @throws MnistNotFoundError when files are missing and `download` is false; it names the store and the files.
 * @throws ChecksumError when a stored file fails its checksum.
 * @throws CorruptFileError when a stored `.gz` file cannot be decompressed.
 * @throws MnistDownloadError when no mirror delivers a file that passes its checksums.
 * @throws InvalidMnistFilesError when the files read are not a valid MNIST split (an IDX header or label out of range).
 */
export async function loadMnist(
  store: MnistFileStore,
  split: MnistSplit,
  options: LoadMnistOptions = {},
): Promise<MnistDataset> {
  const files = options.files ?? MNIST_FILES;
  const entries = [files[split].images, files[split].labels] as const;

  const found = await Promise.all(entries.map((entry) => readVerifiedFile(store, entry, options)));
  const missing = entries.filter((_, index) => found[index] === undefined);
  if (missing.length > 0 && options.download !== true) {
    throw new MnistNotFoundError(
      store.describe(),
      missing.map((entry) => entry.name),
      options.downloadHint ?? DEFAULT_DOWNLOAD_HINT,
    );
  }

  const images = found[0] ?? (await downloadToStore(store, entries[0], options));
  const labels = found[1] ?? (await downloadToStore(store, entries[1], options));

  try {
    return MnistDataset.fromIdx(parseIdx(images, entries[0].name), parseIdx(labels, entries[1].name));
  } catch (error) {
    if (error instanceof IdxFormatError || error instanceof RangeError) {
      throw new InvalidMnistFilesError(
        entries.map((entry) => entry.name),
        store.describe(),
        error.message,
      );
    }
    throw error;
  }
}

/**
 * Reads `<name>` or else `<name>.gz` from the store and checks the uncompressed bytes against `entry.md5`.
 * Returns undefined when neither file exists.
 *
 * @throws ChecksumError or CorruptFileError as {@link loadMnist} describes.
 */
export async function readVerifiedFile(
  store: MnistFileStore,
  entry: MnistFileEntry,
  options: Pick<LoadMnistOptions, 'onEvent' | 'md5' | 'checksumMemo'> = {},
): Promise<Uint8Array | undefined> {
  const { onEvent } = options;
  const location = store.describe();
  const raw = await store.read(entry.name);
  if (raw !== undefined) {
    const remembered = await verifyStored(raw, entry, entry.name, location, false, options);
    onEvent?.({ type: 'file-verified', file: entry.name, location, compressed: false, ...(remembered ? { remembered: true as const } : {}) });
    return raw;
  }

  const gzName = `${entry.name}.gz`;
  const gz = await store.read(gzName);
  if (gz === undefined) {
    return undefined;
  }

  const content = await gunzip(gz, entry.bytes).catch((error: unknown) => {
    throw new CorruptFileError(gzName, location, error instanceof Error ? error.message : String(error));
  });
  const remembered = await verifyStored(content, entry, gzName, location, true, options);
  onEvent?.({ type: 'file-verified', file: entry.name, location, compressed: true, ...(remembered ? { remembered: true as const } : {}) });
  return content;
}

/**
 * Checks `content` of the stored file `file` against `entry.md5`, unless the memo records it as
 * verified. Returns true when the memo was used.
 */
async function verifyStored(
  content: Uint8Array,
  entry: MnistFileEntry,
  file: string,
  location: string,
  decompressed: boolean,
  options: Pick<LoadMnistOptions, 'md5' | 'checksumMemo'>,
): Promise<boolean> {
  const memo = options.checksumMemo;
  if (memo !== undefined && content.length === entry.bytes && (await memo.isVerified(file, entry.md5))) {
    return true;
  }

  checkMd5((options.md5 ?? md5Hex)(content), content.length, entry, file, location, decompressed);
  await memo?.remember(file, entry.md5);
  return false;
}

function checkMd5(actual: string, actualBytes: number, entry: MnistFileEntry, file: string, location: string, decompressed: boolean): void {
  if (actual !== entry.md5) {
    throw new ChecksumError({
      file,
      location,
      expected: entry.md5,
      actual,
      expectedBytes: entry.bytes,
      actualBytes,
      decompressed,
    });
  }
}

async function downloadToStore(store: MnistFileStore, entry: MnistFileEntry, options: LoadMnistOptions): Promise<Uint8Array> {
  const location = store.describe();
  const downloaded = await downloadMnistFile(entry, location, options);
  await store.write(entry.name, downloaded.raw);
  await options.checksumMemo?.remember(entry.name, entry.md5);

  options.onEvent?.({ type: 'download-complete', file: entry.name, url: downloaded.url, bytes: downloaded.gzBytes, location });
  return downloaded.raw;
}
