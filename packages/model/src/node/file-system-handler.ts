import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { writeFileAtomic } from './atomic-write.js';

/** File name of the topology and weights manifest, as `tf.loadLayersModel` expects it. */
export const MODEL_JSON_FILE = 'model.json';
/** File name of the concatenated weights that `fileSystemSaveHandler` writes. */
export const WEIGHTS_FILE = 'weights.bin';

/** Thrown when a saved model cannot be written or read. `path` is the file at fault. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';

  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/**
 * Creates a `tf.io.IOHandler` that saves a model as `<dir>/model.json` and `<dir>/weights.bin`,
 * the layout `tf.loadLayersModel` reads over HTTP. The folder is created when missing.
 * Each file is written atomically (temporary file, fsync, rename), weights first,
 * so an existing `model.json` never points at half-written weights.
 */
export function fileSystemSaveHandler(dir: string): tf.io.IOHandler {
  const handler: tf.io.IOHandler & { toString(): string } = {
    save: (artifacts) => saveArtifacts(dir, artifacts),
    toString: () => join(dir, MODEL_JSON_FILE),
  };
  return handler;
}

/**
 * Creates a `tf.io.IOHandler` that loads a model saved by {@link fileSystemSaveHandler},
 * or any `model.json` whose weight files sit in the same folder.
 *
 * @param path the folder that contains `model.json`, or the path of a `.json` file.
 * @throws ModelFileError (from `load`) naming the file and the fault: missing, a folder, not JSON,
 *   no topology or manifest, a weights path outside the folder, or weights whose byte count
 *   does not fit the shapes in the manifest.
 */
export function fileSystemLoadHandler(path: string): tf.io.IOHandler {
  const modelJsonPath = path.endsWith('.json') ? path : join(path, MODEL_JSON_FILE);
  // toString names the file in errors of LSTMModel.load.
  const handler: tf.io.IOHandler & { toString(): string } = {
    load: () => loadArtifacts(modelJsonPath),
    toString: () => modelJsonPath,
  };
  return handler;
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const modelJsonPath = join(dir, MODEL_JSON_FILE);
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
    throw new ModelFileError(
      `Cannot save ${modelJsonPath}: fileSystemSaveHandler writes JSON topologies (tfjs layers models), got ${artifacts.modelTopology === undefined ? 'no topology' : 'a binary topology'}.`,
      modelJsonPath,
    );
  }

  const weightSpecs = artifacts.weightSpecs ?? [];
  const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson = {
    ...optionalModelFields(artifacts),
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs }],
  };

  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
  await writeFileAtomic(modelJsonPath, JSON.stringify(modelJson));

  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

function optionalModelFields(artifacts: tf.io.ModelArtifacts): Partial<tf.io.ModelJSON> {
  const fields: Partial<tf.io.ModelJSON> = {};
  const keys = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const;
  for (const key of keys) {
    if (artifacts[key] !== undefined) {
      Object.assign(fields, { [key]: artifacts[key] });
    }
  }
  return fields;
}

async function loadArtifacts(modelJsonPath: string): Promise<tf.io.ModelArtifacts> {
  const modelJson = parseModelJson(modelJsonPath, await readModelFile(modelJsonPath, 'the model topology'));

  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const weightData = await readWeights(modelJsonPath, manifest);
    checkWeightBytes(modelJsonPath, manifest, specs, weightData.byteLength);
    return [specs, weightData];
  });
}

async function readModelFile(path: string, contents: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ModelFileError(
        `Cannot load model: ${path} (${contents}) not found. Pass the folder a model was saved to, or save one there first.`,
        path,
      );
    }
    if (code === 'EISDIR') {
      throw new ModelFileError(`Cannot load model: ${path} (${contents}) is a folder, not a file. Save the model again.`, path);
    }
    if (code === 'ENOTDIR') {
      throw new ModelFileError(
        `Cannot load model: ${path} (${contents}) cannot exist because a folder in its path is a file. ` +
          `Pass the folder that contains ${MODEL_JSON_FILE}, or the path of a .json file.`,
        path,
      );
    }
    throw new ModelFileError(`Cannot load model: reading ${path} (${contents}) failed: ${(error as Error).message}`, path);
  }
}

