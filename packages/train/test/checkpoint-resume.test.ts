import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataLoader, MnistDataset } from '@lstm-mnist/data';
import { LSTMModel } from '@lstm-mnist/model';

import {
  Adam,
  captureCheckpoint,
  CheckpointFormatError,
  decodeCheckpoint,
  encodeCheckpoint,
  LossLimitExceededError,
  NonFiniteLossError,
  restoreCheckpoint,
  Trainer,
  type TrainingCheckpoint,
  type TrainingPosition,
} from '../src/index.js';
import {
  checkpointFileName,
  CheckpointNotFoundError,
  listCheckpoints,
  loadLatestCheckpoint,
  removeTemporaryCheckpointFiles,
  writeCheckpoint,
} from '../src/node/index.js';
import { useBackend } from './helpers/backend.js';

const SEED = 11;
const BATCH_SIZE = 8;
const CONFIG = { inputSize: 6, hiddenSize: 5, numLayers: 2, numClasses: 10 };

/** 40 random 6x6 images with random labels: 5 batches of 8 per epoch. */
function syntheticDataset(count: number, seed: number): MnistDataset {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
  const images = Uint8Array.from({ length: count * 36 }, next);
  const labels = Uint8Array.from({ length: count }, () => next() % 10);
  return new MnistDataset({ images, labels, rows: 6, cols: 6 });
}

const trainSet = syntheticDataset(40, 1);
const testSet = syntheticDataset(16, 2);

interface Run {
  model: LSTMModel;
  optimizer: Adam;
  trainer: Trainer;
}

/** Creates a seeded run on the synthetic set; `resume` restores a checkpoint before training. */
function createRun(options: { epochs: number; resume?: TrainingCheckpoint; checkpointEverySteps?: number; onCheckpoint?: (position: TrainingPosition) => Promise<void>; signal?: AbortSignal; lr?: number; maxLoss?: number }): Run {
  const model = LSTMModel.create(CONFIG, { seed: SEED });
  const optimizer = new Adam(model.trainableVariables(), { lr: options.lr ?? 0.01 });
  if (options.resume !== undefined) restoreCheckpoint(options.resume, model, optimizer);
  const trainer = new Trainer({
    model,
    optimizer,
    trainLoader: new DataLoader(trainSet, { batchSize: BATCH_SIZE, shuffle: true, seed: SEED }),
    testLoader: new DataLoader(testSet, { batchSize: 16 }),
    epochs: options.epochs,
    resumeFrom: options.resume?.position,
    checkpointEverySteps: options.checkpointEverySteps,
    onCheckpoint: options.onCheckpoint,
    maxLoss: options.maxLoss,
    signal: options.signal,
  });
  return { model, optimizer, trainer };
}

function capture(run: Run, position: TrainingPosition): TrainingCheckpoint {
  return captureCheckpoint(run.model, run.optimizer, { position, dataOrder: { seed: SEED, batchSize: BATCH_SIZE }, config: { hiddenSize: 5 } });
}

/** Copies every parameter and Adam moment into plain arrays, for exact comparison. */
function snapshot(run: Run): Record<string, number[]> {
  const values: Record<string, number[]> = {};
  for (const [name, tensor] of run.model.stateDict()) {
    values[name] = Array.from(tensor.dataSync());
    tensor.dispose();
  }
  const state = run.optimizer.getState();
  state.firstMoments.forEach((moment, index) => (values[`m${index}`] = Array.from(moment.dataSync())));
  state.secondMoments.forEach((moment, index) => (values[`v${index}`] = Array.from(moment.dataSync())));
  tf.dispose([...state.firstMoments, ...state.secondMoments]);
  values['stepCount'] = [run.optimizer.stepCount];
  return values;
}

function disposeRun(run: Run): void {
  run.optimizer.dispose();
  run.model.dispose();
}

