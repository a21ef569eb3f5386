import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { Compose, Normalize, ToTensor } from '../src/index.js';
import { useCpuBackend } from './tf-setup.js';

beforeAll(useCpuBackend);

function values(x: tf.Tensor): number[] {
  return Array.from(x.dataSync());
}

describe('ToTensor', () => {
  it('scales int32 pixels to float32 in [0, 1]', () => {
    const x = tf.tensor2d([0, 51, 255, 102], [2, 2], 'int32');
    const y = new ToTensor().apply(x);

    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([2, 2]);
    const [a, b, c, d] = values(y);
    expect(a).toBe(0);
    expect(b).toBeCloseTo(0.2, 6);
    expect(c).toBe(1);
    expect(d).toBeCloseTo(0.4, 6);
    tf.dispose([x, y]);
  });

  it('keeps its input and leaves no other tensors', () => {
    const x = tf.tensor3d([0, 255], [1, 1, 2], 'int32');
    const before = tf.memory().numTensors;
    const y = new ToTensor().apply(x);

    expect(x.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });

  it('describes itself', () => {
    expect(new ToTensor().toString()).toBe('ToTensor()');
  });
});

describe('Normalize', () => {
  it('defaults to the MNIST mean and std', () => {
    const x = tf.tensor1d([0, 1, 0.2]);
    const y = new Normalize().apply(x);
    const [zero, one, fifth] = values(y);

    expect(zero).toBeCloseTo(-0.424212917883804, 6);
    expect(one).toBeCloseTo(2.82148653034729, 5);
    expect(fifth).toBeCloseTo(0.2249269717624148, 6);
    tf.dispose([x, y]);
  });

  it('uses a given mean and std', () => {
    const x = tf.tensor1d([0, 0.5, 1]);
    const y = new Normalize(0.5, 0.25).apply(x);
    expect(values(y)).toEqual([-2, 0, 2]);
    tf.dispose([x, y]);
  });

  it('returns float32 for int32 input', () => {
    const x = tf.tensor1d([3], 'int32');
    const y = new Normalize(1, 2).apply(x);
    expect(y.dtype).toBe('float32');
    expect(values(y)).toEqual([1]);
    tf.dispose([x, y]);
  });

  it('rejects a zero std', () => {
    expect(() => new Normalize(0.1, 0)).toThrow('Invalid Normalize std 0: expected a finite number greater than 0.');
  });

  it('rejects a mean that is not finite', () => {
    expect(() => new Normalize(Number.NaN, 1)).toThrow('Invalid Normalize mean NaN: expected a finite number.');
  });

  it('describes itself with its parameters', () => {
    expect(new Normalize().toString()).toBe('Normalize(mean=0.1307, std=0.3081)');
    expect(new Normalize(0.5, 0.25).toString()).toBe('Normalize(mean=0.5, std=0.25)');
  });
});

describe('Compose', () => {
  it('applies transforms in order', () => {
    const x = tf.tensor1d([0, 255], 'int32');
    const y = new Compose([new ToTensor(), new Normalize()]).apply(x);
    const [black, white] = values(y);

    expect(black).toBeCloseTo(-0.424212917883804, 6);
    expect(white).toBeCloseTo(2.82148653034729, 5);
    tf.dispose([x, y]);
  });

  it('disposes intermediate tensors', () => {
    const x = tf.tensor1d([0, 255], 'int32');
    const before = tf.memory().numTensors;
    const y = new Compose([new ToTensor(), new Normalize(), new Normalize(0, 2)]).apply(x);

    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });

  it('returns a new tensor when empty', () => {
    const x = tf.tensor1d([7]);
    const y = new Compose([]).apply(x);

    expect(y).not.toBe(x);
    expect(values(y)).toEqual([7]);
    tf.dispose([x, y]);
  });

  it('lists its transforms one per line', () => {
    const compose = new Compose([new ToTensor(), new Normalize()]);
    expect(compose.toString()).toBe('Compose(\n    ToTensor()\n    Normalize(mean=0.1307, std=0.3081)\n)');
  });

  it('is not changed by edits to the given list', () => {
    const list = [new ToTensor()];
    const compose = new Compose(list);
    list.push(new ToTensor());
    expect(compose.transforms).toHaveLength(1);
  });
});
