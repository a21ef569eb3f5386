import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { assertChromiumInstalled, launchChromium, SKIP_BROWSER_TESTS, startViteServer, type StartedServer, WEB_ROOT } from './browser-harness.js';

describe('static build served by vite preview', () => {
  let server: StartedServer;

  beforeAll(async () => {
    // The `test` target builds the app first; a plain `vitest run` needs `npx nx build web` before it.
    if (!existsSync(join(WEB_ROOT, 'dist', 'index.html'))) {
      throw new Error(`No build in ${join(WEB_ROOT, 'dist')}: run \`npx nx build web\` first, or run the tests with \`npx nx test web\`.`);
    }
    server = await startViteServer('preview');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('sends the cross-origin isolation headers', async () => {
    const response = await fetch(server.url);

    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  test('serves MNIST gzipped without Content-Encoding', async () => {
    const response = await fetch(new URL('mnist/t10k-labels-idx1-ubyte.gz', server.url), { headers: { 'Accept-Encoding': 'gzip' } });
    const bytes = new Uint8Array(await response.arrayBuffer());

    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
  });

  test.skipIf(SKIP_BROWSER_TESTS)('page loads the data in Chromium', async () => {
    assertChromiumInstalled();
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.data !== undefined, null, { timeout: 60_000 });

      expect(await page.evaluate(() => document.body.dataset.data)).toBe('ready');
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