/** Trains two epochs straight, keeping in memory every checkpoint that onCheckpoint receives. */
async function trainStraight(checkpointEverySteps?: number): Promise<{ final: Record<string, number[]>; checkpoints: TrainingCheckpoint[]; trainLosses: number[] }> {
  const checkpoints: TrainingCheckpoint[] = [];
  const run: Run = createRun({ epochs: 2, checkpointEverySteps, onCheckpoint: async (position) => void checkpoints.push(capture(run, position)) });
  const result = await run.trainer.run();
  const final = snapshot(run);
  disposeRun(run);
  return { final, checkpoints, trainLosses: result.history.map((event) => event.trainLoss) };
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('Trainer resume', () => {
  it('matches a straight run after an epoch-end resume', async () => {
    const straight = await trainStraight();
    const afterEpoch1 = straight.checkpoints.find((checkpoint) => checkpoint.position.epoch === 1);
    if (afterEpoch1 === undefined) throw new Error('no checkpoint after epoch 1');
    // Round-trip through the byte format, as a resumed process would.
    const restored = decodeCheckpoint(encodeCheckpoint(afterEpoch1));

    const resumed = createRun({ epochs: 2, resume: restored });
    const result = await resumed.trainer.run();

    expect(afterEpoch1.position).toEqual({ epoch: 1, step: 5, globalStep: 5, epochLossSum: expect.any(Number), epochComplete: true });
    expect(result.steps).toBe(5);
    expect(result.history.map((event) => event.epoch)).toEqual([2]);
    expect(result.history[0]?.trainLoss).toBe(straight.trainLosses[1]);
    expect(snapshot(resumed)).toEqual(straight.final);
    disposeRun(resumed);
  });

  it('matches a straight run after a mid-epoch resume', async () => {
    const straight = await trainStraight(3);
    // Global step 3 is step 3 of epoch 1; global step 6 is step 1 of epoch 2.
    const positions = straight.checkpoints.map((checkpoint) => [checkpoint.position.epoch, checkpoint.position.step, checkpoint.position.epochComplete]);
    expect(positions).toEqual([[1, 3, false], [1, 5, true], [2, 1, false], [2, 4, false], [2, 5, true]]);

    for (const index of [0, 2]) {
      const checkpoint = straight.checkpoints[index] as TrainingCheckpoint;
      const resumed = createRun({ epochs: 2, resume: decodeCheckpoint(encodeCheckpoint(checkpoint)) });
      const result = await resumed.trainer.run();

      expect(snapshot(resumed)).toEqual(straight.final);
      expect(result.history.at(-1)?.trainLoss).toBe(straight.trainLosses[1]);
      disposeRun(resumed);
    }
  });

  it('evaluates an epoch resumed after its last step', async () => {
    const checkpoints: TrainingCheckpoint[] = [];
    const controller = new AbortController();
    const first: Run = createRun({
      epochs: 1,
      checkpointEverySteps: 5,
      signal: controller.signal,
      onCheckpoint: async (position) => {
        checkpoints.push(capture(first, position));
        controller.abort();
      },
    });
    const stopped = await first.trainer.run();
    disposeRun(first);

    const resumed = createRun({ epochs: 1, resume: checkpoints[0] });
    const result = await resumed.trainer.run();

    expect(stopped.aborted).toBe(true);
    expect(checkpoints[0]?.position).toMatchObject({ epoch: 1, step: 5, epochComplete: false });
    expect(result.steps).toBe(0);
    expect(result.history).toHaveLength(1);
    disposeRun(resumed);
  });

  it('checkpoints once after an abort', async () => {
    const controller = new AbortController();
    const reasons: string[] = [];
    const run: Run = createRun({ epochs: 2, signal: controller.signal, onCheckpoint: async () => void reasons.push('checkpoint') });
    run.trainer.on('step', (event) => {
      if (event.step === 2) controller.abort();
    });

    const result = await run.trainer.run();

    expect(result.aborted).toBe(true);
    expect(result.position).toMatchObject({ epoch: 1, step: 2, globalStep: 2, epochComplete: false });
    expect(reasons).toEqual(['checkpoint']);
    disposeRun(run);
  });
});

describe('Trainer yieldBetweenSteps', () => {
  it('awaits the hook before reading the signal', async () => {
    const controller = new AbortController();
    let calls = 0;
    const model = LSTMModel.create(CONFIG, { seed: SEED });
    const trainer = new Trainer({
      model,
      trainLoader: new DataLoader(trainSet, { batchSize: BATCH_SIZE, shuffle: true, seed: SEED }),
      testLoader: new DataLoader(testSet, { batchSize: 16 }),
      epochs: 1,
      signal: controller.signal,
      // Aborts from a macrotask, as a signal handler would, so only an awaited hook lets it land.
      yieldBetweenSteps: () => new Promise((resolve) => setTimeout(() => {
        calls += 1;
        if (calls === 2) controller.abort();
        resolve();
      }, 0)),
    });

    const result = await trainer.run();

    expect(result.aborted).toBe(true);
    expect(result.position.step).toBe(2);
    trainer.dispose();
    model.dispose();
  });
});

describe('Trainer divergence', () => {
  it('throws NonFiniteLossError naming epoch and step', async () => {
    const run = createRun({ epochs: 1, lr: 0.01 });
    run.trainer.on('step', () => {
      // Poisons the weights after step 2, so step 3's loss is NaN.
      const [first] = run.model.trainableVariables();
      first?.assign(tf.fill(first.shape, Number.NaN));
    });

    const error = await run.trainer.run().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).epoch).toBe(1);
    expect((error as NonFiniteLossError).step).toBe(2);
    expect((error as Error).message).toContain('the loss is NaN at epoch 1, step 2');
    expect((error as Error).message).toContain('learning rate is most likely too high');
    disposeRun(run);
  });

  it('throws LossLimitExceededError when a finite loss passes maxLoss', async () => {
    const run = createRun({ epochs: 1, lr: 0.01, maxLoss: 50 });
    run.trainer.on('step', (event) => {
      // Huge random weights after step 1 make step 2's logits, and so its loss, huge but finite.
      if (event.step === 1) {
        run.model.trainableVariables().forEach((variable, index) => variable.assign(tf.randomNormal(variable.shape, 0, 1000, 'float32', index + 1)));
      }
    });

    const error = await run.trainer.run().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LossLimitExceededError);
    expect((error as LossLimitExceededError).step).toBe(2);
    expect((error as LossLimitExceededError).loss).toBeGreaterThan(50);
    expect((error as Error).message).toMatch(/the loss is [0-9.]+ at epoch 1, step 2, above the limit of 50/);
    disposeRun(run);
  });

  it('rejects a maxLoss that is not positive', () => {
    expect(() => createRun({ epochs: 1, maxLoss: 0 })).toThrow('Trainer: maxLoss must be a positive number, got 0.');
  });

  it('refuses to checkpoint non-finite weights', async () => {
    const written: number[] = [];
    const run: Run = createRun({ epochs: 1, checkpointEverySteps: 1, onCheckpoint: async (position) => void written.push(position.globalStep) });
    run.trainer.on('step', (event) => {
      if (event.step === 2) {
        const [first] = run.model.trainableVariables();
        first?.assign(tf.fill(first.shape, Number.POSITIVE_INFINITY));
      }
    });

    await expect(run.trainer.run()).rejects.toThrow(/contains NaN or infinite values after epoch 1, step 2/);
    expect(written).toEqual([1]);
    disposeRun(run);
  });
});

