import { gunzip, isGzip, type MnistFileStore } from '@lstm-mnist/data';

/** Bytes received so far for one file, and its size when the server sent `Content-Length`. */
export interface FetchProgress {
  file: string;
  receivedBytes: number;
  totalBytes: number | undefined;
}

/**
 * A read-only {@link MnistFileStore} over the gzipped MNIST files that this app serves from its own
 * origin (`<baseUrl><name>.gz`). Reading `<name>` fetches `<name>.gz` and decompresses it, unless the
 * server sent it with `Content-Encoding: gzip` and the browser already did, so the page works behind
 * either kind of static server. `loadMnist` then checks the MD5 of the uncompressed bytes.
 * Nothing is fetched from another origin.
 */
export class SameOriginMnistStore implements MnistFileStore {
  /**
   * @param baseUrl folder URL ending in `/`, such as `new URL('mnist/', document.baseURI)`.
   * @param onProgress receives progress while each file downloads.
   */
  constructor(
    private readonly baseUrl: URL,
    private readonly onProgress: (progress: FetchProgress) => void = () => {},
  ) {}

  async read(name: string): Promise<Uint8Array | undefined> {
    if (name.endsWith('.gz')) return undefined;

    const url = new URL(`${name}.gz`, this.baseUrl);
    const response = await fetch(url);
    if (response.status === 404) return undefined;
    if (!response.ok || response.body === null) {
      throw new Error(`Fetching ${url.pathname} failed with HTTP ${response.status} ${response.statusText}. Reload the page, or restart the server.`);
    }

    const header = response.headers.get('Content-Length');
    const totalBytes = header === null ? undefined : Number(header);
    const bytes = await readWithProgress(response.body, (receivedBytes) => this.onProgress({ file: name, receivedBytes, totalBytes }));
    if (!isGzip(bytes)) return bytes;
    try {
      return await gunzip(bytes);
    } catch (error) {
      throw new Error(`${url.pathname} is not a valid gzip file (${error instanceof Error ? error.message : String(error)}). Rebuild the app with npx nx build web.`);
    }
  }

  async write(name: string): Promise<void> {
    throw new Error(`The app's MNIST files are read-only, so ${name} cannot be written.`);
  }

  describe(): string {
    return this.baseUrl.pathname;
  }
}

async function readWithProgress(body: ReadableStream<Uint8Array>, report: (receivedBytes: number) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    report(received);
  }

  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
