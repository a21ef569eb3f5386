import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const workspaceRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Lints `code` as if it were the file at `relativePath`, with the workspace's real ESLint config. */
async function lintAs(relativePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: workspaceRoot });
  const [result] = await eslint.lintText(code, { filePath: `${workspaceRoot}${relativePath}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('module boundaries', () => {
  beforeAll(async () => {
    // The Nx rule reads the cached project graph; a clean run has none until Nx computes it.
    const { createProjectGraphAsync } = await import('@nx/devkit');
    await createProjectGraphAsync({ exitOnError: false });
  });

  it.each(['data', 'model', 'train', 'backend-core'])('rejects a Node built-in in %s', async (project) => {
    const messages = await lintAs(`packages/${project}/src/violation.ts`, "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");

    expect(messages.some((message) => message.startsWith('no-restricted-imports'))).toBe(true);
  });

  it('rejects a bare Node built-in name in model', async () => {
    const messages = await lintAs('packages/model/src/violation.ts', "import { join } from 'path';\nexport const joined = join('a', 'b');\n");

    expect(messages.some((message) => message.includes("'path' is Node-only"))).toBe(true);
  });

  it('rejects the Buffer global in data', async () => {
    const messages = await lintAs('packages/data/src/violation.ts', 'export const bytes = Buffer.from([1, 2]);\n');

    expect(messages.some((message) => message.startsWith('no-restricted-globals'))).toBe(true);
  });

  it('rejects a backend import in train', async () => {
    const messages = await lintAs('packages/train/src/violation.ts', "import '@tensorflow/tfjs-backend-wasm';\nexport const ok = true;\n");

    expect(messages.some((message) => message.includes('not allowed to import "@tensorflow/tfjs-backend-wasm"'))).toBe(true);
  });

  it('rejects a Node-only project import in model', async () => {
    const messages = await lintAs('packages/model/src/violation.ts', "import { initNodeBackend } from '@lstm-mnist/backend-node-gpu';\nexport const init = initNodeBackend;\n");

    expect(messages.some((message) => message.includes('can only depend on libs tagged with "platform:universal"'))).toBe(true);
  });

  it('allows Node built-ins under data/src/node', async () => {
    const messages = await lintAs('packages/data/src/node/allowed.ts', "import { readFile } from 'node:fs/promises';\nexport const read = readFile;\n");

    expect(messages).toEqual([]);
  });

  it('rejects console output in library code', async () => {
    const messages = await lintAs('packages/train/src/violation.ts', "export function log(): void {\n  console.log('step');\n}\n");

    expect(messages.some((message) => message.startsWith('no-console'))).toBe(true);
  });
});
