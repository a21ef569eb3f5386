import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Maps each workspace package to its TypeScript source, so tests run against
 * the code under test rather than a stale `dist/` build. Subpath entries come
 * first because Vite takes the first alias that matches.
 */
const workspaceAliases = [
  { find: /^@lstm-mnist\/backend-core$/, replacement: `${root}packages/backend-core/src/index.ts` },
  { find: /^@lstm-mnist\/data\/node$/, replacement: `${root}packages/data/src/node/index.ts` },
  { find: /^@lstm-mnist\/model\/node$/, replacement: `${root}packages/model/src/node/index.ts` },
  { find: /^@lstm-mnist\/train\/node$/, replacement: `${root}packages/train/src/node/index.ts` },
  { find: /^@lstm-mnist\/data$/, replacement: `${root}packages/data/src/index.ts` },
  { find: /^@lstm-mnist\/model$/, replacement: `${root}packages/model/src/index.ts` },
  { find: /^@lstm-mnist\/train$/, replacement: `${root}packages/train/src/index.ts` },
  { find: /^@lstm-mnist\/backend-node-cpu$/, replacement: `${root}packages/backend-node-cpu/src/index.ts` },
  { find: /^@lstm-mnist\/backend-node-gpu$/, replacement: `${root}packages/backend-node-gpu/src/index.ts` },
  { find: /^@lstm-mnist\/backend-web$/, replacement: `${root}packages/backend-web/src/index.ts` },
];

/** Vitest settings every project shares; a project's own config adds to them. */
export function sharedVitestConfig(options: { testTimeoutMs?: number } = {}): ViteUserConfig {
  return {
    resolve: { alias: workspaceAliases },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeoutMs ?? 30_000,
      // Hooks such as a parity test's beforeAll do a test's work, so they get the same limit.
      hookTimeout: options.testTimeoutMs ?? 30_000,
      pool: 'forks',
    },
  };
}
