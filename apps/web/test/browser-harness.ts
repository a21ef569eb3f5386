import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

/** The web app's folder and the workspace root. */
export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKSPACE_ROOT = join(WEB_ROOT, '..', '..');

/** Debian's Chromium, installed by `.ci/run` when missing, or `CHROMIUM_PATH`. The test never downloads a browser. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** True when `LSTM_MNIST_SKIP_BROWSER_TESTS=1` is set, which skips the tests that need Chromium. */
export const SKIP_BROWSER_TESTS = process.env['LSTM_MNIST_SKIP_BROWSER_TESTS'] === '1';

/**
 * Throws when Chromium is missing, so a machine without it fails the browser tests loudly
 * instead of skipping them, unless `LSTM_MNIST_SKIP_BROWSER_TESTS=1` skips them on purpose.
 */
export function assertChromiumInstalled(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\`, set CHROMIUM_PATH, ` +
        'or set LSTM_MNIST_SKIP_BROWSER_TESTS=1 to skip the browser tests.',
    );
  }
}

/** Flags for a quiet headless Chromium that contacts no outside host. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A server process started by a test, with the URL it serves. */
export interface StartedServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the app's Vite server (`mode` serve for the dev server, preview for the build) on 127.0.0.1
 * and waits until it responds.
 *
 * @throws Error with the server's output when it exits or does not respond within `timeoutMs`.
 */
export async function startViteServer(mode: 'serve' | 'preview', timeoutMs = 60_000): Promise<StartedServer> {
  const port = await freePort();
  const viteBin = join(WEB_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [viteBin, mode, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: WEB_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const url = `http://127.0.0.1:${port}/`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite ${mode} exited with code ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(url);
      if (response.ok) return { url, process: child, output: () => output, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`vite ${mode} did not respond on ${url} within ${timeoutMs} ms:\n${output}`);
}

/** Launches Chromium with a fresh profile folder, which `close` removes again. */
export async function launchChromium(extraArgs: string[] = [], replaceArgs?: string[]): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'lstm-mnist-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...(replaceArgs ?? CHROMIUM_ARGS), ...extraArgs],
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
