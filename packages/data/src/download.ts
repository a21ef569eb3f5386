import { md5Hex } from './checksum.js';
import { describeChecksumMismatch, MnistDownloadError, type DownloadAttempt } from './errors.js';
import type { MnistEventListener } from './events.js';
import { gunzip } from './gzip.js';
import { MNIST_MIRRORS, type MnistFileEntry } from './mnist-files.js';

/** Default limit for one request to one mirror, body included, in milliseconds. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 300_000;

/** Options of {@link downloadMnistFile}. */
export interface DownloadOptions {
  /** The fetch function to use; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Base URLs tried in order; `<mirror><name>.gz` is requested. Default: {@link MNIST_MIRRORS}. */
  mirrors?: readonly string[];
  /** Limit for one request, body included, in milliseconds. Default: {@link DEFAULT_DOWNLOAD_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborts the download; no further mirror is tried after an abort. */
  signal?: AbortSignal;
  /** Receives `download-start` and `download-failed` events. */
  onEvent?: MnistEventListener;
  /**
   * Computes an MD5 as 32 lowercase hex digits. Default: {@link md5Hex}, which is pure JavaScript;
   * Node callers can pass a native one, which is several times faster on the 47 MB image file.
   */
  md5?: (bytes: Uint8Array) => string;
}

/** A downloaded file that passed both checksums. */
export interface DownloadedFile {
  /** The uncompressed file. */
  raw: Uint8Array;
  /** The URL that delivered it. */
  url: string;
  /** Size of the `.gz` body in bytes. */
  gzBytes: number;
}

class AttemptFailure extends Error {}

/**
 * Downloads `<mirror><entry.name>.gz` from each mirror in turn until one delivers a body whose MD5
 * is `entry.gzMd5` and whose decompressed content has MD5 `entry.md5`. Each failure is reported as a
 * `download-failed` event with its reason before the next mirror is tried.
 *
 * @param location where the file will be stored, named in the error message.
 * @throws MnistDownloadError listing every mirror's failure when none succeeds.
 * @throws `signal.reason` when `signal` aborts.
 */
export async function downloadMnistFile(
  entry: MnistFileEntry,
  location: string,
  options: DownloadOptions = {},
): Promise<DownloadedFile> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new TypeError(`Cannot download ${entry.name}: this runtime has no global fetch, so pass the fetch option.`);
  }
  const mirrors = options.mirrors ?? MNIST_MIRRORS;
  const urls = mirrors.map((mirror) => `${mirror.endsWith('/') ? mirror : `${mirror}/`}${entry.name}.gz`);
  const attempts: DownloadAttempt[] = [];

  for (const [index, url] of urls.entries()) {
    options.signal?.throwIfAborted();
    options.onEvent?.({ type: 'download-start', file: entry.name, url });

    try {
      return await fetchVerified(fetchImpl, url, entry, options);
    } catch (error) {
      options.signal?.throwIfAborted();
      const reason = describeFailure(error, options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
      attempts.push({ url, reason });

      const nextUrl = urls[index + 1];
      options.onEvent?.({ type: 'download-failed', file: entry.name, url, reason, ...(nextUrl === undefined ? {} : { nextUrl }) });
    }
  }

  throw new MnistDownloadError(entry.name, attempts, location);
}

async function fetchVerified(
  fetchImpl: typeof fetch,
  url: string,
  entry: MnistFileEntry,
  options: DownloadOptions,
): Promise<DownloadedFile> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);

  const response = await fetchImpl(url, { signal });
  if (!response.ok) {
    throw new AttemptFailure(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  const gz = new Uint8Array(await response.arrayBuffer());

  const hash = options.md5 ?? md5Hex;
  const gzMd5 = hash(gz);
  if (gzMd5 !== entry.gzMd5) {
    throw new AttemptFailure(
      describeChecksumMismatch({ file: `${entry.name}.gz`, location: url, expected: entry.gzMd5, actual: gzMd5, actualBytes: gz.length }),
    );
  }

  const raw = await gunzip(gz).catch((error: unknown) => {
    throw new AttemptFailure(`invalid gzip data: ${errorMessage(error)}`);
  });
  const rawMd5 = hash(raw);
  if (rawMd5 !== entry.md5) {
    throw new AttemptFailure(
      describeChecksumMismatch({
        file: `${entry.name}.gz`,
        location: url,
        expected: entry.md5,
        actual: rawMd5,
        expectedBytes: entry.bytes,
        actualBytes: raw.length,
        decompressed: true,
      }),
    );
  }

  return { raw, url, gzBytes: gz.length };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof AttemptFailure) {
    return error.message;
  }
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return `timed out after ${timeoutMs} ms`;
  }
  return errorMessage(error);
}

// fetch in Node rejects with "fetch failed" and puts the network error in `cause`.
function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
