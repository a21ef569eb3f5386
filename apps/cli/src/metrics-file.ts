import { readFile } from 'node:fs/promises';

import { writeFileAtomic } from '@lstm-mnist/model/node';
import type { TrainingPosition } from '@lstm-mnist/train';

import { UserFacingError } from './user-facing-error.js';

/** One JSON Lines record: a logged step (`epoch`, `step`, `loss`) or an epoch summary (no `step`). */
export type MetricsRecord = Record<string, string | number | boolean>;

/**
 * The metrics of a run as JSON Lines, kept in memory and published whole: each {@link publish}
 * writes every record to a temporary file beside `path`, flushes it and renames it over `path`.
 * A reader, or a run killed at any moment, finds the previous complete file or the new one, never
 * a half-written line. The train command publishes at every checkpoint and epoch end and when it
 * stops, so the file matches the newest checkpoint.
 *
 * NOTE: each publish rewrites the whole file. A 10-epoch run logging every 100 steps has about
 * 100 records (a few kilobytes); logging every step makes about 9,400.
 */
export class MetricsFile {
  private readonly records: MetricsRecord[];
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    records: MetricsRecord[],
  ) {
    this.records = records;
  }

  /** Starts an empty log; `path` is not touched before the first {@link publish}. */
  static create(path: string): MetricsFile {
    return new MetricsFile(path, []);
  }

  /**
   * Starts a log for a resumed run with the records of `path` up to `position`: step records of
   * earlier epochs or of the same epoch up to its step, and epoch records of finished epochs. A
   * missing file starts empty.
   *
   * @throws Error naming the line when the existing file is not JSON Lines.
   */
  static async resume(path: string, position: TrainingPosition): Promise<MetricsFile> {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const records = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => parseRecord(path, line, index));

    return new MetricsFile(path, records.filter((record) => isAtOrBefore(record, position)));
  }

  /** Number of records held. */
  get length(): number {
    return this.records.length;
  }

  append(record: MetricsRecord): void {
    this.records.push(record);
  }

  /**
   * Replaces the file at `path` with every record appended so far, atomically. Calls are queued in order.
   *
   * @throws UserFacingError naming the path and the file system's error code, such as ENOSPC, EACCES
   *   or EISDIR. The temporary file is removed, and the previous file, if any, stays as it was.
   */
  publish(): Promise<void> {
    const text = this.records.map((record) => `${JSON.stringify(record)}\n`).join('');
    const write = this.pending.then(() => writeFileAtomic(this.path, text)).catch((error: NodeJS.ErrnoException) => {
      const fix = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'Free disk space and rerun' : 'Pass a file path you can write to';
      throw new UserFacingError(
        `Cannot write --metrics-file ${this.path} (${error.message}). ${fix}; the previous file, if any, is unchanged.`,
        { cause: error },
      );
    });
    this.pending = write.catch(() => undefined);
    return write;
  }
}

function parseRecord(path: string, line: string, index: number): MetricsRecord {
  try {
    return JSON.parse(line) as MetricsRecord;
  } catch (error) {
    throw new Error(`${path} line ${index + 1} is not valid JSON (${(error as Error).message}). Pass another --metrics-file or delete this one.`, { cause: error });
  }
}

function isAtOrBefore(record: MetricsRecord, position: TrainingPosition): boolean {
  const epoch = Number(record['epoch']);
  if (record['step'] === undefined) {
    return epoch < position.epoch || (epoch === position.epoch && position.epochComplete);
  }

  return epoch < position.epoch || (epoch === position.epoch && Number(record['step']) <= position.step);
}
