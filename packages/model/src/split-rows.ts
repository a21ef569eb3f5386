import * as tf from '@tensorflow/tfjs-core';

/**
 * Splits `x` `[parts * rows, columns]` into `parts` blocks of `rows` rows, like
 * `tf.split(x, parts, 0)`, but by halving recursively. tfjs-backend-wasm 4.22 copies
 * a slice's whole input on every slice, so a flat split costs `parts` copies of `x`
 * while halving reads each level twice, about `2 * log2(parts)` copies in all.
 */
export function splitRowBlocks(x: tf.Tensor2D, parts: number): tf.Tensor2D[] {
  if (parts === 1) {
    return [x];
  }
  const rows = x.shape[0] / parts;
  const leftParts = Math.floor(parts / 2);
  const [left, right] = tf.split(x, [leftParts * rows, (parts - leftParts) * rows], 0) as [tf.Tensor2D, tf.Tensor2D];
  return [...splitRowBlocks(left, leftParts), ...splitRowBlocks(right, parts - leftParts)];
}
