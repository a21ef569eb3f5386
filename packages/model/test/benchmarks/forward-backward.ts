/**
 * Times one forward and backward pass of LSTMModel (mean cross-entropy, gradients
 * of every variable) on random input, and prints the median over the timed runs.
 *
 * Usage: npx tsx packages/model/test/benchmarks/forward-backward.ts [backend] [batchSize] [runs]
 * Defaults: wasm, 64, 5; two warm-up runs come first.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';

import { LSTMModel } from '../../src/index.js';
import { meanCrossEntropy } from '../helpers.js';

const WARM_UP_RUNS = 2;

async function main(): Promise<void> {
  const [backend = 'wasm', batchText = '64', runsText = '5'] = process.argv.slice(2);
  const batchSize = Number(batchText);
  const runs = Number(runsText);
  await tf.setBackend(backend);

  const model = LSTMModel.create({}, { seed: 0 });
  const { inputSize, numClasses } = model.config;
  const images = tf.randomNormal([batchSize, 28, inputSize], 0, 1, 'float32', 1) as tf.Tensor3D;
  const labels = tf.randomUniform([batchSize], 0, numClasses, 'int32', 2) as tf.Tensor1D;

  const times: number[] = [];
  for (let run = 0; run < WARM_UP_RUNS + runs; run++) {
    const start = performance.now();
    const { value, grads } = tf.variableGrads(() => meanCrossEntropy(model.forward(images), labels), model.trainableVariables());
    await Promise.all(Object.values(grads).map((grad) => grad.data()));
    const elapsed = performance.now() - start;
    tf.dispose([value, ...Object.values(grads)]);
    if (run >= WARM_UP_RUNS) {
      times.push(elapsed);
    }
  }

  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  process.stdout.write(
    `backend ${tf.getBackend()}, batch ${batchSize}, config ${JSON.stringify(model.config)}: ` +
      `forward+backward median ${median.toFixed(1)} ms over ${runs} runs (all: ${times.map((t) => t.toFixed(1)).join(', ')} ms)\n`,
  );

  tf.dispose([images, labels]);
  model.dispose();
}

await main();
