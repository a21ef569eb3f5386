import { describe, expect, it } from 'vitest';

import { DEFAULT_LOG_EVERY_STEPS, TrainEventEmitter, formatStepLine, isLogStep } from '../src/index.js';
import type { EpochEndEvent, StepEvent } from '../src/index.js';

function stepEvent(overrides: Partial<StepEvent> = {}): StepEvent {
  return {
    type: 'step',
    epoch: 1,
    epochs: 10,
    step: 100,
    stepsPerEpoch: 938,
    loss: 0.51321,
    batchSize: 64,
    msPerBatch: 12,
    ...overrides,
  };
}

describe('formatStepLine', () => {
  it('formats the PyTorch example line', () => {
    expect(formatStepLine(stepEvent())).toBe('Epoch [1/10], Step [100/938], Loss: 0.5132');
  });

  it('rounds the loss to 4 decimals', () => {
    expect(formatStepLine(stepEvent({ loss: 2.30258509 }))).toBe('Epoch [1/10], Step [100/938], Loss: 2.3026');
  });

  it('pads the loss to 4 decimals', () => {
    expect(formatStepLine(stepEvent({ loss: 2.5 }))).toBe('Epoch [1/10], Step [100/938], Loss: 2.5000');
  });

  it('prints NaN loss as Python does', () => {
    expect(formatStepLine(stepEvent({ loss: Number.NaN }))).toBe('Epoch [1/10], Step [100/938], Loss: nan');
  });

  it('prints infinite loss as Python does', () => {
    expect(formatStepLine(stepEvent({ loss: Number.POSITIVE_INFINITY }))).toBe('Epoch [1/10], Step [100/938], Loss: inf');
  });

  it('uses the given epoch and step counts', () => {
    const line = formatStepLine(stepEvent({ epoch: 3, epochs: 5, step: 20, stepsPerEpoch: 40, loss: 0.01 }));

    expect(line).toBe('Epoch [3/5], Step [20/40], Loss: 0.0100');
  });
});

describe('isLogStep', () => {
  it('selects every 100th step by default', () => {
    expect(DEFAULT_LOG_EVERY_STEPS).toBe(100);
    expect(isLogStep({ step: 100 })).toBe(true);
    expect(isLogStep({ step: 200 })).toBe(true);
  });

  it('skips steps between multiples', () => {
    expect(isLogStep({ step: 1 })).toBe(false);
    expect(isLogStep({ step: 99 })).toBe(false);
    expect(isLogStep({ step: 101 })).toBe(false);
  });

  it('accepts a custom interval', () => {
    expect(isLogStep({ step: 6 }, 3)).toBe(true);
    expect(isLogStep({ step: 7 }, 3)).toBe(false);
  });

  it('rejects a zero interval', () => {
    expect(() => isLogStep({ step: 1 }, 0)).toThrow('isLogStep: every must be a positive integer number of steps, got 0.');
  });
});

describe('TrainEventEmitter', () => {
  const epochEnd: EpochEndEvent = {
    type: 'epoch-end',
    epoch: 1,
    epochs: 1,
    steps: 1,
    trainLoss: 1,
    testAccuracy: 0.5,
    testCorrect: 1,
    testTotal: 2,
    seconds: 1,
    msPerBatch: 1,
    backend: 'cpu',
  };

  it('calls listeners of the event type in order', () => {
    const emitter = new TrainEventEmitter();
    const calls: string[] = [];
    emitter.on('step', () => calls.push('first'));
    emitter.on('step', () => calls.push('second'));

    emitter.emit(stepEvent());

    expect(calls).toEqual(['first', 'second']);
  });

  it('skips listeners of other types', () => {
    const emitter = new TrainEventEmitter();
    const steps: StepEvent[] = [];
    emitter.on('step', (event) => steps.push(event));

    emitter.emit(epochEnd);

    expect(steps).toEqual([]);
  });

  it('stops calling a removed listener', () => {
    const emitter = new TrainEventEmitter();
    let count = 0;
    const remove = emitter.on('epoch-end', () => {
      count += 1;
    });

    emitter.emit(epochEnd);
    remove();
    emitter.emit(epochEnd);

    expect(count).toBe(1);
  });

  it('passes a listener error to the caller of emit', () => {
    const emitter = new TrainEventEmitter();
    emitter.on('step', () => {
      throw new Error('listener failed');
    });

    expect(() => emitter.emit(stepEvent())).toThrow('listener failed');
  });
});
