import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliRun } from './run-cli.js';

/** A metrics file as train --metrics-file writes it: two logged steps and one summary per epoch. */
const METRICS = [
  { epoch: 1, step: 5, loss: 2.3012 },
  { epoch: 1, step: 10, loss: 2.1004 },
  { epoch: 1, trainLoss: 2.2, testAccuracy: 0.3125, seconds: 1.5, msPerBatch: 30, backend: 'wasm' },
  { epoch: 2, step: 5, loss: 1.8007 },
  { epoch: 2, step: 10, loss: 1.5003 },
  { epoch: 2, trainLoss: 1.6, testAccuracy: 0.5208, seconds: 1.4, msPerBatch: 28, backend: 'wasm' },
];

let workDir: string;

async function plot(args: string[]): Promise<CliRun> {
  return runCli(['plot', ...args], { cwd: workDir });
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-plot-'));
  await writeFile(join(workDir, 'metrics.jsonl'), METRICS.map((record) => `${JSON.stringify(record)}\n`).join(''));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('plot to SVG', () => {
  let run: CliRun;
  let svg: string;

  beforeAll(async () => {
    run = await plot(['--metrics', 'metrics.jsonl', '--out', 'charts/curves.svg']);
    svg = await readFile(join(workDir, 'charts', 'curves.svg'), 'utf8');
  });

  it('says what it wrote', () => {
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('Wrote charts/curves.svg: 6 loss points and 2 accuracy points from metrics.jsonl\n');
  });

  it('draws a point for every logged step', () => {
    // Step 10 is the largest logged step, so step 5 of epoch 2 sits at epoch 1.5.
    for (const label of ['epoch: 0.5; cross-entropy loss: 2.3012', 'epoch: 1; cross-entropy loss: 2.1004', 'epoch: 1.5; cross-entropy loss: 1.8007', 'epoch: 2; cross-entropy loss: 1.5003']) {
      expect(svg).toContain(`aria-label="${label}; series: batch loss"`);
    }
  });

  it('draws the epoch mean loss and the test accuracy per epoch', () => {
    expect(svg).toContain('aria-label="epoch: 1; cross-entropy loss: 2.2; series: epoch mean loss"');
    expect(svg).toContain('aria-label="epoch: 2; cross-entropy loss: 1.6; series: epoch mean loss"');
    expect(svg).toContain('aria-label="epoch: 1; test accuracy (%): 31.25"');
    expect(svg).toContain('aria-label="epoch: 2; test accuracy (%): 52.08"');
  });
});

describe('plot to PNG', () => {
  it('renders the curves as a PNG image', async () => {
    const run = await plot(['--metrics', 'metrics.jsonl', '--out', 'curves.png']);
    const png = pngjs.PNG.sync.read(await readFile(join(workDir, 'curves.png')));
    let coloured = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, b] = [png.data[i] as number, png.data[i + 2] as number];
      // The default Vega palette draws the first series in blue (#4c78a8) and the second in orange.
      if (b > r + 40 || r > b + 40) coloured++;
    }

    expect(run.status).toBe(0);
    expect(png.width).toBeGreaterThan(1000);
    expect(coloured).toBeGreaterThan(1000);
  });
});

describe('plot rejects', () => {
  it('an output that is neither .svg nor .png', async () => {
    const run = await plot(['--metrics', 'metrics.jsonl', '--out', 'curves.pdf']);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "error: option '--out <file>' argument 'curves.pdf' is invalid. Expected a file name ending in .svg or .png, which picks the image format.\n",
    );
  });

  it('a line that is not JSON, naming the line', async () => {
    await writeFile(join(workDir, 'broken.jsonl'), '{"epoch":1,"step":5,"loss":2.3}\n{"epoch":1,\n');
    const run = await plot(['--metrics', 'broken.jsonl', '--out', 'broken.svg']);

    expect(run.stderr).toMatch(/^error: broken\.jsonl line 2 is not valid JSON \(.+\)\. Pass a metrics file written by train --metrics-file\.\n$/);
  });

  it('a file without metrics', async () => {
    await writeFile(join(workDir, 'other.jsonl'), '{"name":"x"}\n');
    const run = await plot(['--metrics', 'other.jsonl', '--out', 'other.svg']);

    expect(run.stderr).toContain('other.jsonl has no step records {epoch, step, loss} and no epoch records');
  });
});
