import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Error codes of a directory fsync on platforms that do not support it, such as Windows. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES']);

/**
 * Writes `data` to `path` so readers see either the old file or the complete new one:
 * the bytes go to a temporary file in the same folder, which is flushed with fsync
 * and then renamed over `path`. The temporary file is removed when a step fails.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const folder = dirname(path);
  const temporaryPath = join(folder, `.${basename(path)}.${randomUUID()}.tmp`);

  try {
    const handle = await open(temporaryPath, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }

  await syncDirectory(folder);
}

/** Flushes the folder entry so the rename itself survives a crash, where the platform allows it. */
async function syncDirectory(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(code)) {
      throw error;
    }
  }
}
