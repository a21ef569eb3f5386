import { basename, dirname, extname, join } from 'node:path';

import { initNodeBackend } from '@lstm-mnist/backend-node-gpu';
import { Compose, DataLoader, MNIST_MEAN, MNIST_STD, Normalize, ToTensor } from '@lstm-mnist/data';
import { prepareMnist } from '@lstm-mnist/data/node';
import { LSTMModel } from '@lstm-mnist/model';
import { fileSystemSaveHandler } from '@lstm-mnist/model/node';
import { Adam, Trainer, formatStepLine } from '@lstm-mnist/train';

import { describeBackendChoice, describeDataEvent } from '../describe.js';
import { MetricsFile } from '../metrics-file.js';
import { prepareOutputFolder } from '../output-folder.js';
import { createTrainProgress } from '../progress.js';
import type { TrainCommandOptions } from './train-options.js';

/** Largest seed drawn when `--seed` is not given; any uint32 is valid. */
const MAX_RANDOM_SEED = 2 ** 31 - 1;

/**
 * Runs `lstm-mnist train`: picks the backend, prepares MNIST, trains the LSTM with the tutorial's
 * printout, evaluates on the 10,000 test images after each epoch and saves the model and metrics.
 */
export async function runTrainCommand(options: TrainCommandOptions): Promise<void> {
  if (options.out !== undefined) await prepareOutputFolder(options.out, '--out');

  const backend = await initNodeBackend(options.backend);
  print(describeBackendChoice(backend));

  const mnist = await prepareMnist({
    dataDir: options.dataDir,
    download: options.download,
    // --no-download means "only what is already in --data-dir", as torchvision's download=False does.
    ...(options.download ? {} : { packageDir: null }),
    downloadHint: 'drop --no-download',
    onEvent: (event) => printIfDefined(describeDataEvent(event)),
  });
  print(`Data: ${mnist.train.length} training and ${mnist.test.length} test images from ${mnist.source}`);

  const seed = options.seed ?? Math.floor(Math.random() * MAX_RANDOM_SEED);
  print(`Seed: ${seed}${options.seed === undefined ? ` (pass --seed ${seed} to repeat this run)` : ''}`);

  const transform = new Compose([new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD)]);
  const trainLoader = new DataLoader(mnist.train, { batchSize: options.batchSize, shuffle: true, seed, transform });
  const testLoader = new DataLoader(mnist.test, { batchSize: 1000, shuffle: false, transform });

  const model = LSTMModel.create(
    { inputSize: mnist.train.cols, hiddenSize: options.hiddenSize, numLayers: options.numLayers, numClasses: 10 },
    { seed },
  );
  const optimizer = new Adam(model.trainableVariables(), { lr: options.lr });
  const metrics = options.metricsFile ? await MetricsFile.create(options.metricsFile) : undefined;
  const progress = createTrainProgress(process.stdout);
  const stepsPerEpoch = Math.min(trainLoader.length, options.maxSteps ?? trainLoader.length);

  try {
    const trainer = new Trainer({
      model,
      optimizer,
      trainLoader,
      testLoader,
      epochs: options.epochs,
      maxStepsPerEpoch: options.maxSteps,
    });
    trainer.on('step', (event) => {
      progress.update({ ...event, totalSteps: stepsPerEpoch });
      if (event.step % options.logEvery !== 0) return;
      progress.print(formatStepLine(event));
      metrics?.append({ epoch: event.epoch, step: event.step, loss: event.loss });
    });
    trainer.on('epoch-end', (event) => {
      progress.endEpoch();
      print(
        `Epoch [${event.epoch}/${event.epochs}] finished: train loss ${event.trainLoss.toFixed(4)}, ` +
          `test accuracy ${(event.testAccuracy * 100).toFixed(2)}% on ${mnist.test.length} images, ` +
          `${event.seconds.toFixed(1)} s, ${event.msPerBatch.toFixed(1)} ms per batch`,
      );
      metrics?.append({
        epoch: event.epoch,
        trainLoss: event.trainLoss,
        testAccuracy: event.testAccuracy,
        seconds: event.seconds,
        msPerBatch: event.msPerBatch,
        backend: backend.name,
      });
    });
    await trainer.run();

    if (options.out) {
      await model.save(fileSystemSaveHandler(options.out));
      print(`Saved the model to ${options.out} (model.json + weights.bin, tfjs layers format)`);
    }
  } finally {
    progress.endEpoch();
    await metrics?.close();
    optimizer.dispose();
    model.dispose();
  }
  if (options.metricsFile) {
    print(`Wrote metrics to ${options.metricsFile}`);
    await writeCurvesNextTo(options.metricsFile);
  }
}

/** Draws the loss and accuracy curves of the metrics file to `<name>.curves.svg` in the same folder. */
async function writeCurvesNextTo(metricsFile: string): Promise<void> {
  const { runPlotCommand } = await import('./plot.js');
  const name = basename(metricsFile, extname(metricsFile));
  await runPlotCommand({ metrics: metricsFile, out: join(dirname(metricsFile), `${name}.curves.svg`) });
}

function print(line: string): void {
  console.log(line);
}

function printIfDefined(line: string | undefined): void {
  if (line !== undefined) print(line);
}
