import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { assertChromiumInstalled, launchChromium, SKIP_BROWSER_TESTS, startViteServer, type StartedServer, WEB_ROOT, WORKSPACE_ROOT } from './browser-harness.js';

const run = promisify(execFile);

/** Screenshots land here; `/tmp/` at the workspace root is gitignored. */
const SCREENSHOT_DIR = join(WORKSPACE_ROOT, 'tmp', 'web-e2e');
const CLI_BIN = join(WORKSPACE_ROOT, 'apps', 'cli', 'bin', 'lstm-mnist.js');
/** The CLI's model is also copied here, where the dev server lists it; the folder is gitignored and removed afterwards. */
const SERVED_MODEL_NAME = `e2e-${process.pid}`;
const SERVED_MODEL_DIR = join(WEB_ROOT, 'public', 'models', SERVED_MODEL_NAME);

describe.skipIf(SKIP_BROWSER_TESTS)('web app in Chromium', () => {
  let server: StartedServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let work: string;
  let cliAccuracy: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    assertChromiumInstalled();
    work = mkdtempSync(join(tmpdir(), 'lstm-mnist-web-e2e-'));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const cliRun = run(
      process.execPath,
      [CLI_BIN, 'train', '--epochs', '1', '--max-steps', '5', '--hidden-size', '16', '--seed', '1', '--backend', 'wasm',
        '--data-dir', join(work, 'data'), '--out', join(work, 'model'), '--metrics-file', join(work, 'metrics.jsonl')],
      { cwd: work, timeout: 120_000 },
    );
    [server, browser] = await Promise.all([startViteServer('serve'), launchChromium()]);
    await cliRun;
    cpSync(join(work, 'model'), SERVED_MODEL_DIR, { recursive: true });
    const epochLine = readFileSync(join(work, 'metrics.jsonl'), 'utf8').split('\n').find((line) => line.includes('testAccuracy'));
    cliAccuracy = (JSON.parse(epochLine ?? '{}') as { testAccuracy: number }).testAccuracy;

    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript(() => localStorage.setItem('lstm-mnist.language', 'en'));
    await page.goto(server.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(SERVED_MODEL_DIR, { recursive: true, force: true });
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test('page is cross-origin isolated and loads MNIST from its origin', async () => {
    await page.waitForFunction(() => document.body.dataset.data !== undefined, null, { timeout: 60_000 });

    expect(await page.evaluate(() => document.body.dataset.data)).toBe('ready');
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#data-status')).toContain('60000 training and 10000 test images');
    expect(await page.evaluate(() => (document.getElementById('data-progress') as HTMLProgressElement).position)).toBe(1);
  }, 90_000);

  test('training a few steps draws the loss chart', async () => {
    const lossCanvas = () => page.evaluate(() => document.querySelector<HTMLCanvasElement>('#loss-chart canvas')?.toDataURL());
    const before = await lossCanvas();
    await page.fill('input[name=epochs]', '1');
    await page.fill('input[name=hiddenSize]', '16');
    await page.fill('input[name=maxSteps]', '5');
    await page.fill('input[name=seed]', '1');
    await page.selectOption('#backend', 'wasm');
    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset.training === 'done', null, { timeout: 90_000 });

    expect(await page.textContent('#train-status')).toContain('Training finished (epochs completed: 1)');
    expect(await page.getAttribute('#loss-chart', 'data-points')).toBe('5');
    expect(await page.getAttribute('#speed-chart', 'data-points')).toBe('5');
    expect(await page.getAttribute('#accuracy-chart', 'data-points')).toBe('1');
    expect(await lossCanvas()).not.toBe(before);
    expect(await page.textContent('#backend-status')).toContain('wasm');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'trained.png'), fullPage: true });
  }, 120_000);

  test('pause holds training until resume, stop ends it', async () => {
    const points = async () => Number(await page.getAttribute('#loss-chart', 'data-points'));
    await page.fill('input[name=maxSteps]', '500');
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('loss-chart')?.dataset.points) >= 2, null, { timeout: 30_000 });

    await page.click('#pause');
    await page.waitForTimeout(500);
    const whilePaused = await points();
    await page.waitForTimeout(1000);
    expect(await points()).toBe(whilePaused);
    expect(await page.textContent('#pause')).toBe('Resume');

    await page.click('#pause');
    await page.waitForFunction((count) => Number(document.getElementById('loss-chart')?.dataset.points) > count, whilePaused, { timeout: 30_000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.training === 'done', null, { timeout: 30_000 });
    expect(await page.textContent('#train-status')).toContain('Training stopped');
  }, 90_000);

  test('drawn stroke gives ten probabilities summing to 1', async () => {
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();
    if (box === null) throw new Error('The drawing pad is not visible.');
    await page.mouse.move(box.x + 140, box.y + 50);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + 140, box.y + 50 + step * 18);
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('draw-status')?.dataset.latencyMs !== undefined);

    const values = JSON.parse((await page.getAttribute('#probabilities', 'data-values')) ?? '[]') as number[];
    expect(values).toHaveLength(10);
    expect(values.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    const latency = Number(await page.getAttribute('#draw-status', 'data-latency-ms'));
    expect(latency).toBeGreaterThan(0);
    writeFileSync(join(SCREENSHOT_DIR, 'stroke-latency-ms.txt'), `${latency}\n`);
    await page.locator('#draw-section').screenshot({ path: join(SCREENSHOT_DIR, 'drawing.png') });
  }, 30_000);

  test('truncated weights file is rejected by name', async () => {
    const truncated = join(work, 'truncated');
    mkdirSync(truncated);
    const weights = readFileSync(join(work, 'model', 'weights.bin'));
    writeFileSync(join(truncated, 'weights.bin'), weights.subarray(0, 100));
    writeFileSync(join(truncated, 'model.json'), readFileSync(join(work, 'model', 'model.json')));
    await page.setInputFiles('#model-files', [join(truncated, 'model.json'), join(truncated, 'weights.bin')]);
    await page.waitForFunction(() => document.getElementById('model-status')?.classList.contains('error'));

    const message = await page.textContent('#model-status');
    expect(message).toContain('weights.bin');
    expect(message).toContain('truncated');
  }, 30_000);

  test('model trained by the CLI loads and evaluates', async () => {
    await page.setInputFiles('#model-files', [join(work, 'model', 'model.json'), join(work, 'model', 'weights.bin')]);
    await page.waitForFunction(() => document.getElementById('model-status')?.dataset.key === 'modelLoaded');
    expect(await page.textContent('#model-status')).toContain('2 layers of 16 units');
    await page.click('#evaluate');
    await page.waitForFunction(() => document.body.dataset.evaluation === 'done', null, { timeout: 60_000 });

    const accuracy = Number(await page.getAttribute('#eval-status', 'data-accuracy'));
    expect(accuracy).toBeCloseTo(cliAccuracy, 3);
    expect(await page.locator('#confusion td').count()).toBe(100);
    expect(await page.locator('#misclassified figure').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'evaluated.png'), fullPage: true });
  }, 90_000);

  test('model saves to a download and to IndexedDB', async () => {
    const downloads: string[] = [];
    page.on('download', (download) => downloads.push(download.suggestedFilename()));
    await page.click('#download');
    await page.waitForFunction(() => document.getElementById('model-status')?.dataset.key === 'modelSaved');
    await expect.poll(() => downloads.sort()).toEqual(['model.json', 'model.weights.bin']);

    await page.click('#save-idb');
    await page.waitForFunction(() => document.getElementById('model-status')?.textContent?.includes('indexeddb://'));
    await page.click('#load-idb');
    await page.waitForFunction(() => document.getElementById('model-status')?.dataset.key === 'modelLoaded');
    expect(await page.textContent('#model-status')).toContain('indexeddb://lstm-mnist: 2 layers of 16 units');
  }, 30_000);

  test('language switch shows Simplified Chinese', async () => {
    await page.selectOption('#language', 'zh-CN');

    expect(await page.textContent('#title')).toBe('序列 MNIST LSTM');
    expect(await page.textContent('#eval-status')).toContain('测试准确率');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'chinese.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  test('served model loads from the models list', async () => {
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.data === 'ready', null, { timeout: 60_000 });
    // The reload reset the form to `auto`, which picks WebGL in software here, and that is slow to start.
    await page.selectOption('#backend', 'wasm');
    await page.selectOption('#served-models', SERVED_MODEL_NAME);
    await page.click('#load-served');
    await page.waitForFunction(() => document.getElementById('model-status')?.dataset.key !== undefined, null, { timeout: 60_000 });

    expect(await page.textContent('#model-status')).toContain(`models/${SERVED_MODEL_NAME}: 2 layers of 16 units`);
  }, 90_000);
});
