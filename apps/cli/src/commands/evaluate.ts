import { initNodeBackend, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';
import { MNIST_NUM_CLASSES } from '@lstm-mnist/data';
import { prepareMnist } from '@lstm-mnist/data/node';

import { describeBackendChoice, describeDataEvent } from '../describe.js';
import { buildEvaluationReport, formatEvaluationReport } from '../evaluation-report.js';
import { checkFolderPath } from '../file-arguments.js';
import { checkModelFolder, loadModelFolder } from '../model-folder.js';
import { predictImages } from '../predictions.js';
import { UserFacingError } from '../user-facing-error.js';

/** Settings of `lstm-mnist evaluate`. */
export interface EvaluateCommandOptions {
  /** Model folder (`model.json` + `weights.bin`). */
  model: string;
  /** Folder holding `MNIST/raw/`. */
  dataDir: string;
  /** False forbids fetching MNIST when it is missing from `dataDir`. */
  download: boolean;
  backend: NodeBackendName;
  /** Test images per forward pass. */
  batchSize: number;
  /** Evaluate only the first this many test images; undefined evaluates all 10,000. */
  limit: number | undefined;
  /** Print the report as one JSON object instead of text. */
  json: boolean;
}

/**
 * Runs `lstm-mnist evaluate`: classifies the MNIST test images and prints accuracy, per-class
 * accuracy, the confusion matrix and the misclassified indices. With `--json`, progress lines go to
 * stderr so stdout contains only the JSON report.
 */
export async function runEvaluateCommand(options: EvaluateCommandOptions): Promise<void> {
  const status = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  await checkModelFolder(options.model);
  await checkFolderPath(options.dataDir, '--data-dir');

  const backend = await initNodeBackend(options.backend);
  status(describeBackendChoice(backend));
  const model = await loadModelFolder(options.model, { mnistOnly: true });
  try {
    if (model.config.numClasses !== MNIST_NUM_CLASSES) {
      throw new UserFacingError(`${options.model} contains a model with ${model.config.numClasses} classes, expected ${MNIST_NUM_CLASSES} for MNIST digits.`);
    }
    const mnist = await prepareMnist({
      dataDir: options.dataDir,
      download: options.download,
      ...(options.download ? {} : { packageDir: null }),
      downloadHint: 'drop --no-download',
      onEvent: (event) => {
        const line = describeDataEvent(event);
        if (line !== undefined) status(line);
      },
    });
    const test = options.limit === undefined ? mnist.test : mnist.test.take(Math.min(options.limit, mnist.test.length));
    status(`Data: ${test.length} test images from ${mnist.source}`);

    const predictions = new Int32Array(test.length);
    const pixelsPerImage = test.rows * test.cols;
    for (let start = 0; start < test.length; start += options.batchSize) {
      const count = Math.min(options.batchSize, test.length - start);
      const pixels = test.images.subarray(start * pixelsPerImage, (start + count) * pixelsPerImage);
      const { classes } = await predictImages(model, pixels, count, test.rows, test.cols);
      predictions.set(classes, start);
    }

    const report = buildEvaluationReport(test.labels, predictions);
    console.log(options.json ? JSON.stringify({ model: options.model, ...report }) : formatEvaluationReport(report));
  } finally {
    model.dispose();
  }
}
