import type { EpochEndEvent, StepEvent } from '@lstm-mnist/train';

/** One chart's points as uPlot takes them: x values, then y values. */
export type SeriesData = [number[], number[]];

/** Points of the three training charts, filled from trainer events. */
export interface TrainingSeries {
  /** Loss per step against the global step number (1-based over all epochs). */
  loss: SeriesData;
  /** Test accuracy in percent against the epoch number. */
  accuracy: SeriesData;
  /** Training throughput in images per second against the global step number. */
  imagesPerSecond: SeriesData;
}

/** Collects chart points from `step` and `epoch-end` events. */
export class TrainingChartData {
  readonly series: TrainingSeries = { loss: [[], []], accuracy: [[], []], imagesPerSecond: [[], []] };
  private globalStep = 0;

  /**
   * Adds a step's loss and throughput.
   *
   * @param stepMs wall time of this step alone in milliseconds, measured by the caller; when omitted,
   *   the event's `msPerBatch` (the epoch's running mean) is used.
   */
  addStep(event: StepEvent, stepMs?: number): void {
    this.globalStep += 1;
    push(this.series.loss, this.globalStep, event.loss);

    const ms = stepMs ?? event.msPerBatch;
    if (ms > 0) push(this.series.imagesPerSecond, this.globalStep, (event.batchSize * 1000) / ms);
  }

  /** Adds the epoch's test accuracy in percent. */
  addEpoch(event: EpochEndEvent): void {
    push(this.series.accuracy, event.epoch, event.testAccuracy * 100);
  }

  /** Number of steps added so far. */
  get steps(): number {
    return this.globalStep;
  }

  /** Empties every series, for a new run. */
  clear(): void {
    this.globalStep = 0;
    for (const data of Object.values(this.series) as SeriesData[]) {
      data[0].length = 0;
      data[1].length = 0;
    }
  }
}

function push(data: SeriesData, x: number, y: number): void {
  data[0].push(x);
  data[1].push(y);
}
