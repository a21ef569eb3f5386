import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { type Command, Option } from 'commander';

import {
  NODE_BACKENDS,
  type NodeBackendCandidate,
  type NodeBackendName,
  initNodeBackend,
} from '@lstm-mnist/backend-node-gpu';
import { LSTMModel } from '@lstm-mnist/model';
import { Adam, crossEntropy } from '@lstm-mnist/train';

import { describeBackendChoice } from '../describe.js';
import { COMMAND_EXIT_STATUS_HELP } from '../exit-status-help.js';
import { prepareOutputFile } from '../file-arguments.js';
import { integerInRange } from '../option-parsers.js';

/** The seed job's model and batch: 28 steps of 28 pixels, 2 LSTM layers of 128 units, 10 classes, batches of 64. */
export const BENCH_CONFIG = { time: 28, inputSize: 28, hiddenSize: 128, numLayers: 2, numClasses: 10, batchSize: 64 } as const;

export const BENCH_DEFAULTS = { backend: 'auto', steps: 20, warmup: 3 } as const;

/** `--backend all` runs every concrete backend, each in its own process so that peak RSS is its own. */
const BENCH_BACKENDS = [...NODE_BACKENDS, 'all'] as const;

export type BenchBackendChoice = NodeBackendName | 'all';

export interface BenchCommandOptions {
  backend: BenchBackendChoice;
  steps: number;
  warmup: number;
  json?: string;
}

/** One backend's figures, as `--json` writes them. */
export interface BenchResult {
  backend: string;
  msPerBatch: { median: number; min: number; max: number };
  imagesPerSecond: number;
  /** Floating-point operations per second, in billions, from `trainingStepFlops()` and the median time. */
  gflops: number;
  /** Peak resident set size of the process, in MB (10^6 bytes). */
  peakRssMB: number;
}

/**
 * Counts the floating-point operations of one training step: twice the multiply-adds of the
 * forward products (input and recurrent products of each LSTM layer, and the linear layer), times 3.
 * The factor 3 is there because the backward pass computes two products of the same size per forward
 * product. Element-wise work is not counted. The seed configuration gives about 2.27e9.
 */
export function trainingStepFlops(config: typeof BENCH_CONFIG = BENCH_CONFIG): number {
  const rows = config.time * config.batchSize;
  const gates = 4 * config.hiddenSize;
  let forward = 0;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const inputSize = layer === 0 ? config.inputSize : config.hiddenSize;
    forward += 2 * rows * (inputSize + config.hiddenSize) * gates;
  }
  forward += 2 * config.batchSize * config.hiddenSize * config.numClasses;
  return 3 * forward;
}

/** Adds `lstm-mnist bench` to the program; `run` is injected so tests can parse flags without measuring. */
export function registerBenchCommand(program: Command, run: (options: BenchCommandOptions) => Promise<void> = runBenchCommand): void {
  program
    .command('bench')
    .description(
      'Time the training step of the seed job (forward, cross-entropy, backward and Adam on one batch of 64 ' +
        'synthetic 28x28 images; data loading excluded) and print the median, min and max ms per batch, ' +
        'images/s, GFLOP/s and peak RSS.',
    )
    .addOption(
      new Option('--backend <name>', 'backend to measure; all measures every one that loads, each in its own process')
        .choices(BENCH_BACKENDS)
        .default(BENCH_DEFAULTS.backend),
    )
    .option('--steps <n>', 'timed training steps', integerInRange(1, 100_000), BENCH_DEFAULTS.steps)
    .option('--warmup <n>', 'untimed training steps first', integerInRange(0, 100_000), BENCH_DEFAULTS.warmup)
    .option('--json <file>', 'also write the results as a JSON array: [{ backend, msPerBatch: { median, min, max }, imagesPerSecond, gflops, peakRssMB }]')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (options: Record<string, unknown>) => {
      await run({
        backend: options['backend'] as BenchBackendChoice,
        steps: options['steps'] as number,
        warmup: options['warmup'] as number,
        json: options['json'] as string | undefined,
      });
    });
}

