import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { DataLoader, MnistDataset, Normalize, type Batch, type Transform } from '../src/index.js';
import { useCpuBackend } from './tf-setup.js';

beforeAll(useCpuBackend);

/** `count` images of 2x2 pixels; every pixel of image i is `i % 256`, and its label is `i % 10`. */
function indexedDataset(count: number, rows = 2, cols = 2): MnistDataset {
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < count; i++) {
    images.fill(i % 256, i * rows * cols, (i + 1) * rows * cols);
  }
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return new MnistDataset({ images, labels, rows, cols });
}

/** Runs one epoch, disposing every batch, and returns the dataset indices in visiting order and the batch sizes. */
async function runEpoch(loader: DataLoader): Promise<{ order: number[]; sizes: number[] }> {
  const order: number[] = [];
  const sizes: number[] = [];
  for await (const batch of loader) {
    order.push(...batch.indices);
    sizes.push(batch.size);
    batch.dispose();
  }
  return { order, sizes };
}

describe('DataLoader length', () => {
  it('counts a partial last batch', () => {
    expect(new DataLoader(indexedDataset(60000, 1, 1), { batchSize: 64 }).length).toBe(938);
  });

  it('drops the partial last batch with dropLast', () => {
    expect(new DataLoader(indexedDataset(60000, 1, 1), { batchSize: 64, dropLast: true }).length).toBe(937);
  });

  it('counts exact multiples once', () => {
    expect(new DataLoader(indexedDataset(10000, 1, 1), { batchSize: 100 }).length).toBe(100);
    expect(new DataLoader(indexedDataset(10000, 1, 1), { batchSize: 100, dropLast: true }).length).toBe(100);
  });
});

