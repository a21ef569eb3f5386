import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileAtomic } from '@lstm-mnist/model/node';

import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../checkpoint.js';

/** Checkpoints kept in a folder by default: the newest three. */
export const DEFAULT_KEEP_CHECKPOINTS = 3;

/** Digits of the zero-padded global step in a checkpoint's file name. */
const STEP_DIGITS = 9;
const CHECKPOINT_FILE = /^checkpoint-(\d+)\.safetensors$/;
/** Temporary files of `writeFileAtomic` (`.<name>.<uuid>.tmp`) for a checkpoint, left by a killed process. */
const TEMPORARY_FILE = /^\.checkpoint-\d+\.safetensors\.[0-9a-f-]+\.tmp$/;

/** A checkpoint file in a folder. */
export interface CheckpointFile {
  path: string;
  /** The global step in its name. */
  globalStep: number;
}

/** A checkpoint file that could not be read, and why. */
export interface UnreadableCheckpoint {
  path: string;
  error: Error;
}

/** Outcome of {@link loadLatestCheckpoint}. */
export interface LoadedCheckpoint {
  path: string;
  checkpoint: TrainingCheckpoint;
  /** Newer checkpoint files that failed to read, newest first; empty when the newest file was read. */
  unreadable: UnreadableCheckpoint[];
}

/** Thrown when a folder is missing or contains no checkpoint file. */
export class CheckpointNotFoundError extends Error {
  override readonly name = 'CheckpointNotFoundError';

  constructor(readonly directory: string, reason: string) {
    super(`No checkpoint found in ${directory}: ${reason}. Pass the folder that train --checkpoint-dir wrote, which holds checkpoint-<step>.safetensors files.`);
  }
}

/** Returns the file name of the checkpoint at `globalStep`, e.g. `checkpoint-000000123.safetensors`. */
export function checkpointFileName(globalStep: number): string {
  return `checkpoint-${String(globalStep).padStart(STEP_DIGITS, '0')}.safetensors`;
}

/**
 * Writes a checkpoint to `<directory>/checkpoint-<globalStep>.safetensors`, creating the folder, then
 * deletes all but the newest `keep` checkpoint files. The file appears complete or not at all: it is
 * written to a temporary file beside it, flushed with fsync, renamed and the folder flushed. A
 * checkpoint at the same global step (the epoch-end checkpoint after a step checkpoint) replaces it.
 *
 * @returns the path written.
 * @throws CheckpointFormatError when the checkpoint contains a non-finite value. Nothing is written then.
 * @throws the file system's error (such as ENOSPC or EACCES) when writing fails; the temporary file is removed.
 */
export async function writeCheckpoint(
  directory: string,
  checkpoint: TrainingCheckpoint,
  options: { keep?: number } = {},
): Promise<string> {
  const keep = options.keep ?? DEFAULT_KEEP_CHECKPOINTS;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`writeCheckpoint: keep must be a positive integer number of checkpoints, got ${keep}.`);
  }

  const bytes = encodeCheckpoint(checkpoint);
  await mkdir(directory, { recursive: true });
  const path = join(directory, checkpointFileName(checkpoint.position.globalStep));
  await writeFileAtomic(path, bytes);

  const older = (await listCheckpoints(directory)).slice(keep);
  await Promise.all(older.map((file) => rm(file.path, { force: true })));
  return path;
}

/** Lists the checkpoint files of a folder, newest (highest global step) first; an absent folder has none. */
export async function listCheckpoints(directory: string): Promise<CheckpointFile[]> {
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });

  return names
    .map((name) => ({ name, match: CHECKPOINT_FILE.exec(name) }))
    .filter((entry) => entry.match !== null)
    .map((entry) => ({ path: join(directory, entry.name), globalStep: Number(entry.match?.[1]) }))
    .sort((a, b) => b.globalStep - a.globalStep);
}

/**
 * Reads and decodes one checkpoint file. Release the result with `disposeCheckpoint`.
 *
 * @throws CheckpointFormatError whose message starts with the path, when the file is not a valid checkpoint.
 */
export async function readCheckpoint(path: string): Promise<TrainingCheckpoint> {
  const bytes = new Uint8Array(await readFile(path));
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    if (error instanceof CheckpointFormatError) {
      throw new CheckpointFormatError(`${path}: ${error.message}`, error.field);
    }
    throw error;
  }
}

/**
 * Reads the newest checkpoint of a folder that decodes. Files that fail are skipped and returned in
 * `unreadable`, so the caller can report them.
 *
 * @throws CheckpointNotFoundError when the folder is missing or contains no checkpoint file.
 * @throws CheckpointFormatError when no checkpoint file in the folder can be read; the message lists each file's error.
 */
export async function loadLatestCheckpoint(directory: string): Promise<LoadedCheckpoint> {
  const files = await listCheckpoints(directory);
  if (files.length === 0) {
    throw new CheckpointNotFoundError(directory, 'the folder is missing or contains no checkpoint-<step>.safetensors file');
  }

  const unreadable: UnreadableCheckpoint[] = [];
  for (const file of files) {
    try {
      return { path: file.path, checkpoint: await readCheckpoint(file.path), unreadable };
    } catch (error) {
      if (!(error instanceof CheckpointFormatError)) throw error;
      unreadable.push({ path: file.path, error });
    }
  }

  throw new CheckpointFormatError(
    `No readable checkpoint in ${directory}: ${unreadable.map((entry) => entry.error.message).join(' ')}`,
    'file',
  );
}

/**
 * Deletes the temporary files that a process killed while writing a checkpoint left in the folder.
 * Call it only while no other process writes checkpoints there.
 *
 * @returns the paths deleted.
 */
export async function removeTemporaryCheckpointFiles(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const paths = names.filter((name) => TEMPORARY_FILE.test(name)).map((name) => join(directory, name));
  await Promise.all(paths.map((path) => rm(path, { force: true })));
  return paths;
}