/** Runs `lstm-mnist bench`: measures one backend in this process, or each backend in a child process. */
export async function runBenchCommand(options: BenchCommandOptions): Promise<void> {
  if (options.json !== undefined) await prepareOutputFile(options.json, '--json');
  const results = options.backend === 'all' ? await benchEveryBackend(options) : [await benchThisProcess(options.backend, options)];
  for (const result of results) console.log(formatBenchResult(result, options.steps));
  if (options.json !== undefined) await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
}

/** Formats one result as a line: `native-cpu: 48.2 ms per batch (median of 20, min 45.1, max 60.3), ...`. */
export function formatBenchResult(result: BenchResult, steps: number): string {
  const { median, min, max } = result.msPerBatch;
  return (
    `${result.backend}: ${median.toFixed(1)} ms per batch (median of ${steps}, min ${min.toFixed(1)}, max ${max.toFixed(1)}), ` +
    `${result.imagesPerSecond.toFixed(0)} images/s, ${result.gflops.toFixed(1)} GFLOP/s, peak RSS ${result.peakRssMB.toFixed(0)} MB`
  );
}

async function benchThisProcess(choice: NodeBackendName, options: BenchCommandOptions): Promise<BenchResult> {
  const selection = await initNodeBackend(choice);
  console.log(describeBackendChoice(selection));
  const times = timeTrainingSteps(options.warmup, options.steps);
  return summarize(selection.name, times);
}

/** Times `steps` training steps after `warmup` untimed ones, in ms each; every tensor made is released. */
export function timeTrainingSteps(warmup: number, steps: number): number[] {
  const { batchSize, time, inputSize, hiddenSize, numLayers, numClasses } = BENCH_CONFIG;
  const model = LSTMModel.create({ inputSize, hiddenSize, numLayers, numClasses }, { seed: 0 });
  const optimizer = new Adam(model.trainableVariables());
  const images = tf.randomNormal([batchSize, time, inputSize], 0, 1, 'float32', 1) as tf.Tensor3D;
  const labels = tf.randomUniform([batchSize], 0, numClasses, 'int32', 2) as tf.Tensor1D;

  const times: number[] = [];
  try {
    for (let step = 0; step < warmup + steps; step++) {
      const start = performance.now();
      trainingStep(model, optimizer, images, labels);
      if (step >= warmup) times.push(performance.now() - start);
    }
  } finally {
    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  }
  return times;
}

function trainingStep(model: LSTMModel, optimizer: Adam, images: tf.Tensor3D, labels: tf.Tensor1D): void {
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(images), labels), variables);
  optimizer.step(variables.map((variable) => grads[variable.name] as tf.Tensor));
  // Reading the loss waits for the backend, as the training loop does when it reports the loss.
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

function summarize(backend: NodeBackendCandidate, times: number[]): BenchResult {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    backend,
    msPerBatch: { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number },
    imagesPerSecond: (BENCH_CONFIG.batchSize * 1000) / median,
    gflops: trainingStepFlops() / (median * 1e6),
    // resourceUsage().maxRSS is in kilobytes (KiB on Linux).
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
  };
}

async function benchEveryBackend(options: BenchCommandOptions): Promise<BenchResult[]> {
  const folder = await mkdtemp(join(tmpdir(), 'lstm-mnist-bench-'));
  const results: BenchResult[] = [];
  try {
    for (const backend of NODE_BACKENDS.filter((name) => name !== 'auto')) {
      const jsonFile = join(folder, `${backend}.json`);
      const args = ['bench', '--backend', backend, '--steps', String(options.steps), '--warmup', String(options.warmup), '--json', jsonFile];
      const status = await runSelf(args);
      if (status.code !== 0) {
        console.log(`${backend}: skipped: ${lastLine(status.stderr) || `exit status ${status.code}`}`);
        continue;
      }
      results.push(...(JSON.parse(await readFile(jsonFile, 'utf8')) as BenchResult[]));
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return results;
}

/** Runs this CLI again with `args`, passing its standard output through and collecting its errors. */
function runSelf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1] as string, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
