import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BENCH_DEFAULTS,
  type BenchCommandOptions,
  type BenchResult,
  formatBenchResult,
  registerBenchCommand,
  trainingStepFlops,
} from '../src/commands/bench.js';
import { EXIT_USAGE } from '../src/program.js';
import { runCli } from './run-cli.js';

/** Parses `bench` flags in process and returns what the command would receive. */
async function parseBench(args: string[]): Promise<BenchCommandOptions> {
  let received: BenchCommandOptions | undefined;
  const program = new Command('lstm-mnist').exitOverride();
  registerBenchCommand(program, async (options) => {
    received = options;
  });
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  await program.parseAsync(['node', 'lstm-mnist', 'bench', ...args]);
  if (received === undefined) throw new Error('bench action did not run');
  return received;
}

describe('bench flags', () => {
  it('defaults to auto, 20 steps and 3 warm-up steps', async () => {
    expect(await parseBench([])).toEqual({ ...BENCH_DEFAULTS, json: undefined });
  });

  it('accepts all as the backend', async () => {
    expect((await parseBench(['--backend', 'all'])).backend).toBe('all');
  });

  it('rejects zero timed steps', async () => {
    await expect(parseBench(['--steps', '0'])).rejects.toBeInstanceOf(CommanderError);
  });

  it('rejects an unknown backend', async () => {
    await expect(parseBench(['--backend', 'tpu'])).rejects.toBeInstanceOf(CommanderError);
  });
});

describe('bench figures', () => {
  it('counts about 2.27 GFLOP per training step of the seed job', () => {
    expect(trainingStepFlops() / 1e9).toBeCloseTo(2.27, 2);
  });

  it('formats one line per backend', () => {
    const result: BenchResult = {
      backend: 'native-cpu',
      msPerBatch: { median: 48.25, min: 45.1, max: 60.33 },
      imagesPerSecond: 1326.4,
      gflops: 47.06,
      peakRssMB: 180.4,
    };
    expect(formatBenchResult(result, 20)).toBe(
      'native-cpu: 48.3 ms per batch (median of 20, min 45.1, max 60.3), 1326 images/s, 47.1 GFLOP/s, peak RSS 180 MB',
    );
  });
});

describe('lstm-mnist bench', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-bench-test-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('measures native-cpu and writes the JSON array', async () => {
    const run = await runCli(['bench', '--backend', 'native-cpu', '--steps', '2', '--warmup', '1', '--json', 'bench.json'], { cwd: workDir });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^native-cpu: [\d.]+ ms per batch \(median of 2, min [\d.]+, max [\d.]+\)/m);
    const results = JSON.parse(await readFile(join(workDir, 'bench.json'), 'utf8')) as BenchResult[];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ backend: 'native-cpu', msPerBatch: { median: expect.any(Number) } });
    expect(results[0]?.gflops).toBeGreaterThan(0);
    expect(results[0]?.peakRssMB).toBeGreaterThan(10);
  });

  it('exits with the usage status for a negative warm-up count', async () => {
    const run = await runCli(['bench', '--warmup', '-1'], { cwd: workDir });

    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toContain("option '--warmup <n>' argument '-1' is invalid");
  });
});
