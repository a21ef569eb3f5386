import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { MnistFileStore } from '../store.js';

/**
 * Age in milliseconds after which a temporary file of {@link DirectoryFileStore.write} is taken as
 * left behind by a killed process. A temporary file exists only while one write writes and flushes
 * one file, so an hour leaves a wide margin even on a slow disk.
 */
export const STALE_TEMPORARY_FILE_MS = 60 * 60 * 1000;

/** Names of the temporary files that {@link DirectoryFileStore.write} creates: `.<name>.<12 hex digits>.tmp`. */
const TEMPORARY_FILE_PATTERN = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Folders below the data root that hold the files, as torchvision lays them out. */
export const MNIST_RAW_SUBDIRECTORY = join('MNIST', 'raw');

/**
 * A {@link MnistFileStore} in `<root>/MNIST/raw/`, the folder torchvision's `MNIST(root)` uses, so both
 * can share one data folder. Writes are atomic: the bytes go to a temporary file in the same folder,
 * which is flushed with fsync and then renamed over the target, so a crash never leaves a partial file
 * under the real name.
 */
export class DirectoryFileStore implements MnistFileStore {
  /** Absolute path of `<root>/MNIST/raw`. */
  readonly directory: string;

  /** @param root the data folder; a relative path is resolved against the working directory. */
  constructor(root: string) {
    this.directory = resolve(root, MNIST_RAW_SUBDIRECTORY);
  }

  /** Full path of a file in the store. */
  pathOf(name: string): string {
    checkFileName(name);
    return join(this.directory, name);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await readFile(this.pathOf(name));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /** Returns whether the store has a regular file with this name. */
  async has(name: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(name))).isFile();
    } catch (error) {
      if (isNotFound(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Creates the folder when needed, then writes atomically (see the class description). */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(name);
    await mkdir(this.directory, { recursive: true });

    const temporary = join(this.directory, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  describe(): string {
    return this.directory;
  }

  /**
   * Deletes temporary files of {@link write} older than `olderThanMs`, which a process killed while
   * writing leaves behind. They are never read as data, so this only frees disk space.
   * Returns the names removed, none when the folder is missing.
   */
  async removeStaleTemporaryFiles(olderThanMs = STALE_TEMPORARY_FILE_MS, now = Date.now()): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (isNotFound(error)) {
        return [];
      }
      throw error;
    }

    const removed: string[] = [];
    for (const name of names.filter((candidate) => TEMPORARY_FILE_PATTERN.test(candidate))) {
      const path = join(this.directory, name);
      const stats = await stat(path).catch(() => undefined);
      if (stats?.isFile() === true && now - stats.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed.push(name);
      }
    }
    return removed;
  }
}

function checkFileName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new RangeError(`Invalid file name ${JSON.stringify(name)}: expected a plain file name without folders.`);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
