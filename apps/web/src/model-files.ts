import * as tf from '@tensorflow/tfjs-core';
import { LSTMModel } from '@lstm-mnist/model';

/** Bytes per element of the weight dtypes a tfjs layers model may store. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** Name of the saved model in IndexedDB, as a tfjs `indexeddb://` URL. */
export const INDEXED_DB_MODEL_URL = 'indexeddb://lstm-mnist';

/** A picked file's name and contents. */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
}

/** A model file that cannot be loaded; the message names the file and what is wrong. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';

  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * Checks a `model.json` and its weights file and turns them into model artifacts: the JSON must parse,
 * have `modelTopology` and `weightsManifest`, and the weights file must have exactly the bytes the
 * manifest describes.
 *
 * @throws ModelFileError naming the file and the problem.
 */
export function artifactsFromFiles(files: readonly PickedFile[]): tf.io.ModelArtifacts {
  const json = files.find((file) => file.name.endsWith('.json'));
  if (json === undefined) {
    throw new ModelFileError(files.map((file) => file.name).join(', ') || '(no file)', 'no .json file among the picked files; pick model.json and its weights file');
  }
  const manifestFile = parseModelJson(json);
  const groups = manifestFile.weightsManifest as WeightsManifestGroup[];
  const specs = groups.flatMap((group) => group.weights);
  const expectedBytes = specs.reduce((sum, spec) => sum + weightBytes(json.name, spec), 0);

  const weightFiles = files.filter((file) => file !== json);
  if (weightFiles.length === 0) {
    const paths = groups.flatMap((group) => group.paths).join(', ');
    throw new ModelFileError(json.name, `its weights file is missing (${paths}); pick it together with ${json.name}`);
  }
  const weightData = concatenate(weightFiles.map((file) => file.bytes));
  if (weightData.byteLength !== expectedBytes) {
    const names = weightFiles.map((file) => file.name).join(' + ');
    const hint = weightData.byteLength < expectedBytes ? 'the file is truncated or belongs to another model' : 'the file belongs to another model';
    throw new ModelFileError(names, `has ${weightData.byteLength} bytes, but ${json.name} describes ${expectedBytes} bytes of weights, so ${hint}`);
  }

  return {
    modelTopology: manifestFile.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer as ArrayBuffer,
    format: manifestFile.format,
    generatedBy: manifestFile.generatedBy,
    convertedBy: manifestFile.convertedBy,
  };
}

function parseModelJson(json: PickedFile): tf.io.ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json.bytes));
  } catch (error) {
    throw new ModelFileError(json.name, `is not valid JSON (${error instanceof Error ? error.message : String(error)}); the file may be truncated`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ModelFileError(json.name, 'is not a JSON object');

  const record = parsed as Record<string, unknown>;
  if (record.modelTopology === undefined) {
    throw new ModelFileError(json.name, 'has no modelTopology, so it is not a tfjs layers model (train --out writes one)');
  }
  if (!Array.isArray(record.weightsManifest)) throw new ModelFileError(json.name, 'has no weightsManifest array');
  return parsed as tf.io.ModelJSON;
}

function weightBytes(file: string, spec: tf.io.WeightsManifestEntry): number {
  const bytes = DTYPE_BYTES[spec.dtype];
  if (bytes === undefined || spec.quantization !== undefined) {
    throw new ModelFileError(file, `weight ${spec.name} has dtype ${spec.dtype}${spec.quantization ? ' (quantized)' : ''}, which this app does not read`);
  }
  return spec.shape.reduce((product, size) => product * size, 1) * bytes;
}

function concatenate(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Loads an LSTM model from picked files.
 *
 * @throws ModelFileError naming the file for unreadable files and for models of another structure.
 */
export async function loadModelFromFiles(files: readonly File[]): Promise<LSTMModel> {
  const picked = await Promise.all(files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
  const artifacts = artifactsFromFiles(picked);
  const jsonName = picked.find((file) => file.name.endsWith('.json'))?.name ?? 'model.json';
  try {
    return await LSTMModel.load(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelFileError(jsonName, error instanceof Error ? error.message : String(error));
  }
}

/** Loads `model.json` and its weights from a URL of this app, such as `models/run1/model.json`. */
export async function loadModelFromUrl(url: string): Promise<LSTMModel> {
  try {
    return await LSTMModel.load(url);
  } catch (error) {
    throw new ModelFileError(url, error instanceof Error ? error.message : String(error));
  }
}

/** Downloads the model as `model.json` and `model.weights.bin`. */
export async function downloadModel(model: LSTMModel): Promise<void> {
  await model.save('downloads://model');
}

/** Saves the model in this browser's IndexedDB under {@link INDEXED_DB_MODEL_URL}. */
export async function saveModelToIndexedDb(model: LSTMModel): Promise<void> {
  await model.save(INDEXED_DB_MODEL_URL);
}

/** Loads the model saved by {@link saveModelToIndexedDb}. */
export async function loadModelFromIndexedDb(): Promise<LSTMModel> {
  return loadModelFromUrl(INDEXED_DB_MODEL_URL);
}