function parseModelJson(path: string, bytes: Uint8Array): tf.io.ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelFileError(
      `Cannot load model: ${path} is not valid JSON (${(error as Error).message}). The file may be truncated, so save the model again.`,
      path,
    );
  }

  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (typeof record['modelTopology'] !== 'object' || record['modelTopology'] === null) {
    throw new ModelFileError(`Cannot load model: ${path} has no modelTopology object, so it is not a tfjs layers model.json.`, path);
  }
  const manifest = record['weightsManifest'];
  const manifestValid =
    Array.isArray(manifest) &&
    manifest.every(
      (group: Record<string, unknown>) =>
        Array.isArray(group?.['paths']) && group['paths'].every((p) => typeof p === 'string') && Array.isArray(group?.['weights']),
    );
  if (!manifestValid) {
    throw new ModelFileError(
      `Cannot load model: ${path} has no valid weightsManifest (expected a list of { paths: string[], weights: [] } groups).`,
      path,
    );
  }
  return parsed as tf.io.ModelJSON;
}

async function readWeights(modelJsonPath: string, manifest: tf.io.WeightsManifestConfig): Promise<ArrayBuffer> {
  const folder = dirname(modelJsonPath);
  const buffers: ArrayBuffer[] = [];

  for (const weightsPath of manifest.flatMap((group) => group.paths)) {
    const filePath = resolve(folder, weightsPath);
    const fromFolder = relative(resolve(folder), filePath);
    if (fromFolder.startsWith('..') || isAbsolute(fromFolder)) {
      throw new ModelFileError(
        `Cannot load model: ${modelJsonPath} lists weights file '${weightsPath}' outside its folder. Weight files must sit next to ${basename(modelJsonPath)}.`,
        modelJsonPath,
      );
    }
    const bytes = await readModelFile(filePath, `weights listed in ${basename(modelJsonPath)}`);
    buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }

  return tf.io.CompositeArrayBuffer.join(buffers);
}

function checkWeightBytes(
  modelJsonPath: string,
  manifest: tf.io.WeightsManifestConfig,
  specs: tf.io.WeightsManifestEntry[],
  actualBytes: number,
): void {
  const expectedBytes = specs.reduce((total, spec) => total + weightSpecBytes(modelJsonPath, spec), 0);
  const paths = manifest.flatMap((group) => group.paths);
  const weightFiles = paths.join(', ') || '(no weight files)';
  const hold = paths.length === 1 ? 'holds' : 'hold';

  if (actualBytes < expectedBytes) {
    throw new ModelFileError(
      `Cannot load model: ${weightFiles} in ${dirname(modelJsonPath)} ${hold} ${actualBytes} bytes, but the weight shapes in ` +
        `${basename(modelJsonPath)} need ${expectedBytes}. The weights are truncated or belong to another model, so save the model again.`,
      join(dirname(modelJsonPath), manifest[0]?.paths[0] ?? WEIGHTS_FILE),
    );
  }
  if (actualBytes > expectedBytes) {
    throw new ModelFileError(
      `Cannot load model: ${weightFiles} in ${dirname(modelJsonPath)} ${hold} ${actualBytes} bytes, more than the ${expectedBytes} ` +
        `that the weight shapes in ${basename(modelJsonPath)} need. The weights belong to another model, so save the model again.`,
      join(dirname(modelJsonPath), manifest[0]?.paths[0] ?? WEIGHTS_FILE),
    );
  }
}

function weightSpecBytes(modelJsonPath: string, spec: tf.io.WeightsManifestEntry): number {
  const shapeValid = Array.isArray(spec.shape) && spec.shape.every((size) => Number.isSafeInteger(size) && size >= 0);
  const elementBytes = spec.quantization === undefined ? DTYPE_BYTES[spec.dtype] : QUANTIZED_BYTES[spec.quantization.dtype];

  if (!shapeValid) {
    throw new ModelFileError(
      `Cannot load model: weight '${spec.name}' in ${modelJsonPath} has invalid shape ${JSON.stringify(spec.shape)}.`,
      modelJsonPath,
    );
  }
  if (elementBytes === undefined) {
    throw new ModelFileError(
      `Cannot load model: weight '${spec.name}' in ${modelJsonPath} has unsupported dtype ${JSON.stringify(spec.quantization?.dtype ?? spec.dtype)}.`,
      modelJsonPath,
    );
  }
  return spec.shape.reduce((product, size) => product * size, 1) * elementBytes;
}
