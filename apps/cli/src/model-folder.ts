import { stat } from 'node:fs/promises';

import { MNIST_IMAGE_SIZE } from '@lstm-mnist/data';
import { IncompatibleModelError, LSTMModel } from '@lstm-mnist/model';
import { fileSystemLoadHandler } from '@lstm-mnist/model/node';

import { rejectEmptyPath } from './file-arguments.js';
import { UserFacingError } from './user-facing-error.js';

/**
 * Checks that `--model` names an existing folder, so commands can fail on it before starting a backend.
 *
 * @throws UsageError when `dir` is empty.
 * @throws UserFacingError naming `dir` when it does not exist or is a file.
 */
export async function checkModelFolder(dir: string): Promise<void> {
  rejectEmptyPath(dir, '--model');
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) {
    throw new UserFacingError(`--model ${dir} does not exist. Pass the folder that train --out or import-torch --out wrote.`);
  }
  if (!info.isDirectory()) {
    throw new UserFacingError(`--model ${dir} is a file, not a folder. Pass the folder that contains model.json and weights.bin.`);
  }
}

/**
 * Loads a model folder (`model.json` + `weights.bin`) as an LSTMModel.
 * With `mnistOnly`, the model must read 28 pixels per step.
 *
 * @throws UserFacingError naming `dir` when it is not a folder, or the model does not fit MNIST.
 * @throws ModelFileError or IncompatibleModelError (both naming the file) for missing, truncated or mismatched files.
 */
export async function loadModelFolder(dir: string, options: { mnistOnly: boolean }): Promise<LSTMModel> {
  await checkModelFolder(dir);

  let model: LSTMModel;
  try {
    model = await LSTMModel.load(fileSystemLoadHandler(dir));
  } catch (error) {
    if (error instanceof IncompatibleModelError && !error.message.includes(dir)) {
      throw new UserFacingError(`${dir}: ${error.message}`, { cause: error });
    }
    throw error;
  }

  if (options.mnistOnly && model.config.inputSize !== MNIST_IMAGE_SIZE) {
    const inputSize = model.config.inputSize;
    model.dispose();
    throw new UserFacingError(
      `${dir} contains a model that reads ${inputSize} values per step, expected ${MNIST_IMAGE_SIZE} (one MNIST row). Pass a model trained on MNIST.`,
    );
  }
  return model;
}
