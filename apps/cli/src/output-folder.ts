import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';

import { UserFacingError } from './user-facing-error.js';

/**
 * Checks before training that output can be written to `dir`, so a long run does not end in a
 * write error: creates the folder when missing and checks that it is a writable directory.
 *
 * @param what the output, for the message, e.g. "the model" or "the metrics file".
 * @throws UserFacingError naming the folder and the fix when it is a file or cannot be written.
 */
export async function prepareOutputFolder(dir: string, flag: string, what = 'the model'): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new UserFacingError(`${flag} ${dir} is a file, not a folder. Pass a folder path for ${what}.`);
  }

  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserFacingError(`${flag} ${dir} is not writable (${reason}). Pass a folder you can write to.`, { cause: error });
  }
}
