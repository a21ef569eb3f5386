import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { MnistDownloadError } from '../src/index.js';
import { createProxyFetch, hasProxy, prepareMnist, proxySettingsFromEnv, type ProxySettings } from '../src/node/index.js';
import { makeFakeMnist } from './helpers.js';
import { sendBody, startLocalProxy, startScriptedServer, type LocalProxy, type ScriptedServer } from './http-fixtures.js';

const fake = makeFakeMnist();

let root: string;
let server: ScriptedServer;
let proxy: LocalProxy;

beforeAll(async () => {
  const routes: Parameters<typeof startScriptedServer>[0] = {};
  for (const [name, body] of Object.entries(fake.gz)) {
    routes[`/good/${name}.gz`] = (response) => sendBody(response, 200, body);
  }
  server = await startScriptedServer(routes);
  proxy = await startLocalProxy();
});

afterAll(async () => {
  await proxy.close();
  await server.close();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lstm-mnist-proxy-'));
  proxy.connects.length = 0;
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

async function downloadVia(settings: ProxySettings | undefined, mirror = `${server.origin}/good/`): Promise<string[]> {
  const prepared = await prepareMnist({
    dataDir: root,
    packageDir: null,
    files: fake.files,
    mirrors: [mirror],
    retries: 0,
    ...(settings === undefined ? {} : { proxy: settings }),
  });
  return Object.values(prepared.origins);
}

describe('prepareMnist through a proxy', () => {
  it('sends http downloads through the HTTP proxy', async () => {
    const before = server.requests.length;
    expect(await downloadVia({ httpProxy: proxy.url })).toEqual(['download', 'download', 'download', 'download']);

    // One tunnel may carry several requests, so the proxy records at least one CONNECT and no other target.
    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([`127.0.0.1:${server.port}`]));
    expect(server.requests.length - before).toBe(4);
  });

  it('reads HTTP_PROXY from the environment', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('http_proxy', undefined);
    vi.stubEnv('NO_PROXY', undefined);
    vi.stubEnv('no_proxy', undefined);

    await downloadVia(undefined);
    expect(proxy.connects.length).toBeGreaterThan(0);
  });

  it('accepts a proxy URL without a scheme', async () => {
    await downloadVia({ httpProxy: proxy.url.replace('http://', '') });
    expect(proxy.connects.length).toBeGreaterThan(0);
  });

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    await downloadVia({ httpProxy: proxy.url, noProxy: 'example.org, 127.0.0.1' });
    expect(proxy.connects).toEqual([]);
  });

  it('bypasses the proxy when proxy is null', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url);
    await prepareMnist({ dataDir: root, packageDir: null, files: fake.files, mirrors: [`${server.origin}/good/`], proxy: null });
    expect(proxy.connects).toEqual([]);
  });

  it('tunnels https downloads through the HTTPS proxy', async () => {
    // The target speaks plain HTTP, so the TLS handshake inside the tunnel fails after the proxy was asked.
    const mirror = `https://127.0.0.1:${server.port}/good/`;
    const error = await downloadVia({ httpsProxy: proxy.url }, mirror).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MnistDownloadError);
    expect(proxy.connects[0]).toBe(`127.0.0.1:${server.port}`);
    expect((error as MnistDownloadError).attempts[0]?.reason).toMatch(/^fetch failed: /);
  });

  it('reports a proxy that refuses the tunnel', async () => {
    // The test proxy responds with 403 to a CONNECT for any host but 127.0.0.1, without connecting anywhere.
    const error = await downloadVia({ httpProxy: proxy.url }, `http://localhost:${server.port}/good/`).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MnistDownloadError);
    expect(proxy.connects).toEqual([`localhost:${server.port}`]);
    expect((error as MnistDownloadError).attempts[0]?.reason).toBe(
      'fetch failed: Request was cancelled: Proxy response (403) !== 200 when HTTP Tunneling',
    );
  });

  it('reports a proxy that cannot be reached', async () => {
    const closed = await startLocalProxy();
    await closed.close();
    const error = await downloadVia({ httpProxy: closed.url }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MnistDownloadError);
    expect((error as MnistDownloadError).attempts[0]?.reason).toMatch(/^fetch failed: .*ECONNREFUSED/);
  });
});

describe('proxy settings', () => {
  it('prefers lower-case variables and ignores empty ones', () => {
    const env = { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2', HTTPS_PROXY: '', NO_PROXY: 'localhost' };
    expect(proxySettingsFromEnv(env)).toEqual({ httpProxy: 'http://lower:2', noProxy: 'localhost' });
  });

  it('finds no proxy in an empty environment', () => {
    expect(hasProxy(proxySettingsFromEnv({}))).toBe(false);
    expect(hasProxy({ noProxy: '*' })).toBe(false);
    expect(hasProxy({ httpsProxy: 'http://proxy:3128' })).toBe(true);
  });

  it('rejects an unsupported scheme', () => {
    expect(() => createProxyFetch({ httpsProxy: 'ftp://proxy:21' })).toThrow(
      'Invalid proxy URL in HTTPS_PROXY: scheme ftp: is not supported. Use http://, https:// or socks5://.',
    );
  });

  it('rejects an invalid URL without showing its password', () => {
    let message = '';
    try {
      createProxyFetch({ httpProxy: 'http://user:secret@[bad' });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toBe('Invalid proxy URL in HTTP_PROXY: "http://***@[bad". Expected a URL such as http://proxy.example:3128.');
  });
});
