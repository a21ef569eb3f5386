import { defineConfig } from 'vitest/config';

import { sharedVitestConfig } from '../../vitest.shared.js';

const shared = sharedVitestConfig({ testTimeoutMs: 30_000 });

// The browser test starts a server and Chromium, so it gets its own, longer timeout (see test/e2e.test.ts).
export default defineConfig({ ...shared, test: { ...shared.test, fileParallelism: false } });
