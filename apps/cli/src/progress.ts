import cliProgress from 'cli-progress';

/** Destination of the training output: `process.stdout`, or a test's stream. */
export interface OutputStream {
  write(text: string): unknown;
  /** True for a terminal; only then is a progress bar drawn. */
  isTTY?: boolean;
}

/** Position of the running epoch, from the trainer's step event. */
export interface ProgressStep {
  epoch: number;
  epochs: number;
  /** 1-based batch index within the epoch. */
  step: number;
  /** Batches this epoch runs: the loader's length, or `--max-steps` when smaller. */
  totalSteps: number;
  /** Images in this batch. */
  batchSize: number;
}

/**
 * Training output: plain lines, plus on a terminal one progress bar per epoch with images per
 * second and the epoch's time left, drawn below the lines. In a pipe or a file only the lines appear.
 */
export interface TrainProgress {
  /** Prints one line; on a terminal it appears above the bar. */
  print(line: string): void;
  /** Moves the epoch's bar to `event.step`, starting a bar at the epoch's first step. */
  update(event: ProgressStep): void;
  /** Stops the epoch's bar and leaves its final state on screen. */
  endEpoch(): void;
}

/** Bar redraws per second. */
const BAR_FPS = 5;
/** Steps that cli-progress averages over for the time left. */
const ETA_WINDOW_STEPS = 50;
const BAR_FORMAT = 'Epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | {rate} images/s | {eta_formatted} left';

/** Picks the terminal bar when `stream.isTTY` is true, the plain lines otherwise. */
export function createTrainProgress(stream: OutputStream): TrainProgress {
  return stream.isTTY === true ? new TerminalProgress(stream) : new PlainProgress(stream);
}

class PlainProgress implements TrainProgress {
  constructor(private readonly stream: OutputStream) {}

  print(line: string): void {
    this.stream.write(`${line}\n`);
  }

  update(): void {}

  endEpoch(): void {}
}

class TerminalProgress implements TrainProgress {
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private epochStart = 0;
  private images = 0;

  constructor(private readonly stream: OutputStream) {}

  print(line: string): void {
    if (this.bars === undefined) {
      this.stream.write(`${line}\n`);
    } else {
      this.bars.log(`${line}\n`);
    }
  }

  update(event: ProgressStep): void {
    if (this.bars === undefined || this.bar === undefined) {
      this.bars = new cliProgress.MultiBar(
        { stream: this.stream as NodeJS.WritableStream, format: BAR_FORMAT, fps: BAR_FPS, etaBuffer: ETA_WINDOW_STEPS, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.bars.create(event.totalSteps, 0, { epoch: event.epoch, epochs: event.epochs, rate: '-' });
      this.epochStart = performance.now();
      this.images = 0;
    }

    this.images += event.batchSize;
    const seconds = (performance.now() - this.epochStart) / 1000;
    const rate = seconds > 0 ? Math.round(this.images / seconds) : '-';
    this.bar.update(event.step, { epoch: event.epoch, epochs: event.epochs, rate });
  }

  endEpoch(): void {
    if (this.bars === undefined) return;
    // stop() redraws the bars but drops lines still waiting in the log buffer, so flush them first.
    this.bars.update();
    this.bars.stop();
    this.bars = undefined;
    this.bar = undefined;
  }
}
