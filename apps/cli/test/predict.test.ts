import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Compose, DataLoader, MNIST_MEAN, MNIST_STD, Normalize, ToTensor } from '@lstm-mnist/data';
import { prepareMnist } from '@lstm-mnist/data/node';
import { LSTMModel } from '@lstm-mnist/model';
import { fileSystemSaveHandler } from '@lstm-mnist/model/node';
import { train } from '@lstm-mnist/train';

import { runCli, type CliRun } from './run-cli.js';

const SIZE = 28;
const IDX_IMAGES = 'data/MNIST/raw/t10k-images-idx3-ubyte';
/**
 * A short seeded training run, in this process to skip the CLI's evaluation on 10,000 images. The same
 * settings in `lstm-mnist train --backend wasm` reach 78.8% and classify test images 0 to 4 (7, 2, 1, 0, 4) correctly.
 */
const TRAIN_STEPS = 80;
const TRAIN_LR = 0.005;
const TRAIN_SEED = 1;

interface Prediction {
  source: string;
  predicted: number;
  probability: number;
  probabilities: number[];
}

let workDir: string;
let testImages: Uint8Array;

async function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--backend', 'wasm'], { cwd: workDir });
}

async function predictJson(args: string[]): Promise<Prediction[]> {
  const run = await cli(['predict', '--model', 'model', '--json', ...args]);
  if (run.status !== 0) throw new Error(`predict exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Prediction[];
}

/**
 * Draws test image `index` `factor` times larger on a canvas with `margin` extra pixels right and
 * below, as RGBA: dark ink on white when `invert` is set, else light ink on black.
 */
function drawDigit(index: number, options: { factor: number; invert: boolean; margin?: number }): { width: number; height: number; data: Uint8Array } {
  const margin = options.margin ?? 0;
  const width = SIZE * options.factor + margin;
  const height = SIZE * options.factor + margin;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x < SIZE * options.factor && y < SIZE * options.factor;
      const ink = inside ? (testImages[index * SIZE * SIZE + Math.floor(y / options.factor) * SIZE + Math.floor(x / options.factor)] as number) : 0;
      const grey = options.invert ? 255 - ink : ink;
      data.set([grey, grey, grey, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

async function writePng(name: string, image: { width: number; height: number; data: Uint8Array }, colorType: 0 | 6 = 6): Promise<string> {
  const png = new pngjs.PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data);
  await writeFile(join(workDir, name), pngjs.PNG.sync.write(png, { colorType }));
  return name;
}

async function trainSmallModel(dir: string): Promise<void> {
  const mnist = await prepareMnist({ dataDir: join(workDir, 'data') });
  testImages = mnist.test.images;
  const transform = new Compose([new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD)]);
  const model = LSTMModel.create({ hiddenSize: 32 }, { seed: TRAIN_SEED });
  await train({
    model,
    trainLoader: new DataLoader(mnist.train, { batchSize: 64, shuffle: true, seed: TRAIN_SEED, transform }),
    testLoader: new DataLoader(mnist.test.take(100), { batchSize: 100, transform }),
    lr: TRAIN_LR,
    epochs: 1,
    maxStepsPerEpoch: TRAIN_STEPS,
  });
  await model.save(fileSystemSaveHandler(dir));
  model.dispose();
}

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('wasm');
  workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-predict-'));
  await trainSmallModel(join(workDir, 'model'));
}, 240_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('predict on drawn MNIST digits', () => {
  it('gives an inverted 3x PNG the probabilities of the IDX image', async () => {
    const file = await writePng('seven.png', drawDigit(0, { factor: 3, invert: true }));
    const [fromPng, fromIdx] = await predictJson([file, '--idx', IDX_IMAGES, '--index', '0']);

    expect(fromPng?.source).toBe('seven.png');
    expect(fromIdx?.source).toBe(`${IDX_IMAGES}[0]`);
    fromPng?.probabilities.forEach((probability, label) => expect(probability, `class ${label}`).toBeCloseTo(fromIdx?.probabilities[label] as number, 5));
  });

  it('classifies PNG and JPEG drawings', async () => {
    const files = [
      await writePng('grey-light-on-dark.png', drawDigit(1, { factor: 2, invert: false }), 0),
      await writePng('off-centre.png', drawDigit(2, { factor: 3, invert: true, margin: 40 })),
      await writePng('small.png', drawDigit(3, { factor: 1, invert: true })),
    ];
    const photo = drawDigit(4, { factor: 4, invert: true });
    await writeFile(join(workDir, 'photo.jpg'), jpeg.encode({ ...photo, data: Buffer.from(photo.data) }, 90).data);
    files.push('photo.jpg');

    const drawn = await predictJson(files);

    // The seeded model classifies test images 1 to 4 correctly, so their drawings must get the same labels.
    expect(drawn.map((prediction) => prediction.predicted)).toEqual([2, 1, 0, 4]);
  });

  it('prints the class and its probability per file', async () => {
    const run = await cli(['predict', '--model', 'model', 'seven.png']);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^seven\.png: \d \(\d+\.\d{2}%\)\n$/);
  });
});

describe('predict rejects', () => {
  it('a file that is not an image, naming it', async () => {
    await writeFile(join(workDir, 'notes.txt'), 'seven');
    const run = await cli(['predict', '--model', 'model', 'notes.txt']);

    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: notes.txt is not a PNG or JPEG image (it starts with bytes 73 65 76 65). Pass PNG or JPEG files.\n');
  });

  it('a blank image, naming it', async () => {
    const blank = { width: 30, height: 30, data: new Uint8Array(30 * 30 * 4).fill(255) };
    const run = await cli(['predict', '--model', 'model', await writePng('blank.png', blank)]);

    expect(run.stderr).toBe('error: blank.png: The 30x30 image is blank: no pixel differs from the background, so it contains no digit.\n');
  });

  it('an index past the end of the IDX file', async () => {
    const run = await cli(['predict', '--model', 'model', '--idx', IDX_IMAGES, '--index', '10000']);

    expect(run.stderr).toBe(`error: --index 10000 is out of range: ${IDX_IMAGES} contains 10000 images, so pass 0 to 9999.\n`);
  });

  it('--idx without --index', async () => {
    const run = await cli(['predict', '--model', 'model', '--idx', IDX_IMAGES]);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--idx and --index go together');
  });

  it('a call without images', async () => {
    const run = await cli(['predict', '--model', 'model']);

    expect(run.status).toBe(2);
    expect(run.stderr).toBe('error: No images given. Pass PNG or JPEG files, or --idx FILE --index N.\n(run with --help for usage)\n');
  });
});
