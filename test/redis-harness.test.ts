// The redis-server test harness itself: free ports, fault injection (kill / restart), persistence,
// and the guarantee that no redis-server outlives the Node process that started it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startRedis, type RedisServer } from './support/redis-server.ts';

const servers: RedisServer[] = [];
const clients: Redis[] = [];

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

async function start(persistent = false): Promise<RedisServer> {
  const server = await startRedis({ persistent });
  servers.push(server);
  return server;
}

/** A client that fails fast when redis is down. It needs 'ready' before its first command. */
async function fastFailClient(url: string): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  client.on('error', () => {}); // reconnect errors are expected in these tests
  clients.push(client);
  await client.connect(); // resolves on 'ready'
  return client;
}

/** True when the process is gone (or a zombie nobody has reaped yet). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

describe('redis-server test harness', () => {
  it('the shared server from globalSetup answers, on a loopback port that is not 6379', async () => {
    const url = inject('redisUrl');
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(url).port).not.toBe('6379');
    const client = await fastFailClient(url);
    expect(await client.ping()).toBe('PONG');
  });

  it('starts a second server on its own free port; after kill() commands fail fast', async () => {
    const server = await start();
    expect(server.port).not.toBe(6379);
    expect(server.url).not.toBe(inject('redisUrl'));
    const client = await fastFailClient(server.url);
    await client.set('harness:k', 'v1');
    expect(await client.get('harness:k')).toBe('v1');

    const pid = server.pid!;
    await server.kill();
    expect(server.pid).toBeUndefined();
    expect(processGone(pid)).toBe(true);

    const t0 = Date.now();
    await expect(client.get('harness:k')).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a persistent server keeps its data through kill() and restart() on the same port', async () => {
    const server = await start(true);
    const port = server.port;
    const before = await fastFailClient(server.url);
    await before.set('harness:persist', 'still here');
    before.disconnect();

    await server.kill();
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).toBeTypeOf('number');

    const after = await fastFailClient(server.url);
    expect(await after.get('harness:persist')).toBe('still here');
  });

  it('a non-persistent server starts empty after restart(), and stop() removes its directory', async () => {
    const server = await start();
    const client = await fastFailClient(server.url);
    await client.set('harness:gone', '1');
    client.disconnect();
    await server.restart(); // graceful: SIGTERM, then start again
    const again = await fastFailClient(server.url);
    expect(await again.get('harness:gone')).toBeNull();
    again.disconnect();

    const pid = server.pid!;
    await server.stop();
    expect(processGone(pid)).toBe(true);
    expect(existsSync(server.dir)).toBe(false);
    await expect(server.restart()).rejects.toThrow(/after stop/);
  });
});

describe('no redis-server outlives its Node process', () => {
  const root = resolve(import.meta.dirname, '..');
  const scratch = mkdtempSync(join(tmpdir(), 'pandu-harness-'));
  const script = join(scratch, 'child.mts'); // .mts: ESM (top-level await) outside this package
  writeFileSync(
    script,
    `import { startRedis } from ${JSON.stringify(pathToFileURL(join(root, 'test/support/redis-server.ts')).href)};
const server = await startRedis();
process.stdout.write(JSON.stringify({ pid: server.pid }) + '\\n');
if (process.argv[2] === 'throw') setTimeout(() => { throw new Error('simulated crash'); }, 10);
else setInterval(() => {}, 1000);
`,
  );
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function runChild(mode: 'throw' | 'SIGTERM' | 'SIGINT' | 'SIGKILL') {
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.once('exit', (code, signal) => res({ code, signal })),
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const pid = await new Promise<number>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) res((JSON.parse(line) as { pid: number }).pid);
      });
      void exited.then(() => rej(new Error(`child exited before starting redis: ${err}`)));
    });
    expect(processGone(pid)).toBe(false);
    if (mode !== 'throw') child.kill(mode);
    const exit = await exited;
    return { pid, exit, stderr: err };
  }

  it('on an uncaught exception', async () => {
    const { pid, exit, stderr } = await runChild('throw');
    expect(exit.code).toBe(1);
    expect(stderr).toContain('simulated crash');
    expect(await waitUntil(() => processGone(pid), 3_000)).toBe(true);
  });

  it('on SIGTERM and SIGINT, and the signal is not swallowed', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { pid, exit } = await runChild(signal);
      expect(exit.signal).toBe(signal);
      expect(await waitUntil(() => processGone(pid), 3_000)).toBe(true);
    }
  });

  it('on SIGKILL of Node (no hook runs: the watchdog does it)', async () => {
    const { pid, exit } = await runChild('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    expect(await waitUntil(() => processGone(pid), 3_000)).toBe(true);
  });
});
