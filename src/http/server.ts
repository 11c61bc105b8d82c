// Pandu's own small HTTP server (node:http): the Telegram webhook, and later /healthz and /metrics.
// Exact paths only, one handler per method and path. Unknown path: 404; known path, other method:
// 405. A handler that throws or rejects gets a 500 and a log line; it never takes the process down.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** How long close() lets requests in progress finish before cutting connections. Default 5 s. */
  closeGraceMs?: number;
}

export interface HttpServer {
  route(method: string, path: string, handler: RouteHandler): void;
  /** Resolves with the port actually bound (useful with port 0). */
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
  readonly server: Server;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const log = opts.logger.child({ component: 'http' });
  const routes = new Map<string, Map<string, RouteHandler>>();

  const server = createServer((req, res) => {
    void dispatch(req, res);
  });
  // Slow or idle clients do not hold the server open for long.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = pathOf(req.url);
    const byMethod = routes.get(path);
    if (!byMethod) return reply(res, 404, 'not found');
    const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (!handler) {
      res.setHeader('allow', [...byMethod.keys()].join(', '));
      return reply(res, 405, 'method not allowed');
    }
    try {
      await handler(req, res);
    } catch (err) {
      // The path and method only: URLs may carry tokens in their query, bodies carry user data.
      log.error({ method, path, err: { type: (err as Error)?.name, message: String((err as Error)?.message ?? err).slice(0, 300) } }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, 'internal error');
      else if (!res.writableEnded) res.destroy();
    }
  }

  return {
    server,
    route(method, path, handler) {
      if (!path.startsWith('/')) throw new Error(`route path must start with "/": ${path}`);
      const m = method.toUpperCase();
      let byMethod = routes.get(path);
      if (!byMethod) routes.set(path, (byMethod = new Map()));
      if (byMethod.has(m)) throw new Error(`route ${m} ${path} is already taken`);
      byMethod.set(m, handler);
    },
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(opts.port, opts.host, () => {
          server.off('error', onError);
          server.on('error', (err) => log.error({ err: { message: err.message } }, 'http server error'));
          const port = (server.address() as AddressInfo).port;
          log.info({ host: opts.host, port }, 'http server listening');
          resolve({ port });
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // Requests in progress may finish; their keep-alive connections are closed as soon as they
        // go idle (checked every 50 ms), and whatever is left is cut after the grace period.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const grace = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 5_000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.search(/[?#]/);
  return q === -1 ? raw : raw.slice(0, q);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body);
}
