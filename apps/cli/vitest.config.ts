import { defineConfig } from 'vitest/config';

import { sharedVitestConfig } from '../../vitest.shared.js';

// End-to-end tests spawn the real CLI, which trains on real MNIST.
export default defineConfig(sharedVitestConfig({ testTimeoutMs: 300_000 }));
