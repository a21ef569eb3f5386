/** Fields of a {@link ChecksumError}. */
export interface ChecksumMismatch {
  /** The file name, e.g. `train-images-idx3-ubyte` or `train-images-idx3-ubyte.gz`. */
  file: string;
  /** Location the file was read from: a folder path or a URL. */
  location: string;
  /** MD5 from the file table, 32 lowercase hex digits. */
  expected: string;
  /** MD5 of the bytes read. */
  actual: string;
  /** Size in bytes the table expects, when known. */
  expectedBytes?: number;
  /** Size in bytes of what was read. */
  actualBytes: number;
  /** True when the checksum covers the decompressed content of a `.gz` file. */
  decompressed?: boolean;
}

/**
 * Thrown when a data file does not match the MD5 checksum in the file table.
 * The file is corrupt or incomplete; deleting it lets the next run fetch it again.
 */
export class ChecksumError extends Error {
  override readonly name = 'ChecksumError';
  readonly file: string;
  readonly location: string;
  readonly expected: string;
  readonly actual: string;

  constructor(mismatch: ChecksumMismatch) {
    super(`${describeChecksumMismatch(mismatch)} The file is corrupt or incomplete: delete it and rerun to fetch it again.`);
    this.file = mismatch.file;
    this.location = mismatch.location;
    this.expected = mismatch.expected;
    this.actual = mismatch.actual;
  }
}

/** Describes a checksum mismatch in one or two sentences, without advice. */
export function describeChecksumMismatch(mismatch: ChecksumMismatch): string {
  const { file, location, expected, actual, expectedBytes, actualBytes, decompressed } = mismatch;
  const content = decompressed === true ? ' of the decompressed content' : '';
  const sizeNote =
    expectedBytes !== undefined && expectedBytes !== actualBytes
      ? ` It has ${actualBytes} bytes instead of ${expectedBytes}.`
      : '';
  return `Checksum mismatch for ${file} in ${location}: expected MD5 ${expected}${content}, got ${actual}.${sizeNote}`;
}

/** Thrown when a stored `.gz` file cannot be decompressed. */
export class CorruptFileError extends Error {
  override readonly name = 'CorruptFileError';

  constructor(
    readonly file: string,
    readonly location: string,
    reason: string,
  ) {
    super(`Cannot decompress ${file} in ${location}: ${reason}. The file is corrupt or incomplete: delete it and rerun to fetch it again.`);
  }
}

/**
 * Thrown when MNIST files that were read, and passed or skipped their checksum, do not hold a valid
 * MNIST split: an IDX header of the wrong type or shape, or a label outside 0..9. Files checked
 * against the standard table only get here when the checksum memo skipped a file that changed in
 * place while keeping its size and modification time.
 */
export class InvalidMnistFilesError extends Error {
  override readonly name = 'InvalidMnistFilesError';

  constructor(
    readonly files: readonly string[],
    readonly location: string,
    reason: string,
  ) {
    super(
      `Invalid MNIST data in ${files.join(' and ')} in ${location}: ${reason.replace(/\.$/, '')}. ` +
        'Delete these files and rerun to fetch them again.',
    );
  }
}

/** Thrown when MNIST files are missing and downloading is disabled. */
export class MnistNotFoundError extends Error {
  override readonly name = 'MnistNotFoundError';

  /**
   * @param location the folder (or store) that was searched.
   * @param missing the uncompressed names of the missing files.
   * @param downloadHint how to enable downloads, e.g. "pass download: true".
   */
  constructor(
    readonly location: string,
    readonly missing: readonly string[],
    downloadHint: string,
  ) {
    super(
      `MNIST not found in ${location}: missing ${missing.join(', ')} (raw or .gz). ` +
        `To fix this, ${downloadHint} to download it, or put the files in ${location}.`,
    );
  }
}

/** One failed attempt to download a file from one mirror. */
export interface DownloadAttempt {
  url: string;
  /** Reason for the failure, e.g. "HTTP 404 Not Found" or a checksum mismatch. */
  reason: string;
}

/** Thrown when no mirror delivered a file that passed its checksum. */
export class MnistDownloadError extends Error {
  override readonly name = 'MnistDownloadError';

  constructor(
    readonly file: string,
    readonly attempts: readonly DownloadAttempt[],
    location: string,
  ) {
    const tried = attempts.map((attempt) => `${attempt.url}: ${attempt.reason}`).join('; ');
    super(
      `Download of ${file} failed on every mirror (${tried}). ` +
        `Check the network connection (and HTTPS_PROXY, HTTP_PROXY and NO_PROXY when you use a proxy) and rerun, or put ${file} or ${file}.gz in ${location} yourself.`,
    );
  }
}
