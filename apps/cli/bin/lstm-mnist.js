#!/usr/bin/env node
// Runs the compiled CLI. `npm install` at the workspace root builds it (the root `prepare` script).
import('../dist/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    console.error('error: the lstm-mnist CLI is not built. Run `npx nx run cli:build` (or `npm install`) at the workspace root.');
    process.exit(1);
  }
  throw error;
});
