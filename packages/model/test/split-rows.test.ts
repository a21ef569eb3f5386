import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { splitRowBlocks } from '../src/split-rows.js';

describe('splitRowBlocks', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([1, 2, 3, 7, 28])('matches tf.split into %i blocks', (parts) => {
    const x = tf.reshape(tf.range(0, parts * 2 * 3), [parts * 2, 3]) as tf.Tensor2D;
    const blocks = splitRowBlocks(x, parts);
    const expected = tf.split(x, parts, 0);

    expect(blocks.map((block) => block.shape)).toEqual(expected.map((block) => block.shape));
    expect(blocks.map((block) => Array.from(block.dataSync()))).toEqual(expected.map((block) => Array.from(block.dataSync())));
    tf.dispose([x, ...blocks, ...expected]);
  });
});
