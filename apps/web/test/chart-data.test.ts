import type { EpochEndEvent, StepEvent } from '@lstm-mnist/train';
import { describe, expect, test } from 'vitest';

import { TrainingChartData } from '../src/chart-data.js';

function stepEvent(epoch: number, step: number, loss: number, msPerBatch = 100): StepEvent {
  return { type: 'step', epoch, epochs: 2, step, stepsPerEpoch: 938, loss, batchSize: 64, msPerBatch };
}

function epochEvent(epoch: number, testAccuracy: number): EpochEndEvent {
  return { type: 'epoch-end', epoch, epochs: 2, steps: 2, trainLoss: 1, testAccuracy, testCorrect: 0, testTotal: 10000, seconds: 1, msPerBatch: 100, backend: 'cpu' };
}

describe('TrainingChartData', () => {
  test('numbers steps across epochs', () => {
    const data = new TrainingChartData();
    data.addStep(stepEvent(1, 1, 2.3));
    data.addStep(stepEvent(1, 2, 2.1));
    data.addStep(stepEvent(2, 1, 1.5));

    expect(data.series.loss).toEqual([[1, 2, 3], [2.3, 2.1, 1.5]]);
  });

  test('throughput uses the measured step time', () => {
    const data = new TrainingChartData();
    data.addStep(stepEvent(1, 1, 2.3), 50);

    expect(data.series.imagesPerSecond).toEqual([[1], [1280]]);
  });

  test('throughput falls back to msPerBatch', () => {
    const data = new TrainingChartData();
    data.addStep(stepEvent(1, 1, 2.3, 200));

    expect(data.series.imagesPerSecond[1]).toEqual([320]);
  });

  test('accuracy is in percent per epoch', () => {
    const data = new TrainingChartData();
    data.addEpoch(epochEvent(1, 0.9036));

    expect(data.series.accuracy[0]).toEqual([1]);
    expect(data.series.accuracy[1][0]).toBeCloseTo(90.36, 10);
  });

  test('clear empties the same arrays', () => {
    const data = new TrainingChartData();
    const lossArrays = data.series.loss;
    data.addStep(stepEvent(1, 1, 2.3));
    data.clear();

    expect(data.series.loss).toBe(lossArrays);
    expect(lossArrays).toEqual([[], []]);
    expect(data.steps).toBe(0);
  });
});
