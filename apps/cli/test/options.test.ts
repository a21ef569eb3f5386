import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TRAIN_DEFAULTS } from '../src/commands/train-options.js';
import { EXIT_USAGE } from '../src/program.js';
import { parseTrain, parseTrainError } from './parse-train.js';
import { runCli } from './run-cli.js';

describe('train flags', () => {
  it('defaults to the PyTorch tutorial settings', async () => {
    const options = await parseTrain([]);

    expect(options).toEqual({
      ...TRAIN_DEFAULTS,
      seed: undefined,
      download: true,
      maxSteps: undefined,
      out: undefined,
      metricsFile: undefined,
      checkpointDir: undefined,
      checkpointEvery: undefined,
      resume: undefined,
      mirrors: [],
      explicit: new Set(),
    });
    expect(options.batchSize).toBe(64);
    expect(options.lr).toBe(0.001);
    expect(options.epochs).toBe(10);
  });

  it('parses every flag', async () => {
    const options = await parseTrain([
      '--epochs', '2', '--batch-size', '32', '--lr', '0.01', '--hidden-size', '64', '--num-layers', '1',
      '--seed', '7', '--data-dir', 'd', '--no-download', '--backend', 'cpu', '--max-steps', '5',
      '--log-every', '1', '--out', 'm', '--metrics-file', 'm.jsonl', '--max-loss', '20',
    ]);

    expect(options).toEqual({
      epochs: 2, batchSize: 32, lr: 0.01, maxLoss: 20, hiddenSize: 64, numLayers: 1, seed: 7, dataDir: 'd', download: false,
      backend: 'cpu', maxSteps: 5, logEvery: 1, out: 'm', metricsFile: 'm.jsonl',
      checkpointDir: undefined, checkpointEvery: undefined, keepCheckpoints: 3, resume: undefined, mirrors: [],
      explicit: expect.any(Set),
    });
  });

  it.each([
    [['--batch-size', '0'], '--batch-size'],
    [['--batch-size', '1.5'], '--batch-size'],
    [['--lr', '-1'], '--lr'],
    [['--lr', 'abc'], '--lr'],
    [['--max-loss', '0'], '--max-loss'],
    [['--epochs', 'abc'], '--epochs'],
    [['--epochs', '0'], '--epochs'],
    [['--hidden-size', '-3'], '--hidden-size'],
    [['--max-steps', '0'], '--max-steps'],
    [['--seed', '-1'], '--seed'],
    [['--backend', 'tpu'], '--backend'],
  ])('rejects %j naming %s', async (args, flag) => {
    const error = await parseTrainError(args);

    expect(error.code).toMatch(/^commander\.invalid(Argument|OptionArgument)$/);
    expect(error.message).toContain(flag);
    expect(error.message).toContain(`'${args[1]}'`);
  });

  it('suggests the closest flag for a typo', async () => {
    const error = await parseTrainError(['--epoch', '2']);

    expect(error.code).toBe('commander.unknownOption');
    expect(error.message).toContain('--epochs');
  });
});

describe('lstm-mnist process', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-cli-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('documents every train flag with its default in --help', async () => {
    const run = await runCli(['train', '--help'], { cwd: workDir });

    expect(run.status).toBe(0);
    for (const flag of ['--epochs', '--batch-size', '--lr', '--hidden-size', '--num-layers', '--seed', '--data-dir', '--no-download', '--backend', '--max-steps', '--log-every', '--out', '--metrics-file']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain('(default: 64)');
    expect(run.stdout).toContain('(default: 0.001)');
    expect(run.stdout).toContain('(default: "./data")');
  });

  it('exits with the usage status on an invalid value', async () => {
    const run = await runCli(['train', '--batch-size', '0'], { cwd: workDir });

    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toContain("error: option '--batch-size <n>' argument '0' is invalid.");
    expect(run.stderr).not.toContain('    at ');
  });

  it('exits with the usage status on an unknown command', async () => {
    const run = await runCli(['trian'], { cwd: workDir });

    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('train');
  });

  it('names the folder when data is missing and downloads are off', async () => {
    const run = await runCli(['train', '--no-download', '--data-dir', 'empty', '--backend', 'cpu'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`MNIST not found in ${join(workDir, 'empty', 'MNIST', 'raw')}`);
    expect(run.stderr).toContain('drop --no-download');
    expect(run.stderr).not.toContain('    at ');
  });

  it('explains a forced backend that is not installed', async () => {
    const run = await runCli(['train', '--backend', 'node-gpu', '--data-dir', 'unused'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('@tensorflow/tfjs-node-gpu');
    expect(run.stderr).toContain('npm install');
    expect(run.stderr).not.toContain('    at ');
  });
});

describe('lstm-mnist output checks', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-out-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('rejects --out that is a file before training', async () => {
    await writeFile(join(workDir, 'taken'), 'not a folder');

    const run = await runCli(['train', '--out', 'taken', '--backend', 'cpu', '--no-download', '--data-dir', 'none'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: --out taken is a file, not a folder.');
    expect(run.stdout).not.toContain('Backend:');
  });
});

describe('lstm-mnist --version', () => {
  it('prints the package version', async () => {
    const run = await runCli(['--version'], { cwd: tmpdir() });

    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
