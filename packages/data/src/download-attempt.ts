import { concatBytes } from './bytes.js';
import { describeChecksumMismatch } from './errors.js';
import { gunzip, isGzip } from './gzip.js';
import type { MnistFileEntry } from './mnist-files.js';

/** Limits and helpers for one request to one mirror. */
export interface AttemptSettings {
  timeoutMs: number;
  stallTimeoutMs: number;
  signal: AbortSignal | undefined;
  md5: (bytes: Uint8Array) => string;
}

/** A body that passed its checksums. */
export interface VerifiedBody {
  raw: Uint8Array;
  /** Size in bytes of the body as it arrived. */
  gzBytes: number;
}

/**
 * One failed request. `transient` is true for failures that a retry of the same URL may fix:
 * timeouts, stalls, truncated bodies, connection resets and HTTP 408, 429 and 5xx.
 */
export class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** HTTP statuses that a retry may fix: request timeout, too many requests, and every server error. */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Network error codes that a retry may fix, as Node and undici put them in `error.cause.code`.
 * A refused connection or an unknown host is not among them, so such a mirror is left at once.
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Number of body bytes quoted in a "not gzip" reason. */
const PREVIEW_BYTES = 32;

/**
 * Aborts its signal when {@link touch} was not called for `stallTimeoutMs` milliseconds, so a
 * connection that stops sending is dropped long before the overall timeout.
 */
class StallWatch {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly stallTimeoutMs: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error('stalled')), this.stallTimeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Requests `url` once and verifies the body: HTTP 200, the gzip magic bytes, the MD5 of the body
 * (`entry.gzMd5`) and the MD5 of its decompressed content (`entry.md5`).
 *
 * When a server sends the file with `Content-Encoding: gzip`, `fetch` decompresses it. Such a body
 * is accepted when the decompressed content matches `entry.md5`, because its `.gz` MD5 cannot be checked.
 *
 * @throws AttemptFailure with the reason when the request or a check fails.
 * @throws `settings.signal.reason` (or a DOMException) when the caller's signal aborts.
 */
export async function fetchVerified(
  fetchImpl: typeof fetch,
  url: string,
  entry: MnistFileEntry,
  settings: AttemptSettings,
): Promise<VerifiedBody> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const stall = new StallWatch(settings.stallTimeoutMs);
  const signals = [timeout, stall.signal, ...(settings.signal === undefined ? [] : [settings.signal])];
  const signal = AbortSignal.any(signals);
  const progress = { received: 0 };

  try {
    const response = await fetchImpl(url, { signal });
    stall.touch();
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const transient = isTransientStatus(response.status);
      throw new AttemptFailure(`HTTP ${response.status} ${response.statusText}`.trim(), transient);
    }

    const body = await readBody(response, { stall, signal, progress });
    return await verifyBody(body, response, url, entry, settings.md5);
  } catch (error) {
    if (settings.signal?.aborted === true || error instanceof AttemptFailure) {
      throw error;
    }
    if (timeout.aborted) {
      throw new AttemptFailure(`timed out after ${settings.timeoutMs} ms`, true);
    }
    if (stall.signal.aborted) {
      throw new AttemptFailure(`stalled: no data for ${settings.stallTimeoutMs} ms after ${progress.received} body bytes`, true);
    }
    throw new AttemptFailure(errorMessage(error), isTransientError(error));
  } finally {
    stall.stop();
  }
}

/**
 * Reads the whole body, resetting the stall watch on every chunk. Stops early when the first bytes
 * are not gzip and the server did not declare `Content-Encoding: gzip`.
 */
async function readBody(
  response: Response,
  { stall, signal, progress }: { stall: StallWatch; signal: AbortSignal; progress: { received: number } },
): Promise<Uint8Array> {
  const declared = declaredLength(response);
  const decoded = isContentEncodedGzip(response);
  const reader = response.body?.getReader();
  if (reader === undefined) {
    return new Uint8Array(0);
  }

  const chunks: Uint8Array[] = [];
  let checkedMagic = decoded;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      if (signal.aborted) {
        throw error;
      }
      throw new AttemptFailure(describeBrokenBody(progress.received, declared, error), true);
    }
    if (result.done) {
      break;
    }

    stall.touch();
    chunks.push(result.value);
    progress.received += result.value.length;

    if (!checkedMagic && progress.received >= 2) {
      checkedMagic = true;
      const start = concatBytes(chunks);
      if (!isGzip(start)) {
        await reader.cancel().catch(() => undefined);
        throw new AttemptFailure(describeNotGzip(start, response), false);
      }
    }
  }

  if (declared !== undefined && progress.received < declared) {
    throw new AttemptFailure(`body truncated: received ${progress.received} of ${declared} bytes`, true);
  }
  return concatBytes(chunks);
}

