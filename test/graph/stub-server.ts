/**
 * A tiny Graph stand-in on 127.0.0.1 for the client's tests: each test gives a handler and
 * reads back what the client sent. Closes every socket on stop so tests end by themselves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphError } from '../../src/graph/graph-error.js';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  /** The client's port: equal ports mean one reused connection. */
  remotePort: number | undefined;
}

export type StubHandler = (req: SeenRequest, res: ServerResponse, n: number) => unknown;

export interface StubServer {
  url: string;
  requests: SeenRequest[];
  stop(): Promise<void>;
}

export async function startStub(handler: StubHandler): Promise<StubServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://stub'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort };
      requests.push(seen);
      void Promise.resolve(handler(seen, res, requests.length)).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

/** A logger that keeps every line, to check that no secret reaches it. */
export function captureLogger() {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Records waits instead of sleeping, so retry tests take no real time. */
export function recordSleeps() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

export const APP_ID = '1234567890123';
export const APP_SECRET = 'appsecret0123456789abcdef';
export const USER_TOKEN = 'EAAGuserTokenWhichMustNeverBeLogged0123456789';

/** The GraphError a call fails with; fails the test when it succeeds or throws something else. */
export async function failure(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
}
