import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * Handles one request to the scripted server. `count` is how many requests this path got so far,
 * this one included, so a handler can fail the first requests and succeed later.
 */
export type ScriptedHandler = (response: ServerResponse, count: number, request: IncomingMessage) => void;

/** An HTTP server on 127.0.0.1 whose paths run scripted handlers, and other paths get 404. */
export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  origin: string;
  port: number;
  /** Paths requested, in order. */
  requests: string[];
  /** Number of requests for `path`. */
  countOf(path: string): number;
  close(): Promise<void>;
}

/** Starts a {@link ScriptedServer} on a free port of 127.0.0.1. */
export async function startScriptedServer(routes: Record<string, ScriptedHandler>): Promise<ScriptedServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const handler = routes[path];
    if (handler === undefined) {
      sendBody(response, 404, new TextEncoder().encode('not found'));
      return;
    }
    handler(response, requests.filter((seen) => seen === path).length, request);
  });
  const port = await listen(server);

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    countOf: (path) => requests.filter((seen) => seen === path).length,
    close: () => closeServer(server),
  };
}

/** Sends `body` with a status and a Content-Length. */
export function sendBody(response: ServerResponse, status: number, body: Uint8Array, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-length': String(body.length), ...headers });
  response.end(body);
}

/** Declares the full Content-Length, sends only the first `sent` bytes, then drops the connection. */
export function sendTruncated(response: ServerResponse, body: Uint8Array, sent: number): void {
  response.writeHead(200, { 'content-length': String(body.length) });
  response.write(body.subarray(0, sent), () => {
    setTimeout(() => response.destroy(), 20);
  });
}

/** Sends the headers and the first `sent` bytes, then nothing more until the client leaves. */
export function sendStalled(response: ServerResponse, body: Uint8Array, sent: number): void {
  response.writeHead(200, { 'content-length': String(body.length) });
  response.write(body.subarray(0, sent));
}

/**
 * Sends `body` in `chunks` pieces, one every `intervalMs` milliseconds, so the transfer is slow
 * but never silent for longer than the interval.
 */
export function sendSlowly(response: ServerResponse, body: Uint8Array, chunks: number, intervalMs: number): void {
  response.writeHead(200, { 'content-length': String(body.length) });
  const size = Math.ceil(body.length / chunks);
  let offset = 0;
  const timer = setInterval(() => {
    if (response.destroyed) {
      clearInterval(timer);
      return;
    }
    response.write(body.subarray(offset, offset + size));
    offset += size;
    if (offset >= body.length) {
      clearInterval(timer);
      response.end();
    }
  }, intervalMs);
  response.on('close', () => clearInterval(timer));
}

/** A forward proxy on 127.0.0.1 that tunnels CONNECT requests to 127.0.0.1 only, and records them. */
export interface LocalProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Targets of CONNECT requests, as `host:port`, in order. */
  connects: string[];
  close(): Promise<void>;
}

/**
 * Starts a {@link LocalProxy}. A CONNECT to any host other than 127.0.0.1 gets 403, so a test
 * never reaches another machine through it; plain proxy requests get 405.
 */
export async function startLocalProxy(): Promise<LocalProxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_request, response) => sendBody(response, 405, new TextEncoder().encode('only CONNECT')));

  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? '';
    connects.push(target);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());

    const [host, port] = target.split(':');
    if (host !== '127.0.0.1' || port === undefined) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });

  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      await closeServer(server);
    },
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