describe('DataLoader batches', () => {
  it('yields float32 images and int32 labels of batch shape', async () => {
    const loader = new DataLoader(indexedDataset(10), { batchSize: 4 });
    const iterator = loader[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      throw new Error('the loader yielded no batch');
    }
    const batch = first.value;

    expect(batch.images.dtype).toBe('float32');
    expect(batch.images.shape).toEqual([4, 2, 2]);
    expect(batch.labels.dtype).toBe('int32');
    expect(batch.labels.shape).toEqual([4]);
    expect(batch.size).toBe(4);
    batch.dispose();
    await iterator.return();
  });

  it('scales pixels to [0, 1] by default', async () => {
    const loader = new DataLoader(indexedDataset(300), { batchSize: 300 });
    for await (const batch of loader) {
      const pixels = batch.images.dataSync();
      expect(pixels[0]).toBe(0);
      expect(pixels[4 * 51]).toBeCloseTo(0.2, 6);
      expect(pixels[4 * 255]).toBe(1);
      batch.dispose();
    }
  });

  it('keeps labels with their images', async () => {
    const loader = new DataLoader(indexedDataset(30), { batchSize: 8, shuffle: true, seed: 3 });
    for await (const batch of loader) {
      const labels = Array.from(batch.labels.dataSync());
      const firstPixels = Array.from(batch.images.dataSync()).filter((_, i) => i % 4 === 0);
      expect(labels).toEqual(firstPixels.map((pixel) => Math.round(pixel * 255) % 10));
      batch.dispose();
    }
  });

  it('applies the given transform', async () => {
    const loader = new DataLoader(indexedDataset(3), { batchSize: 3, transform: new Normalize(1, 2) });
    for await (const batch of loader) {
      expect(Array.from(batch.images.dataSync()).filter((_, i) => i % 4 === 0)).toEqual([-0.5, 0, 0.5]);
      batch.dispose();
    }
  });

  it('casts a transform result to float32', async () => {
    const identity: Transform = { apply: (x) => tf.clone(x), toString: () => 'Identity()' };
    const loader = new DataLoader(indexedDataset(2), { batchSize: 2, transform: identity });
    for await (const batch of loader) {
      expect(batch.images.dtype).toBe('float32');
      expect(Array.from(batch.images.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
      batch.dispose();
    }
  });

  it('rejects a transform that drops the batch dimension without leaking', async () => {
    const flatten: Transform = { apply: (x) => tf.reshape(x, [-1]), toString: () => 'Flatten()' };
    const loader = new DataLoader(indexedDataset(4), { batchSize: 2, transform: flatten });
    const before = tf.memory().numTensors;

    await expect(runEpoch(loader)).rejects.toThrow('Transform Flatten() returned shape [8], but a batch needs rank 3 with 2 examples first.');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('visits examples in order without shuffle, last batch partial', async () => {
    const { order, sizes } = await runEpoch(new DataLoader(indexedDataset(10), { batchSize: 4 }));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('skips the partial last batch with dropLast', async () => {
    const { order, sizes } = await runEpoch(new DataLoader(indexedDataset(10), { batchSize: 4, dropLast: true }));
    expect(sizes).toEqual([4, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('ends an epoch of 60000 with a batch of 32', async () => {
    const { sizes } = await runEpoch(new DataLoader(indexedDataset(60000, 1, 1), { batchSize: 64 }));
    expect(sizes).toHaveLength(938);
    expect(sizes.at(-1)).toBe(32);
  });
});

describe('DataLoader shuffle', () => {
  it('visits every example once per epoch', async () => {
    const { order } = await runEpoch(new DataLoader(indexedDataset(50), { batchSize: 7, shuffle: true, seed: 1 }));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('repeats the order for the same seed', async () => {
    const first = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    const second = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    expect((await runEpoch(first)).order).toEqual((await runEpoch(second)).order);
    expect((await runEpoch(first)).order).toEqual((await runEpoch(second)).order);
  });

  it('changes the order with the seed', async () => {
    const first = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    const second = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 43 });
    expect((await runEpoch(first)).order).not.toEqual((await runEpoch(second)).order);
  });

  it('changes the order each epoch', async () => {
    const loader = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    const epoch0 = (await runEpoch(loader)).order;
    const epoch1 = (await runEpoch(loader)).order;
    expect(epoch1).not.toEqual(epoch0);
    expect(loader.epoch).toBe(2);
  });

  it('repeats an epoch after setEpoch', async () => {
    const loader = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    await runEpoch(loader);
    const epoch1 = (await runEpoch(loader)).order;

    loader.setEpoch(1);
    expect((await runEpoch(loader)).order).toEqual(epoch1);
    expect(loader.order(1)).toEqual(Int32Array.from(epoch1));
  });

  it('starts at startBatch with the same batches', async () => {
    const loader = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    loader.setEpoch(3);
    const full = await runEpoch(loader);

    loader.setEpoch(3, 2);
    const tail = await runEpoch(loader);

    expect(tail.order).toEqual(full.order.slice(16));
    expect(tail.sizes).toEqual([8, 8, 8, 8, 2]);
  });

  it('starts only the next loop at startBatch', async () => {
    const loader = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: 42 });
    loader.setEpoch(0, 6);
    const last = await runEpoch(loader);
    const next = await runEpoch(loader);

    expect(last.sizes).toEqual([2]);
    expect(next.sizes).toHaveLength(7);
    expect(next.order).toEqual(Array.from(loader.order(1)));
  });

  it('yields nothing when startBatch equals length', async () => {
    const loader = new DataLoader(indexedDataset(50), { batchSize: 8 });
    loader.setEpoch(0, 7);

    expect((await runEpoch(loader)).sizes).toEqual([]);
  });

  it('tags batches with their epoch and position', async () => {
    const loader = new DataLoader(indexedDataset(10), { batchSize: 4, shuffle: true, seed: 9 });
    loader.setEpoch(5);
    const tags: [number, number][] = [];
    for await (const batch of loader) {
      tags.push([batch.epoch, batch.index]);
      batch.dispose();
    }
    expect(tags).toEqual([
      [5, 0],
      [5, 1],
      [5, 2],
    ]);
  });

  it('draws a seed when none is given and exposes it', async () => {
    const drawn = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true });
    expect(Number.isInteger(drawn.seed)).toBe(true);

    const replay = new DataLoader(indexedDataset(50), { batchSize: 8, shuffle: true, seed: drawn.seed });
    expect((await runEpoch(replay)).order).toEqual((await runEpoch(drawn)).order);
  });

  it('has no seed without shuffle', () => {
    expect(new DataLoader(indexedDataset(5), { batchSize: 2 }).seed).toBeUndefined();
  });
});

describe('DataLoader options', () => {
  it('rejects a batch size of 0', () => {
    expect(() => new DataLoader(indexedDataset(5), { batchSize: 0 })).toThrow('Invalid batchSize 0: expected a positive integer.');
  });

  it('rejects a fractional batch size', () => {
    expect(() => new DataLoader(indexedDataset(5), { batchSize: 2.5 })).toThrow('Invalid batchSize 2.5: expected a positive integer.');
  });

  it('rejects a negative seed', () => {
    expect(() => new DataLoader(indexedDataset(5), { batchSize: 2, shuffle: true, seed: -1 })).toThrow(
      'Invalid seed -1: expected an integer in [0, 4294967295].',
    );
  });

  it('rejects a negative epoch', () => {
    expect(() => new DataLoader(indexedDataset(5), { batchSize: 2 }).setEpoch(-1)).toThrow(
      'Invalid epoch -1: expected a non-negative integer.',
    );
  });
});

describe('DataLoader startBatch', () => {
  it('rejects a startBatch past the last batch', () => {
    expect(() => new DataLoader(indexedDataset(10), { batchSize: 4 }).setEpoch(0, 4)).toThrow(
      'Invalid startBatch 4: expected an integer from 0 to 3, the batches per epoch.',
    );
  });

  it('rejects a negative startBatch', () => {
    expect(() => new DataLoader(indexedDataset(10), { batchSize: 4 }).setEpoch(0, -1)).toThrow('Invalid startBatch -1');
  });
});

describe('DataLoader memory', () => {
  it('leaves no tensors after an epoch when each batch is disposed', async () => {
    const loader = new DataLoader(indexedDataset(100), { batchSize: 16, shuffle: true, seed: 1 });
    const before = tf.memory().numTensors;
    let batches = 0;
    for await (const batch of loader) {
      batches += 1;
      expect(tf.memory().numTensors).toBe(before + 2);
      batch.dispose();
    }
    expect(batches).toBe(7);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves no tensors when the loop breaks early', async () => {
    const loader = new DataLoader(indexedDataset(100), { batchSize: 16 });
    const before = tf.memory().numTensors;
    for await (const batch of loader) {
      batch.dispose();
      if (batch.index === 2) {
        break;
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps a batch until the caller disposes it', async () => {
    const loader = new DataLoader(indexedDataset(8), { batchSize: 4 });
    const keptBatches: Batch[] = [];
    const before = tf.memory().numTensors;
    for await (const batch of loader) {
      keptBatches.push(batch);
    }

    expect(tf.memory().numTensors).toBe(before + 4);
    expect(keptBatches[0]?.images.isDisposed).toBe(false);
    keptBatches.forEach((batch) => batch.dispose());
    keptBatches.forEach((batch) => batch.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
