/**
 * Checks of the paths a command reads or writes, run before any slow work (backend start-up, model
 * loading, measuring), so a wrong path fails at once with one line that names the flag and the path.
 * Each `label` is how the message names the value: a flag such as `--metrics`, or a word such as
 * `image` for a positional argument.
 */
import { constants, type Stats } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

import { UsageError, UserFacingError } from './user-facing-error.js';

/**
 * Checks that `path` is an existing file.
 *
 * @param hint the next step for the user, such as "Pass the file that train --metrics-file wrote."
 * @throws UsageError when the path is empty.
 * @throws UserFacingError when the path does not exist or is a folder.
 */
export async function checkInputFile(path: string, label: string, hint: string): Promise<void> {
  rejectEmptyPath(path, label);
  const info = await statOrUndefined(path);
  if (info === undefined) {
    throw new UserFacingError(`${label} ${path} not found. ${hint}`);
  }
  if (info.isDirectory()) {
    throw new UserFacingError(`${label} ${path} is a folder, not a file. ${hint}`);
  }
}

/**
 * Checks that a folder the command creates when missing, such as `--data-dir`, is not a file and
 * is not below one. The folder itself is not created here.
 *
 * @throws UsageError when the path is empty.
 * @throws UserFacingError when the path or one of its parents is a file.
 */
export async function checkFolderPath(path: string, label: string): Promise<void> {
  rejectEmptyPath(path, label);
  try {
    const info = await stat(path);
    if (!info.isDirectory()) {
      throw new UserFacingError(`${label} ${path} is a file, not a folder. Pass a folder path.`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new UserFacingError(`${label} ${path} cannot be a folder because a folder in its path is a file. Pass another folder path.`, {
        cause: error,
      });
    }
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
}

/**
 * Prepares to write the file `path`: checks that it is not a folder, creates its parent folder when
 * missing and checks that the folder is writable. The file itself is not created.
 *
 * NOTE: `access(W_OK)` passes for root on any folder of a writable file system, so as root only a
 * path below a file or on a read-only mount fails here.
 *
 * @throws UsageError when the path is empty.
 * @throws UserFacingError when the path is a folder, or its folder cannot be created or written.
 */
export async function prepareOutputFile(path: string, label: string): Promise<void> {
  rejectEmptyPath(path, label);
  const info = await statOrUndefined(path);
  if (info?.isDirectory() === true) {
    throw new UserFacingError(`${label} ${path} is a folder, not a file. Pass a file path.`);
  }

  const folder = dirname(path);
  const fail = (reason: string, error: unknown) =>
    new UserFacingError(`${label} ${path} cannot be written: its folder ${folder} ${reason}. Pass a path in a folder you can write to.`, {
      cause: error,
    });
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw fail(describeMkdirError(error), error);
  }
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw fail(`is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
}

/**
 * Rejects an empty path, which a shell passes for an unset variable, as a usage error.
 *
 * @throws UsageError naming `label`.
 */
export function rejectEmptyPath(path: string, label: string): void {
  if (path.trim() === '') {
    throw new UsageError(`${label} is empty. Pass a path.`);
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return undefined;
    }
    throw error;
  }
}

function describeMkdirError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return `cannot be created because a file is in its path (${code})`;
    case 'EROFS':
      return 'cannot be created on a read-only file system (EROFS)';
    default:
      return `cannot be created (${code ?? String(error)})`;
  }
}
