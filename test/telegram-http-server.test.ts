// Pandu's own HTTP server (src/http/server.ts), which serves the Telegram webhook.
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../src/http/server.ts';
import { captureLogs } from './support/drivers/telegram.ts';

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function started() {
  const log = captureLogs();
  const http = createHttpServer({ host: '127.0.0.1', port: 0, logger: log.logger });
  servers.push(http);
  return { http, log };
}

describe('http server', () => {
  it('listens on a free port with port 0 and routes by method and exact path', async () => {
    const { http } = await started();
    http.route('GET', '/healthz', (_req, res) => {
      res.end('ok');
    });
    http.route('POST', '/hook', async (req, res) => {
      let body = '';
      for await (const c of req) body += String(c);
      res.end(`got ${body}`);
    });
    const { port } = await http.listen();
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
    expect(await (await fetch(`${base}/healthz?x=1`)).text()).toBe('ok');
    expect((await fetch(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect(await (await fetch(`${base}/hook`, { method: 'POST', body: 'abc' })).text()).toBe('got abc');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz/`)).status).toBe(404);
    const wrong = await fetch(`${base}/hook`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('answers 500 when a handler throws or rejects, logs it, and keeps serving', async () => {
    const { http, log } = await started();
    http.route('GET', '/sync', () => {
      throw new Error('boom');
    });
    http.route('GET', '/async', async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('later boom');
    });
    http.route('GET', '/ok', (_q, res) => void res.end('still here'));
    const { port } = await http.listen();
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/sync`)).status).toBe(500);
    expect((await fetch(`${base}/async`)).status).toBe(500);
    expect(await (await fetch(`${base}/ok`)).text()).toBe('still here');
    expect(log.entries().filter((e) => e.msg === 'http handler failed').map((e) => e.path)).toEqual(['/sync', '/async']);
  });

  it('refuses a second handler for the same route and reports a port in use', async () => {
    const { http } = await started();
    http.route('GET', '/a', () => undefined);
    expect(() => http.route('get', '/a', () => undefined)).toThrow(/already taken/);
    const { port } = await http.listen();
    const { http: other } = await started();
    const o = createHttpServer({ host: '127.0.0.1', port, logger: captureLogs().logger });
    await expect(o.listen()).rejects.toThrow(/EADDRINUSE/);
    await other.close();
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const { http } = await started();
    http.route('GET', '/a', (_q, res) => void res.end('a'));
    const { port } = await http.listen();
    await (await fetch(`http://127.0.0.1:${port}/a`, { headers: { connection: 'keep-alive' } })).text();
    const t0 = Date.now();
    await http.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(fetch(`http://127.0.0.1:${port}/a`)).rejects.toThrow();
  });
});
