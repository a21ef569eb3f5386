/**
 * Measures the browser app in headless Chromium: training milliseconds per batch for the seed
 * configuration (hidden size 128, 2 layers, batch 64) on each backend that runs, and the time from
 * the end of a stroke to updated probabilities. Starts `vite preview` of the build on 127.0.0.1 and
 * stops it again.
 *
 * Run: npx nx build web && npx tsx apps/web/tools/benchmark.ts [steps]
 * (BENCH_ONLY=<label prefix> runs one setup, e.g. BENCH_ONLY=WebGL.)
 */
import type { Page } from 'playwright-core';

import { CHROMIUM_ARGS, launchChromium, startViteServer } from '../test/browser-harness.js';

const STEPS = Number(process.argv[2] ?? 12);
const WARM_UP_STEPS = 2;
const STROKES = 5;

interface Setup {
  label: string;
  backend: 'wasm' | 'webgl' | 'cpu';
  /** Replaces the Chromium flags; WebGL needs the GPU process, with SwiftShader as the GPU. */
  args?: string[];
  /** Serves the page without COOP/COEP, so it is not cross-origin isolated and WASM has no threads. */
  notIsolated?: boolean;
  steps?: number;
}

const SWIFTSHADER_ARGS = [...CHROMIUM_ARGS.filter((arg) => arg !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

const SETUPS: Setup[] = [
  { label: 'WASM, cross-origin isolated', backend: 'wasm' },
  { label: 'WASM, not isolated', backend: 'wasm', notIsolated: true },
  { label: 'WebGL through SwiftShader', backend: 'webgl', args: SWIFTSHADER_ARGS },
  { label: 'CPU (plain JavaScript)', backend: 'cpu', steps: 4 },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

async function trainSteps(page: Page, steps: number): Promise<number[]> {
  await page.evaluate(() => {
    const times: number[] = [];
    (globalThis as unknown as { stepTimes: number[] }).stepTimes = times;
    new MutationObserver(() => times.push(Number(document.body.dataset.lastStepMs))).observe(document.body, {
      attributes: true,
      attributeFilter: ['data-last-step-ms'],
    });
  });
  await page.click('#start');
  await page.waitForFunction((count) => (globalThis as unknown as { stepTimes: number[] }).stepTimes.length >= count, steps, {
    timeout: 600_000,
    polling: 100,
  });
  // A click through the page's own thread: Playwright's click times out while a long step blocks input.
  await page.evaluate(() => document.getElementById('stop')?.click());
  await page.waitForFunction(() => document.body.dataset.training === 'done', null, { timeout: 600_000 });
  return page.evaluate(() => (globalThis as unknown as { stepTimes: number[] }).stepTimes);
}

async function strokeLatencies(page: Page): Promise<number[]> {
  const latencies: number[] = [];
  for (let stroke = 0; stroke < STROKES; stroke++) {
    await page.click('#clear');
    await page.evaluate(() => delete document.getElementById('draw-status')?.dataset.latencyMs);
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();
    if (box === null) throw new Error('The drawing pad is not visible.');
    await page.mouse.move(box.x + 100, box.y + 60);
    await page.mouse.down();
    for (let step = 1; step <= 8; step++) await page.mouse.move(box.x + 100 + step * 8, box.y + 60 + step * 20);
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('draw-status')?.dataset.latencyMs !== undefined, null, { timeout: 60_000 });
    latencies.push(Number(await page.getAttribute('#draw-status', 'data-latency-ms')));
  }
  return latencies;
}

async function measure(url: string, setup: Setup): Promise<void> {
  const browser = await launchChromium([], setup.args);
  try {
    const page = await browser.context.newPage();
    const wasmFiles: string[] = [];
    page.on('request', (request) => {
      const requestUrl = new URL(request.url());
      if (requestUrl.pathname.endsWith('.wasm') && requestUrl.search === '') wasmFiles.push(requestUrl.pathname.split('/').pop() ?? '');
    });
    if (setup.notIsolated) {
      await page.route(url, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
    }
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.data === 'ready', null, { timeout: 120_000 });
    await page.selectOption('#backend', setup.backend);
    await page.fill('input[name=seed]', '1');

    const steps = setup.steps ?? STEPS;
    const times = (await trainSteps(page, steps)).slice(WARM_UP_STEPS);
    const backendLine = await page.textContent('#backend-status');
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    const logicalCores = await page.evaluate(() => navigator.hardwareConcurrency);
    const latencies = await strokeLatencies(page);
    console.log(
      JSON.stringify({
        setup: setup.label,
        backendLine,
        crossOriginIsolated: isolated,
        logicalCores,
        wasmFiles: [...new Set(wasmFiles)],
        stepsMeasured: times.length,
        medianMsPerBatch: Number(median(times).toFixed(1)),
        minMsPerBatch: Number(Math.min(...times).toFixed(1)),
        maxMsPerBatch: Number(Math.max(...times).toFixed(1)),
        strokeToProbabilitiesMs: latencies.map((ms) => Number(ms.toFixed(1))),
      }),
    );
  } catch (error) {
    console.log(JSON.stringify({ setup: setup.label, failed: error instanceof Error ? error.message.split('\n')[0] : String(error) }));
  } finally {
    await browser.close();
  }
}

// The preview serves the static build (run `npx nx build web` first), as a deployment would. The dev
// server can reload the page when it first meets a backend's modules, which would end a measurement.
const server = await startViteServer('preview');
try {
  const only = process.env.BENCH_ONLY;
  for (const setup of SETUPS) {
    if (only === undefined || setup.label.toLowerCase().startsWith(only.toLowerCase())) await measure(server.url, setup);
  }
} finally {
  await server.stop();
}
