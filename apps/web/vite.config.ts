import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

import { CROSS_ORIGIN_ISOLATION_HEADERS, staticAssetsPlugin } from './tools/static-assets.js';

const publicDir = fileURLToPath(new URL('public', import.meta.url));
const outDir = fileURLToPath(new URL('dist', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir,
  base: './',
  plugins: [staticAssetsPlugin({ publicDir, outDir })],
  resolve: {
    // Workspace packages export their TypeScript sources under `development`, so the app builds from source.
    conditions: ['development', 'module', 'browser'],
  },
  server: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS }, strictPort: true },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS }, strictPort: true },
  optimizeDeps: {
    // Listed up front, so the dev server does not discover them late and reload the page mid-run.
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      'uplot',
      '@noble/hashes/legacy.js',
    ],
  },
  worker: { format: 'es' },
  build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
