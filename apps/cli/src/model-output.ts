import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { LSTMModel } from '@lstm-mnist/model';
import { fileSystemSaveHandler, MODEL_JSON_FILE, WEIGHTS_FILE } from '@lstm-mnist/model/node';

/**
 * Saves the model to `dir` as `model.json` + `weights.bin` (tfjs layers format) without leaving a
 * partial file on failure. Both files are written and flushed in a hidden staging folder inside `dir`
 * and then renamed into place, weights first. The staging folder is removed on success and on error.
 *
 * NOTE: a process killed between the two renames leaves the new `weights.bin` beside the previous
 * `model.json`. An error while writing (a full disk, a read-only folder) leaves `dir` as it was.
 *
 * @throws the file system's error, such as ENOSPC or EACCES.
 */
export async function saveModelFolder(model: LSTMModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(join(dir, '.saving-'));
  try {
    await model.save(fileSystemSaveHandler(staging));
    await rename(join(staging, WEIGHTS_FILE), join(dir, WEIGHTS_FILE));
    await rename(join(staging, MODEL_JSON_FILE), join(dir, MODEL_JSON_FILE));
    await syncDirectory(dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Flushes a folder's entries so the renames survive a crash; platforms without directory fsync skip it. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