async function verifyBody(
  body: Uint8Array,
  response: Response,
  url: string,
  entry: MnistFileEntry,
  md5: (bytes: Uint8Array) => string,
): Promise<VerifiedBody> {
  if (isContentEncodedGzip(response) && !isGzip(body)) {
    checkRawMd5(body, url, entry, md5);
    return { raw: body, gzBytes: body.length };
  }
  if (!isGzip(body)) {
    throw new AttemptFailure(describeNotGzip(body, response), false);
  }

  const gzMd5 = md5(body);
  if (gzMd5 !== entry.gzMd5) {
    const mismatch = { file: `${entry.name}.gz`, location: url, expected: entry.gzMd5, actual: gzMd5, actualBytes: body.length };
    throw new AttemptFailure(describeChecksumMismatch(mismatch), false);
  }

  const raw = await gunzip(body, entry.bytes).catch((error: unknown) => {
    throw new AttemptFailure(`invalid gzip data: ${errorMessage(error)}`, false);
  });
  checkRawMd5(raw, url, entry, md5);
  return { raw, gzBytes: body.length };
}

function checkRawMd5(raw: Uint8Array, url: string, entry: MnistFileEntry, md5: (bytes: Uint8Array) => string): void {
  const rawMd5 = md5(raw);
  if (rawMd5 !== entry.md5) {
    const mismatch = {
      file: `${entry.name}.gz`,
      location: url,
      expected: entry.md5,
      actual: rawMd5,
      expectedBytes: entry.bytes,
      actualBytes: raw.length,
      decompressed: true,
    };
    throw new AttemptFailure(describeChecksumMismatch(mismatch), false);
  }
}

function declaredLength(response: Response): number | undefined {
  // After fetch decodes a Content-Encoding, Content-Length counts the encoded bytes, not what the reader gets.
  if (isContentEncodedGzip(response)) {
    return undefined;
  }
  const header = response.headers.get('content-length');
  const length = header === null ? Number.NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function isContentEncodedGzip(response: Response): boolean {
  return /\bgzip\b/i.test(response.headers.get('content-encoding') ?? '');
}

function describeBrokenBody(received: number, declared: number | undefined, error: unknown): string {
  const of = declared === undefined ? '' : ` of ${declared}`;
  return `body truncated: connection failed after ${received}${of} bytes (${errorMessage(error)})`;
}

/** Describes a body without the gzip magic bytes, quoting its start, e.g. an HTML error page. */
export function describeNotGzip(body: Uint8Array, response?: Response): string {
  const head = body.subarray(0, PREVIEW_BYTES);
  const contentType = response?.headers.get('content-type');
  const typeNote = contentType === null || contentType === undefined ? '' : ` (Content-Type ${contentType})`;
  if (head.length === 0) {
    return `not gzip: the body is empty${typeNote}`;
  }

  const printable = head.every((byte) => (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d);
  const quoted = printable
    ? JSON.stringify(String.fromCharCode(...head))
    : Array.from(head.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const more = body.length > head.length ? '...' : '';
  return `not gzip: the body starts with ${quoted}${more} instead of the gzip magic bytes 1f 8b${typeNote}`;
}

function isTransientError(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if ('code' in cause && typeof cause.code === 'string' && TRANSIENT_NETWORK_CODES.has(cause.code)) {
      return true;
    }
  }
  return false;
}

/**
 * Formats an error with the messages of its causes, because Node's fetch rejects with "fetch failed"
 * and puts the network error, which may have its own cause, in `cause`.
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const messages: string[] = [];
  for (let cause: unknown = error; cause instanceof Error && messages.length < 5; cause = cause.cause) {
    messages.push(cause.message.replace(/\.$/, ''));
  }
  return messages.join(': ');
}
