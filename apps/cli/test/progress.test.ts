import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTrainProgress, type OutputStream } from '../src/progress.js';
import { CLI_BIN } from './run-cli.js';

/** Collects what a progress reporter writes; `isTTY` makes it pose as a terminal. */
class RecordingStream implements OutputStream {
  text = '';
  columns = 120;

  constructor(readonly isTTY: boolean) {}

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }

  cursorTo(): boolean {
    return true;
  }

  moveCursor(): boolean {
    return true;
  }

  clearLine(): boolean {
    return true;
  }

  clearScreenDown(): boolean {
    return true;
  }
}

function runSteps(stream: RecordingStream): void {
  const progress = createTrainProgress(stream);
  for (let step = 1; step <= 4; step++) {
    progress.update({ epoch: 1, epochs: 2, step, totalSteps: 4, batchSize: 64 });
    if (step % 2 === 0) progress.print(`Epoch [1/2], Step [${step}/938], Loss: 0.5000`);
  }
  progress.endEpoch();
  progress.print('Epoch [1/2] finished');
}

describe('training progress', () => {
  it('prints only the plain lines in a pipe', () => {
    const stream = new RecordingStream(false);
    runSteps(stream);

    expect(stream.text).toBe('Epoch [1/2], Step [2/938], Loss: 0.5000\nEpoch [1/2], Step [4/938], Loss: 0.5000\nEpoch [1/2] finished\n');
  });

  it('draws a bar with images per second and time left on a terminal', () => {
    const stream = new RecordingStream(true);
    runSteps(stream);

    expect(stream.text).toMatch(/Epoch 1\/2 \[.+\] 4\/4 batches \| \d+ images\/s \| \S+ left/);
  });

  it('keeps the step lines above the bar on a terminal', () => {
    const stream = new RecordingStream(true);
    runSteps(stream);

    expect(stream.text).toContain('Epoch [1/2], Step [2/938], Loss: 0.5000\n');
    expect(stream.text).toContain('Epoch [1/2], Step [4/938], Loss: 0.5000\n');
    expect(stream.text.indexOf('Epoch [1/2] finished')).toBeGreaterThan(stream.text.lastIndexOf('4/4 batches'));
  });
});

/** util-linux `script` runs a command in a pseudo-terminal; without it the terminal run is skipped. */
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasScript)('train in a terminal', () => {
  let workDir: string;
  let output: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-progress-'));
    const command = [
      process.execPath, CLI_BIN, 'train', '--epochs', '2', '--max-steps', '20', '--log-every', '10', '--hidden-size', '8',
      '--seed', '2', '--backend', 'wasm', '--data-dir', 'data', '--metrics-file', 'metrics/run.jsonl',
    ].join(' ');
    output = execFileSync('script', ['-qec', command, '/dev/null'], { cwd: workDir, encoding: 'utf8', timeout: 240_000 });
  }, 300_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('draws a progress bar per epoch', () => {
    expect(output).toMatch(/Epoch 1\/2 \[.+\] 20\/20 batches \| \d+ images\/s/);
    expect(output).toMatch(/Epoch 2\/2 \[.+\] 20\/20 batches \| \d+ images\/s/);
  });

  it('keeps the step lines', () => {
    expect(output).toContain('Epoch [1/2], Step [10/938], Loss: ');
    expect(output).toContain('Epoch [2/2], Step [20/938], Loss: ');
  });

  it('writes the curves next to the metrics', async () => {
    const svg = await readFile(join(workDir, 'metrics', 'run.curves.svg'), 'utf8');
    const records = (await readFile(join(workDir, 'metrics', 'run.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
    const accuracy = records.find((record) => record['testAccuracy'] !== undefined)?.['testAccuracy'] as number;

    expect(output).toContain('Wrote metrics/run.curves.svg: 6 loss points and 2 accuracy points from metrics/run.jsonl');
    expect(svg).toContain(`aria-label="epoch: 1; test accuracy (%): ${Number((accuracy * 100).toFixed(2))}`);
  });
});