describe('checkpoint format', () => {
  it('captures and restores without leaking tensors', () => {
    const run = createRun({ epochs: 1 });
    const before = tf.memory().numTensors;

    const checkpoint = capture(run, { epoch: 1, step: 0, globalStep: 0, epochLossSum: 0, epochComplete: false });
    restoreCheckpoint(checkpoint, run.model, run.optimizer);

    expect(tf.memory().numTensors).toBe(before);
    disposeRun(run);
  });

  it('rejects truncated bytes naming the file', async () => {
    const run = createRun({ epochs: 1 });
    const checkpoint = capture(run, { epoch: 1, step: 0, globalStep: 0, epochLossSum: 0, epochComplete: false });
    const bytes = encodeCheckpoint(checkpoint);

    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10))).toThrow(CheckpointFormatError);
    expect(() => decodeCheckpoint(bytes)).toThrow('Invalid checkpoint: position.globalStep must be an integer from 1');
    disposeRun(run);
  });

  it('rejects a step count that differs from the global step', () => {
    const run = createRun({ epochs: 1 });
    const checkpoint = capture(run, { epoch: 1, step: 2, globalStep: 2, epochLossSum: 1, epochComplete: false });

    expect(() => decodeCheckpoint(encodeCheckpoint(checkpoint))).toThrow(
      'Invalid checkpoint: optimizer.stepCount 0 differs from position.globalStep 2, but Adam updates once per step.',
    );
    disposeRun(run);
  });
});

