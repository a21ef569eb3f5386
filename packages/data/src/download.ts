import { md5Hex } from './checksum.js';
import { fetchVerified, AttemptFailure, errorMessage } from './download-attempt.js';
import { MnistDownloadError, type DownloadAttempt } from './errors.js';
import type { MnistEventListener } from './events.js';
import { MNIST_MIRRORS, type MnistFileEntry } from './mnist-files.js';

/** Default limit for one request to one mirror, body included, in milliseconds. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 300_000;

/** Default time without any byte from the server, before or during the body, after which a request is dropped, in milliseconds. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** Default number of retries of one mirror after a transient failure, so each mirror gets up to 3 requests. */
export const DEFAULT_DOWNLOAD_RETRIES = 2;

/** Default delay before the first retry of a mirror, in milliseconds. Each further retry waits twice as long. */
export const DEFAULT_RETRY_DELAY_MS = 1_000;

/** Maximum delay between two requests to one mirror, in milliseconds. */
export const MAX_RETRY_DELAY_MS = 30_000;

/** Options of {@link downloadMnistFile}. */
export interface DownloadOptions {
  /** The fetch function to use; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Base URLs tried in order; `<mirror><name>.gz` is requested. Default: {@link MNIST_MIRRORS}.
   * The list replaces the defaults, so to try your own mirrors first pass `[...yours, ...MNIST_MIRRORS]`.
   */
  mirrors?: readonly string[];
  /** Limit for one request, body included, in milliseconds. Default: {@link DEFAULT_DOWNLOAD_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Time in milliseconds without any byte from the server, waiting for the headers or between two
   * body chunks, after which the request is dropped as stalled. Default: {@link DEFAULT_STALL_TIMEOUT_MS}.
   */
  stallTimeoutMs?: number;
  /**
   * Retries of one mirror after a transient failure: a timeout, a stall, a truncated body, a reset
   * connection, or HTTP 408, 429 or 5xx. Other failures (403, 404, not gzip, wrong checksum) move
   * to the next mirror at once. Default: {@link DEFAULT_DOWNLOAD_RETRIES}. Zero disables retries.
   */
  retries?: number;
  /**
   * Delay before the first retry in milliseconds, doubled for each further retry and capped at
   * {@link MAX_RETRY_DELAY_MS}. Default: {@link DEFAULT_RETRY_DELAY_MS}.
   */
  retryDelayMs?: number;
  /** Aborts the download, and no further request is made after an abort. */
  signal?: AbortSignal;
  /** Receives `download-start`, `download-retry` and `download-failed` events. */
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

/**
 * Downloads `<mirror><entry.name>.gz` from each mirror in turn until one delivers a body that is
 * gzip, has MD5 `entry.gzMd5` and decompresses to content with MD5 `entry.md5`. A transient failure
 * is retried on the same mirror after a growing delay, with a `download-retry` event. Any other
 * failure, or the last retry's, is reported as a `download-failed` event before the next mirror.
 *
 * @param location where the file will be stored, named in the error message.
 * @throws RangeError when `retries`, `retryDelayMs`, `timeoutMs` or `stallTimeoutMs` is invalid.
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
  const settings = readSettings(options);
  const mirrors = options.mirrors ?? MNIST_MIRRORS;
  const urls = mirrors.map((mirror) => `${mirror.endsWith('/') ? mirror : `${mirror}/`}${entry.name}.gz`);
  const attempts: DownloadAttempt[] = [];

  for (const [index, url] of urls.entries()) {
    options.signal?.throwIfAborted();
    options.onEvent?.({ type: 'download-start', file: entry.name, url });

    try {
      return await fetchWithRetries(fetchImpl, url, entry, options, settings);
    } catch (error) {
      options.signal?.throwIfAborted();
      const reason = error instanceof AttemptFailure ? error.message : errorMessage(error);
      attempts.push({ url, reason });

      const nextUrl = urls[index + 1];
      options.onEvent?.({ type: 'download-failed', file: entry.name, url, reason, ...(nextUrl === undefined ? {} : { nextUrl }) });
    }
  }

  throw new MnistDownloadError(entry.name, attempts, location);
}

interface DownloadSettings {
  timeoutMs: number;
  stallTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  md5: (bytes: Uint8Array) => string;
}

function readSettings(options: DownloadOptions): DownloadSettings {
  const settings = {
    timeoutMs: options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
    stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_DOWNLOAD_RETRIES,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
  };
  for (const name of ['timeoutMs', 'stallTimeoutMs'] as const) {
    if (!(Number.isFinite(settings[name]) && settings[name] > 0)) {
      throw new RangeError(`Invalid ${name} ${settings[name]}: expected a positive number of milliseconds.`);
    }
  }
  if (!(Number.isSafeInteger(settings.retries) && settings.retries >= 0)) {
    throw new RangeError(`Invalid retries ${settings.retries}: expected a whole number of 0 or more.`);
  }
  if (!(Number.isFinite(settings.retryDelayMs) && settings.retryDelayMs >= 0)) {
    throw new RangeError(`Invalid retryDelayMs ${settings.retryDelayMs}: expected 0 or more milliseconds.`);
  }
  return { ...settings, md5: options.md5 ?? md5Hex };
}

/**
 * Requests one URL up to `retries + 1` times, waiting before each retry.
 *
 * @throws AttemptFailure with the last reason, followed by the number of requests when there was more than one.
 */
async function fetchWithRetries(
  fetchImpl: typeof fetch,
  url: string,
  entry: MnistFileEntry,
  options: DownloadOptions,
  settings: DownloadSettings,
): Promise<DownloadedFile> {
  const maxAttempts = settings.retries + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await fetchVerified(fetchImpl, url, entry, { ...settings, signal: options.signal });
      return { ...body, url };
    } catch (error) {
      options.signal?.throwIfAborted();
      if (!(error instanceof AttemptFailure)) {
        throw error;
      }
      if (!error.transient || attempt >= maxAttempts) {
        throw attempt === 1 ? error : new AttemptFailure(`${error.message} (${attempt} attempts)`, error.transient);
      }

      const delayMs = Math.min(settings.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
      options.onEvent?.({ type: 'download-retry', file: entry.name, url, attempt, maxAttempts, delayMs, reason: error.message });
      await sleep(delayMs, options.signal);
    }
  }
}

/** Resolves after `ms` milliseconds. @throws `signal.reason` when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
