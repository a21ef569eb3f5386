import { readFile } from 'node:fs/promises';

import { initNodeBackend, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';
import { DigitImageError, MNIST_IMAGE_SIZE, gunzip, isGzip, parseIdx, preprocessDigit } from '@lstm-mnist/data';

import { decodeImageFile } from '../decode-image.js';
import { checkInputFile } from '../file-arguments.js';
import { checkModelFolder, loadModelFolder } from '../model-folder.js';
import { predictImages } from '../predictions.js';
import { UsageError, UserFacingError } from '../user-facing-error.js';

/** Settings of `lstm-mnist predict`. */
export interface PredictCommandOptions {
  /** Model folder (`model.json` + `weights.bin`). */
  model: string;
  /** PNG or JPEG files, one digit each. */
  images: string[];
  /** IDX images file (raw or gzipped), such as `t10k-images-idx3-ubyte`. */
  idx: string | undefined;
  /** 0-based image index in `idx`. */
  index: number | undefined;
  json: boolean;
  backend: NodeBackendName;
}

/** One classified image. */
interface Prediction {
  source: string;
  predicted: number;
  /** Softmax probability of `predicted`, in [0, 1]. */
  probability: number;
  /** Softmax probability of each class. */
  probabilities: number[];
}

const PIXELS = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;

/**
 * Runs `lstm-mnist predict`: preprocesses each image as MNIST was made, classifies it and prints the
 * class and its probability per file, or one JSON array with `--json`.
 */
export async function runPredictCommand(options: PredictCommandOptions): Promise<void> {
  checkInputChoice(options);
  await checkModelFolder(options.model);
  const inputs = await readInputs(options);
  await initNodeBackend(options.backend);
  const model = await loadModelFolder(options.model, { mnistOnly: true });

  const pixels = new Uint8Array(inputs.length * PIXELS);
  inputs.forEach((input, i) => pixels.set(input.pixels, i * PIXELS));
  let predictions: Prediction[];
  try {
    const { classes, probabilities } = await predictImages(model, pixels, inputs.length, MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE);
    const numClasses = model.config.numClasses;
    predictions = inputs.map((input, i) => {
      const row = [...probabilities.subarray(i * numClasses, (i + 1) * numClasses)];
      const predicted = classes[i] as number;
      return { source: input.source, predicted, probability: row[predicted] as number, probabilities: row };
    });
  } finally {
    model.dispose();
  }

  if (options.json) {
    console.log(JSON.stringify(predictions));
    return;
  }
  for (const prediction of predictions) {
    console.log(`${prediction.source}: ${prediction.predicted} (${(prediction.probability * 100).toFixed(2)}%)`);
  }
}

function checkInputChoice(options: PredictCommandOptions): void {
  if (options.images.length === 0 && options.idx === undefined) {
    throw new UsageError('No images given. Pass PNG or JPEG files, or --idx FILE --index N.');
  }
  if ((options.idx === undefined) !== (options.index === undefined)) {
    throw new UsageError('--idx and --index go together: pass both, such as --idx data/MNIST/raw/t10k-images-idx3-ubyte --index 0.');
  }
}

async function readInputs(options: PredictCommandOptions): Promise<{ source: string; pixels: Uint8Array }[]> {
  for (const path of options.images) {
    await checkInputFile(path, 'image', 'Pass PNG or JPEG files.');
  }
  if (options.idx !== undefined) {
    await checkInputFile(options.idx, '--idx', 'Pass an IDX images file such as data/MNIST/raw/t10k-images-idx3-ubyte.');
  }

  const inputs: { source: string; pixels: Uint8Array }[] = [];
  for (const path of options.images) {
    const image = await decodeImageFile(path);
    try {
      inputs.push({ source: path, pixels: preprocessDigit(image) });
    } catch (error) {
      if (error instanceof DigitImageError) throw new UserFacingError(`${path}: ${error.message}`, { cause: error });
      throw error;
    }
  }
  if (options.idx !== undefined && options.index !== undefined) {
    inputs.push({ source: `${options.idx}[${options.index}]`, pixels: await readIdxImage(options.idx, options.index) });
  }
  return inputs;
}

/** Reads one 28x28 image of an IDX images file; MNIST's images need no preprocessing. */
async function readIdxImage(path: string, index: number): Promise<Uint8Array> {
  let bytes: Uint8Array = new Uint8Array(await readFile(path));
  if (isGzip(bytes)) {
    bytes = await gunzip(bytes).catch((error: unknown) => {
      throw new UserFacingError(`--idx ${path} starts like gzip but cannot be decompressed (${(error as Error).message}). The file is corrupt or incomplete.`, {
        cause: error,
      });
    });
  }
  const images = parseIdx(bytes, path);

  const [count, rows, cols] = images.shape;
  if (images.dtype !== 'uint8' || images.shape.length !== 3 || rows !== MNIST_IMAGE_SIZE || cols !== MNIST_IMAGE_SIZE) {
    throw new UserFacingError(
      `${path} contains ${images.dtype} data of shape [${images.shape.join(', ')}], expected uint8 images [count, 28, 28] such as t10k-images-idx3-ubyte.`,
    );
  }
  if (index >= (count as number)) {
    throw new UserFacingError(`--index ${index} is out of range: ${path} contains ${count} images, so pass 0 to ${(count as number) - 1}.`);
  }
  return (images.data as Uint8Array).slice(index * PIXELS, (index + 1) * PIXELS);
}
