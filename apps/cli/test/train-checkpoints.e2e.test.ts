import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listCheckpoints, loadLatestCheckpoint } from '@lstm-mnist/train/node';

import { MetricsFile } from '../src/metrics-file.js';
import { EXIT_INTERRUPTED, EXIT_USAGE } from '../src/program.js';
import { UserFacingError } from '../src/user-facing-error.js';
import { CLI_BIN, runCli, type CliRun } from './run-cli.js';

/** A small seeded run on wasm, the fastest backend that repeats bit for bit: 2 epochs of 30 steps of 64 images. */
const RUN_ARGS = ['--max-steps', '30', '--log-every', '10', '--hidden-size', '8', '--seed', '5', '--backend', 'wasm', '--data-dir', 'data'];
const EPOCHS = ['--epochs', '2'];

/**
 * root ignores permission bits, so a chmod 555 folder stays writable for it. As root the read-only
 * case runs the CLI as the unprivileged user `nobody` through util-linux's runuser; without runuser
 * it is skipped.
 */
const isRoot = process.getuid?.() === 0;
const runuser = isRoot ? findExecutable('runuser') : undefined;

function findExecutable(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Runs the CLI as a user that permission bits apply to: this one, or `nobody` when this one is root. */
function runCliUnprivileged(args: string[], cwd: string): Promise<CliRun> {
  return runCli(args, { cwd, launcher: isRoot ? [runuser as string, '-u', 'nobody', '--'] : [] });
}

interface Spawned {
  child: ChildProcess;
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  /** Standard output so far. */
  stdout(): string;
}

/** Starts the CLI without waiting, so a test can signal it mid-run. */
function spawnCli(args: string[], cwd: string): Spawned {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

/** Resolves once the run has printed `text`, polling every 10 ms. */
async function waitForOutput(spawned: Spawned, text: string): Promise<void> {
  let exited = false;
  void spawned.done.then(() => (exited = true));
  while (!spawned.stdout().includes(text)) {
    if (exited) throw new Error(`the run exited before printing ${JSON.stringify(text)}:\n${spawned.stdout()}`);
    await sleep(10);
  }
}

/** Resolves once `directory` contains a checkpoint file past `globalStep`, polling every 10 ms. */
async function waitForCheckpoint(directory: string, spawned: Spawned, globalStep = 0): Promise<void> {
  let exited = false;
  void spawned.done.then(() => (exited = true));
  for (;;) {
    const newest = (await listCheckpoints(directory))[0];
    if (newest !== undefined && newest.globalStep > globalStep) return;
    if (exited) throw new Error(`the run exited before writing a checkpoint past step ${globalStep}:\n${(await spawned.done).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('train checkpoints', () => {
  let workDir: string;
  let straight: CliRun;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-checkpoints-'));
    straight = await runCli(['train', ...EPOCHS, ...RUN_ARGS, '--out', 'straight'], { cwd: workDir });
    if (straight.status !== 0) throw new Error(`straight run exited with ${straight.status}:\n${straight.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('survives SIGKILL and resumes to the same weights', async () => {
    const directory = join(workDir, 'killed');
    // The first run is killed as soon as a checkpoint appears, each resumed run after a random delay
    // past its first new checkpoint, which lands a kill during steps, writes and evaluation alike.
    const delays = [0, Math.random() * 400, Math.random() * 1200, Math.random() * 2000];
    let reached = 0;
    for (const [index, delay] of delays.entries()) {
      const args = index === 0 ? ['train', ...EPOCHS, ...RUN_ARGS, '--checkpoint-dir', 'killed', '--checkpoint-every', '1'] : ['train', '--resume', 'killed'];
      const spawned = spawnCli(args, workDir);
      await waitForCheckpoint(directory, spawned, reached);
      await sleep(delay);
      spawned.child.kill('SIGKILL');
      const run = await spawned.done;

      const loaded = await loadLatestCheckpoint(directory);
      expect(loaded.unreadable, `kill ${index} after ${Math.round(delay)} ms`).toEqual([]);
      expect(loaded.checkpoint.position.globalStep).toBeGreaterThan(reached);
      reached = loaded.checkpoint.position.globalStep;
      if (run.status === 0) break;
      expect(run.signal).toBe('SIGKILL');
    }

    const resumed = await runCli(['train', '--resume', 'killed', '--out', 'resumed'], { cwd: workDir });
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain('Resuming from ');
    const [straightWeights, resumedWeights] = await Promise.all([readFile(join(workDir, 'straight', 'weights.bin')), readFile(join(workDir, 'resumed', 'weights.bin'))]);
    expect(resumedWeights.equals(straightWeights)).toBe(true);
    expect((await readdir(directory)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('saves a checkpoint on SIGINT and exits 130', async () => {
    // Only epoch ends checkpoint here, so no file I/O gives the SIGINT handler a turn during epoch 2.
    const spawned = spawnCli(['train', ...EPOCHS, ...RUN_ARGS, '--checkpoint-dir', 'interrupted', '--metrics-file', 'interrupted.jsonl'], workDir);
    await waitForOutput(spawned, 'Epoch [2/2], Step [10/938]');
    spawned.child.kill('SIGINT');
    const run = await spawned.done;

    const stopped = /Stopped at epoch (\d+) step (\d+); checkpoint saved to (\S+)\. Resume with: lstm-mnist train --resume interrupted\n/.exec(run.stdout);
    expect(run.status).toBe(EXIT_INTERRUPTED);
    expect(run.stdout).toContain('Interrupted: stopping after the current step to save a checkpoint.');
    expect(stopped).not.toBeNull();
    const loaded = await loadLatestCheckpoint(join(workDir, 'interrupted'));
    expect(join(workDir, stopped?.[3] ?? '')).toBe(loaded.path);
    expect(loaded.checkpoint.position.epoch).toBe(Number(stopped?.[1]));
    expect(loaded.checkpoint.position.step).toBe(Number(stopped?.[2]));
    expect(loaded.checkpoint.position).toMatchObject({ epoch: 2, epochComplete: false });
    const metrics = (await readFile(join(workDir, 'interrupted.jsonl'), 'utf8')).trim().split('\n');
    expect(metrics.length).toBeGreaterThan(0);
  }, 60_000);

  it('sets aside the checkpoint that produced an infinite loss', async () => {
    const run = await runCli(['train', ...EPOCHS, ...RUN_ARGS, '--lr', '1e37', '--checkpoint-dir', 'diverged', '--checkpoint-every', '1'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: Training diverged: the loss is Infinity at epoch 1, step 2.');
    expect(run.stderr).toContain('The learning rate is most likely too high');
    // Step 1's checkpoint contains the weights after the first update, which gave step 2 its infinite loss.
    const setAside = join('diverged', 'checkpoint-000000001.safetensors.diverged');
    expect(run.stderr).toContain(`Renamed ${setAside}, which contains the weights that produced this loss.`);
    expect(run.stderr).toContain('No earlier checkpoint remains in diverged, so start again with a lower --lr.');
    expect(run.stderr).not.toContain('    at ');
    await expect(stat(join(workDir, setAside))).resolves.toBeDefined();
  }, 60_000);

  it('stops past --max-loss and sets aside the checkpoint behind it', async () => {
    const first = await runCli(['train', '--epochs', '1', ...RUN_ARGS, '--checkpoint-dir', 'exploded', '--checkpoint-every', '10'], { cwd: workDir });
    expect(first.status).toBe(0);

    const exploded = await runCli(['train', '--resume', 'exploded', '--epochs', '2', '--lr', '50', '--checkpoint-every', '1'], { cwd: workDir });

    expect(exploded.status).toBe(1);
    expect(exploded.stderr).toMatch(/error: Training diverged: the loss is [0-9.]+ at epoch 2, step \d+, above the limit of 100/);
    // The checkpoint of the step before the diverged one is set aside, and an older one is offered.
    const renamed = /Renamed (\S+\.safetensors\.diverged), which contains the weights that produced this loss\./.exec(exploded.stderr);
    const offered = /The newest checkpoint left is (\S+\.safetensors)\. If the loss was still falling when it was written, resume from it with a lower rate: lstm-mnist train --resume exploded --lr <rate>\./.exec(
      exploded.stderr,
    );
    expect(renamed).not.toBeNull();
    expect(offered).not.toBeNull();
    await expect(stat(join(workDir, renamed?.[1] ?? ''))).resolves.toBeDefined();
    expect((offered?.[1] ?? '') < (renamed?.[1] ?? '')).toBe(true);
    // --resume now skips the set-aside file and starts from the offered checkpoint.
    const resumed = await runCli(['train', '--resume', 'exploded', '--epochs', '2', '--lr', '0.001', '--max-loss', '1000'], { cwd: workDir });
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain(`Resuming from ${offered?.[1] ?? ''}`);
  }, 90_000);

  it('rejects a resume flag that conflicts with the checkpoint', async () => {
    const run = await runCli(['train', '--resume', 'killed', '--hidden-size', '16'], { cwd: workDir });

    expect(run.status).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('error: --hidden-size 16 conflicts with the checkpoint to resume, which was trained with --hidden-size 8.');
  });

  it('reports a resume folder without checkpoints', async () => {
    const run = await runCli(['train', '--resume', 'no-such-run'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: --resume no-such-run: No checkpoint found in no-such-run');
  });
});

describe('train output failures', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-output-'));
  });

  afterAll(async () => {
    await chmod(join(workDir, 'locked'), 0o755).catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  });

  it.skipIf(isRoot && runuser === undefined)('rejects a read-only folder before training', async () => {
    await mkdir(join(workDir, 'locked'));
    await chmod(join(workDir, 'locked'), 0o555);
    // mkdtemp makes a 700 folder, which `nobody` could not enter.
    await chmod(workDir, 0o755);

    for (const flag of ['--out', '--metrics-file', '--checkpoint-dir']) {
      const target = flag === '--metrics-file' ? join('locked', 'metrics.jsonl') : join('locked', 'sub');
      const run = await runCliUnprivileged(['train', flag, target, '--backend', 'cpu', '--no-download', '--data-dir', 'none'], workDir);

      expect(run.status, flag).toBe(1);
      expect(run.stderr, flag).toMatch(/is not writable \(EACCES\)/);
      expect(run.stdout, flag).not.toContain('Data:');
    }
    expect(await readdir(join(workDir, 'locked'))).toEqual([]);
  });

  it('rejects a folder as --metrics-file before training', async () => {
    await mkdir(join(workDir, 'metrics.jsonl', 'inner'), { recursive: true });

    const run = await runCli(['train', '--epochs', '1', ...RUN_ARGS.slice(2), '--max-steps', '2', '--metrics-file', 'metrics.jsonl'], { cwd: workDir });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: --metrics-file metrics.jsonl is a folder, not a file. Pass a file path such as metrics.jsonl.');
    expect(run.stdout).not.toContain('Epoch [1/1]');
  }, 60_000);

  it('leaves no partial metrics file when the write fails', async () => {
    // A folder that appears at the metrics path after the start makes the final rename fail, as root too.
    const metrics = MetricsFile.create(join(workDir, 'late.jsonl'));
    metrics.append({ epoch: 1, step: 1, loss: 2.3 });
    await mkdir(join(workDir, 'late.jsonl', 'inner'), { recursive: true });

    const error = await metrics.publish().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as Error).message).toMatch(/^Cannot write --metrics-file \S+late\.jsonl \((EISDIR|ENOTEMPTY|EEXIST)/);
    expect((error as Error).message).toContain('Pass a file path you can write to; the previous file, if any, is unchanged.');
    expect((await readdir(workDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
