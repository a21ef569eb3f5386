import { readFile, stat } from 'node:fs/promises';

import type { MnistEventListener } from '../events.js';
import type { ChecksumMemo } from '../load.js';
import type { DirectoryFileStore } from './directory-store.js';

/** Name of the checksum memo inside `<dataDir>/MNIST/raw/`. The leading dot keeps it out of `ls`. */
export const CHECKSUM_MEMO_FILE = '.mnist-checksums.json';

/** Memo entry for one file, with `mtimeMs` as `fs.Stats.mtimeMs` when the check passed. */
interface MemoRecord {
  size: number;
  mtimeMs: number;
  md5: string;
}

/** Format version of the memo file. A memo file with another version is ignored. */
const MEMO_VERSION = 1;

/**
 * A {@link ChecksumMemo} kept as JSON in the store's folder ({@link CHECKSUM_MEMO_FILE}). A file
 * counts as verified while its size and modification time equal those recorded when its MD5 passed.
 * Writes go through the store, so they are atomic too.
 *
 * A memo that is missing, unreadable or malformed is treated as empty, and a failed write (for
 * example in a read-only folder) is reported as a `checksum-memo-failed` event: either way files
 * are hashed in full, so only speed is lost.
 *
 * NOTE: a change that keeps both the size and the modification time (a flipped bit on disk, or a
 * copy with `cp -p` of another file of the same size) is not detected while the memo is used.
 */
export class FileChecksumMemo implements ChecksumMemo {
  private records: Promise<Map<string, MemoRecord>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: DirectoryFileStore,
    private readonly onEvent?: MnistEventListener,
  ) {}

  /** Full path of the memo file. */
  get path(): string {
    return this.store.pathOf(CHECKSUM_MEMO_FILE);
  }

  async isVerified(name: string, md5: string): Promise<boolean> {
    const record = (await this.load()).get(name);
    if (record === undefined || record.md5 !== md5) {
      return false;
    }
    const stats = await statFile(this.store.pathOf(name));
    return stats !== undefined && stats.size === record.size && stats.mtimeMs === record.mtimeMs;
  }

  async remember(name: string, md5: string): Promise<void> {
    const records = await this.load();
    const stats = await statFile(this.store.pathOf(name));
    if (stats === undefined) {
      return;
    }
    records.set(name, { size: stats.size, mtimeMs: stats.mtimeMs, md5 });

    // Writes run one after another, each with every record so far, so the last rename keeps them all.
    this.writing = this.writing.then(() => this.save(records));
    await this.writing;
  }

  private load(): Promise<Map<string, MemoRecord>> {
    this.records ??= this.read();
    return this.records;
  }

  private async read(): Promise<Map<string, MemoRecord>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (!isNotFound(error)) {
        this.report(error);
      }
      return new Map();
    }

    try {
      return parseMemo(text);
    } catch (error) {
      this.report(error);
      return new Map();
    }
  }

  private async save(records: Map<string, MemoRecord>): Promise<void> {
    const content = { version: MEMO_VERSION, files: Object.fromEntries(records) };
    try {
      await this.store.write(CHECKSUM_MEMO_FILE, new TextEncoder().encode(`${JSON.stringify(content, null, 2)}\n`));
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.onEvent?.({ type: 'checksum-memo-failed', path: this.path, reason });
  }
}

/** @throws Error naming what is malformed. */
function parseMemo(text: string): Map<string, MemoRecord> {
  const parsed: unknown = JSON.parse(text);
  if (!isObject(parsed) || parsed['version'] !== MEMO_VERSION || !isObject(parsed['files'])) {
    throw new Error(`invalid checksum memo: expected {"version": ${MEMO_VERSION}, "files": {...}}`);
  }

  const records = new Map<string, MemoRecord>();
  for (const [name, value] of Object.entries(parsed['files'])) {
    if (isObject(value) && typeof value['size'] === 'number' && typeof value['mtimeMs'] === 'number' && typeof value['md5'] === 'string') {
      records.set(name, { size: value['size'], mtimeMs: value['mtimeMs'], md5: value['md5'] });
    }
  }
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the size and modification time, or undefined when the path is no readable regular file. */
async function statFile(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
