import { readFile } from 'node:fs/promises';

import * as tf from '@tensorflow/tfjs-core';

import { initNodeBackend, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';
import { LSTMModel } from '@lstm-mnist/model';
import { fileSystemSaveHandler } from '@lstm-mnist/model/node';

import { checkInputFile, rejectEmptyPath } from '../file-arguments.js';
import { prepareOutputFolder } from '../output-folder.js';
import { inferTorchConfig, readSafetensorsFile, toTensorMap } from '../torch-state-dict.js';

/** Settings of `lstm-mnist import-torch`. */
export interface ImportTorchOptions {
  /** safetensors file holding PyTorch's `state_dict`. */
  file: string;
  /** Folder for the tfjs layers model. */
  out: string;
  /** Backend to force, or `auto`. */
  backend: NodeBackendName;
}

/**
 * Runs `lstm-mnist import-torch`: reads a PyTorch `state_dict` saved with safetensors, infers
 * hidden size, layers and classes from the shapes, and saves a tfjs layers model folder.
 */
export async function runImportTorchCommand(options: ImportTorchOptions): Promise<void> {
  rejectEmptyPath(options.out, '--out');
  await checkInputFile(options.file, 'safetensors file', 'Pass the file that safetensors.torch.save_file(model.state_dict(), file) wrote.');
  const tensors = readSafetensorsFile(new Uint8Array(await readFile(options.file)), options.file);
  const config = inferTorchConfig(tensors, options.file);
  await prepareOutputFolder(options.out, '--out');
  await initNodeBackend(options.backend);

  const model = LSTMModel.create(config, { seed: 0 });
  const stateDict = toTensorMap(tensors);
  try {
    model.loadStateDict(stateDict);
    await model.save(fileSystemSaveHandler(options.out));
  } finally {
    tf.dispose([...stateDict.values()]);
    model.dispose();
  }

  console.log(
    `Imported ${options.file}: ${config.numLayers} LSTM layer${config.numLayers === 1 ? '' : 's'} of ${config.hiddenSize} units, ` +
      `${config.numClasses} classes, ${config.inputSize} inputs per step`,
  );
  console.log(`Saved the model to ${options.out} (model.json + weights.bin, tfjs layers format; each layer's two LSTM biases stored as their sum)`);
}