describe('checkpoint folder', () => {
  let directory: string;
  let run: Run;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'lstm-mnist-checkpoints-'));
    run = createRun({ epochs: 1 });
    await run.trainer.run();
  });

  afterAll(async () => {
    disposeRun(run);
    await rm(directory, { recursive: true, force: true });
  });

  function at(globalStep: number): TrainingCheckpoint {
    return capture(run, { epoch: 1, step: Math.min(globalStep, 5), globalStep, epochLossSum: 1, epochComplete: false });
  }

  it('keeps the newest checkpoints', async () => {
    for (const step of [1, 2, 3, 4, 5]) {
      const checkpoint = at(step);
      await writeCheckpoint(directory, { ...checkpoint, optimizer: { ...checkpoint.optimizer, stepCount: step } }, { keep: 2 });
    }

    expect((await readdir(directory)).sort()).toEqual([checkpointFileName(4), checkpointFileName(5)]);
    expect((await listCheckpoints(directory)).map((file) => file.globalStep)).toEqual([5, 4]);
  });

  it('skips an unreadable newest checkpoint', async () => {
    await writeFile(join(directory, checkpointFileName(9)), 'not a checkpoint');
    await writeFile(join(directory, `.${checkpointFileName(10)}.0123abcd-0000-4000-8000-000000000000.tmp`), 'partial');

    const loaded = await loadLatestCheckpoint(directory);
    const removed = await removeTemporaryCheckpointFiles(directory);

    expect(loaded.path).toBe(join(directory, checkpointFileName(5)));
    expect(loaded.unreadable.map((entry) => entry.path)).toEqual([join(directory, checkpointFileName(9))]);
    expect(loaded.unreadable[0]?.error.message).toContain(`${join(directory, checkpointFileName(9))}: Invalid checkpoint`);
    expect(removed).toHaveLength(1);
  });

  it('reports a folder without checkpoints', async () => {
    await expect(loadLatestCheckpoint(join(directory, 'missing'))).rejects.toThrow(CheckpointNotFoundError);
  });

  it('writes nothing for non-finite weights', async () => {
    const checkpoint = at(7);
    const [name, first] = [...checkpoint.model][0] ?? [];
    const poisoned = new Map(checkpoint.model);
    poisoned.set(name as string, { shape: first?.shape ?? [1], data: new Float32Array(first?.data.length ?? 1).fill(Number.NaN) });

    await expect(writeCheckpoint(directory, { ...checkpoint, model: poisoned })).rejects.toThrow(/element 0 is NaN/);
    expect((await readdir(directory)).filter((name) => name.includes('000000007'))).toEqual([]);
  });
});
