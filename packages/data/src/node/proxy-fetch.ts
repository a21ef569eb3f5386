import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';

/**
 * Proxy settings with the meaning of the standard environment variables. An empty or absent URL
 * means no proxy for that scheme.
 */
export interface ProxySettings {
  /** Proxy URL for `http://` requests, as in `HTTP_PROXY`, e.g. `http://proxy.example:3128`. */
  httpProxy?: string;
  /**
   * Proxy URL for `https://` requests, as in `HTTPS_PROXY`. When it is empty, `https://` requests
   * use `httpProxy`, as undici 7's `EnvHttpProxyAgent` does.
   */
  httpsProxy?: string;
  /**
   * Hosts reached without the proxy, as in `NO_PROXY`: a list separated by commas or spaces of
   * `host`, `host:port` or `.domain` (which also matches every subdomain), or `*` for all hosts.
   */
  noProxy?: string;
}

/** A fetch function that sends requests through a proxy, and the connection pool behind it. */
export interface ProxyFetch {
  fetch: typeof fetch;
  /** Closes the pooled connections. Call it when the downloads are done. */
  close(): Promise<void>;
}

/**
 * Reads proxy settings from environment variables. The lower-case name wins over the upper-case one
 * (`https_proxy` over `HTTPS_PROXY`), as in curl and undici.
 */
export function proxySettingsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ProxySettings {
  const settings: ProxySettings = {};
  const httpProxy = env['http_proxy'] ?? env['HTTP_PROXY'];
  const httpsProxy = env['https_proxy'] ?? env['HTTPS_PROXY'];
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'];
  if (httpProxy !== undefined && httpProxy !== '') {
    settings.httpProxy = httpProxy;
  }
  if (httpsProxy !== undefined && httpsProxy !== '') {
    settings.httpsProxy = httpsProxy;
  }
  if (noProxy !== undefined && noProxy !== '') {
    settings.noProxy = noProxy;
  }
  return settings;
}

/** Returns whether the settings name a proxy for at least one scheme. */
export function hasProxy(settings: ProxySettings): boolean {
  return (settings.httpProxy ?? '') !== '' || (settings.httpsProxy ?? '') !== '';
}

/**
 * Creates a fetch function that honours the proxy settings, using undici's `fetch` with its
 * `EnvHttpProxyAgent`. Node 20's global `fetch` ignores `HTTP_PROXY` and `HTTPS_PROXY`, so this is
 * how Node downloads go through a proxy. Requests to the proxy use CONNECT tunnels, for `http://`
 * targets too. A proxy URL without a scheme, such as `proxy.example:3128`, is read as `http://`.
 *
 * @throws TypeError naming the setting when a proxy URL is invalid, without the credentials in it.
 */
export function createProxyFetch(settings: ProxySettings): ProxyFetch {
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: normalizeProxyUrl(settings.httpProxy, 'HTTP_PROXY'),
    httpsProxy: normalizeProxyUrl(settings.httpsProxy, 'HTTPS_PROXY'),
    noProxy: settings.noProxy ?? '',
  });

  type UndiciInit = NonNullable<Parameters<typeof undiciFetch>[1]>;
  const proxiedFetch = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input;
    return undiciFetch(url, { ...(init as UndiciInit | undefined), dispatcher }) as unknown as Promise<Response>;
  };

  return { fetch: proxiedFetch as typeof fetch, close: () => dispatcher.close() };
}

/**
 * Returns the proxy URL with `http://` added when it has no scheme, or '' for none. An explicit
 * empty string keeps `EnvHttpProxyAgent` from reading the environment itself.
 */
function normalizeProxyUrl(value: string | undefined, variable: string): string {
  if (value === undefined || value === '') {
    return '';
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;

  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`Invalid proxy URL in ${variable}: ${JSON.stringify(redact(value))}. Expected a URL such as http://proxy.example:3128.`);
  }
  if (!['http:', 'https:', 'socks:', 'socks5:'].includes(url.protocol)) {
    throw new TypeError(
      `Invalid proxy URL in ${variable}: scheme ${url.protocol} is not supported. Use http://, https:// or socks5://.`,
    );
  }
  return withScheme;
}

/** Hides the user name and password of a URL such as `http://user:secret@proxy:3128`. */
function redact(value: string): string {
  return value.replace(/\/\/[^/@]*@/, '//***@');
}
