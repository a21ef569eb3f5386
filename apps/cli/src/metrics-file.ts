import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One JSON Lines record: a logged step (`epoch`, `step`, `loss`) or an epoch summary. */
export type MetricsRecord = Record<string, string | number | boolean>;

/**
 * Appends metrics records as JSON Lines, one `write` per record, so a run that stops early keeps every
 * record written before it stopped. Writes are queued in order; `close` waits for all of them.
 */
export class MetricsFile {
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Creates (or truncates) `path`, creating its folder; throws when it cannot be written. */
  static async create(path: string): Promise<MetricsFile> {
    await mkdir(dirname(path), { recursive: true });
    return new MetricsFile(await open(path, 'w'), path);
  }

  append(record: MetricsRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.pending = this.pending.then(async () => {
      await this.handle.write(line);
    });
  }

  async close(): Promise<void> {
    try {
      await this.pending;
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}
