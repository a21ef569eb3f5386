import * as tf from '@tensorflow/tfjs-core';

import { initNodeBackend, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';
import { encodeSafetensors } from '@lstm-mnist/model';
import { writeFileAtomic } from '@lstm-mnist/model/node';

import { prepareOutputFile } from '../file-arguments.js';
import { checkModelFolder, loadModelFolder } from '../model-folder.js';
import { TORCH_SAFETENSORS_METADATA, toSafetensorsMap } from '../torch-state-dict.js';

/** Settings of `lstm-mnist export-torch`. */
export interface ExportTorchOptions {
  /** Model folder (`model.json` + `weights.bin`). */
  model: string;
  /** safetensors file to write. */
  out: string;
  /** Backend to force, or `auto`. */
  backend: NodeBackendName;
}

/**
 * Runs `lstm-mnist export-torch`: writes the model as PyTorch's `state_dict` in safetensors (F32,
 * PyTorch's names and layouts), loadable with `model.load_state_dict(safetensors.torch.load_file(path))`.
 * A tfjs layers model keeps one bias per LSTM layer, so `bias_ih` is that sum and `bias_hh` is zero.
 */
export async function runExportTorchCommand(options: ExportTorchOptions): Promise<void> {
  await checkModelFolder(options.model);
  await prepareOutputFile(options.out, '--out');
  await initNodeBackend(options.backend);
  const model = await loadModelFolder(options.model, { mnistOnly: false });

  const stateDict = model.stateDict();
  try {
    const bytes = encodeSafetensors(toSafetensorsMap(stateDict), { ...TORCH_SAFETENSORS_METADATA });
    await writeFileAtomic(options.out, bytes);
  } finally {
    tf.dispose([...stateDict.values()]);
    model.dispose();
  }

  const { numLayers, hiddenSize, numClasses } = model.config;
  console.log(
    `Exported ${options.model} (${numLayers} LSTM layer${numLayers === 1 ? '' : 's'} of ${hiddenSize} units, ${numClasses} classes) ` +
      `to ${options.out} as a PyTorch state_dict (bias_ih contains each layer's summed bias, bias_hh is zero)`,
  );
}
