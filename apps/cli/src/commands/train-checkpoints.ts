import { rename } from 'node:fs/promises';

import type { LSTMModel } from '@lstm-mnist/model';
import { captureCheckpoint, type Adam, type DataOrderState, type JsonValue, type TrainingPosition } from '@lstm-mnist/train';
import { listCheckpoints, removeTemporaryCheckpointFiles, writeCheckpoint } from '@lstm-mnist/train/node';

import { UserFacingError } from '../user-facing-error.js';

/** Settings of {@link CheckpointWriter}: the state it saves besides the position, and the file count kept. */
export interface CheckpointWriterOptions {
  model: LSTMModel;
  optimizer: Adam;
  /** Checkpoint files kept in the folder, newest first. */
  keep: number;
  dataOrder: DataOrderState;
  config: Record<string, JsonValue>;
  /** Awaited after each checkpoint file is in place, to publish outputs that must match it. */
  onWritten?: () => Promise<void> | undefined;
}

/** Writes the train command's checkpoints into one folder; the trainer calls {@link write} between steps. */
export class CheckpointWriter {
  /** Path of the last checkpoint this run wrote; undefined before the first. */
  lastPath: string | undefined;

  /** Checkpoints this run wrote, by global step; older ones may since have been deleted to keep the count. */
  private readonly written = new Map<number, string>();

  private constructor(
    readonly directory: string,
    private readonly options: CheckpointWriterOptions,
    /** Temporary files of killed writes that {@link open} deleted. */
    readonly removedTemporaryFiles: string[],
  ) {}

  /** Prepares the folder: deletes temporary files that a killed run's checkpoint write left behind. */
  static async open(directory: string, options: CheckpointWriterOptions): Promise<CheckpointWriter> {
    return new CheckpointWriter(directory, options, await removeTemporaryCheckpointFiles(directory));
  }

  /**
   * Captures the model and optimizer at `position` and writes them atomically.
   *
   * @throws UserFacingError naming the folder and the file-system error when the write fails.
   */
  async write(position: TrainingPosition): Promise<void> {
    const { model, optimizer, dataOrder, config, keep } = this.options;
    const checkpoint = captureCheckpoint(model, optimizer, { position, dataOrder, config });
    try {
      this.lastPath = await writeCheckpoint(this.directory, checkpoint, { keep });
      this.written.set(position.globalStep, this.lastPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      throw new UserFacingError(
        `Cannot write a checkpoint to ${this.directory} (${code}: ${(error as Error).message}). ` +
          'Free disk space or pass a writable --checkpoint-dir; the checkpoints already there are intact.',
        { cause: error },
      );
    }
    await this.options.onWritten?.();
  }

  /**
   * Renames the checkpoints this run wrote at `fromGlobalStep` or later to `<name>.diverged`, so that
   * `--resume` skips them, and returns their new paths with the checkpoint `--resume` would now use.
   * After a diverged loss at global step s, the checkpoint of step s - 1 contains the weights that
   * produced that loss, so a run must not resume from it.
   */
  async setAsideFrom(fromGlobalStep: number): Promise<{ setAside: string[]; resumable: string | undefined }> {
    const setAside: string[] = [];
    for (const [globalStep, path] of this.written) {
      if (globalStep < fromGlobalStep) continue;
      const renamed = await rename(path, `${path}.diverged`).then(
        () => true,
        () => false,
      );
      if (renamed) setAside.push(`${path}.diverged`);
    }
    const [newest] = await listCheckpoints(this.directory);
    return { setAside, resumable: newest?.path };
  }
}
