// Starts Debian's redis-server for tests, on a free loopback port: never 6379, never a server
// someone else runs. Every server started here dies with the Node process that started it:
//   - on a normal exit, an uncaught exception, or SIGINT/SIGTERM/SIGHUP: an 'exit' hook SIGKILLs it
//     and removes its temp directory;
//   - when Node itself is SIGKILLed (no hook runs): a tiny `sh` watchdog holding a pipe from Node
//     sees that pipe close, SIGKILLs the server and removes its directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** The server's working directory (a fresh temp dir, removed by stop()). */
  readonly dir: string;
  /** The pid of the running redis-server, undefined while it is down. */
  readonly pid: number | undefined;
  /** SIGKILL, as in a crash, and wait until the process is gone. For fault tests. */
  kill(): Promise<void>;
  /** Start again on the same port with the same directory (a persistent server keeps its data). */
  restart(): Promise<void>;
  /** Shut down for good (SIGTERM, then SIGKILL after 5 s) and remove the directory. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Append-only file with fsync on every write, so data survives kill() + restart(). */
  persistent?: boolean;
}

const READY_LINE = 'Ready to accept connections';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const FORBIDDEN_PORT = 6379;

// ---------------------------------------------------------------------------------------------
// Children die with us.

const live = new Set<ChildProcess>();
const dirs = new Set<string>();

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also runs after an uncaught exception; kill() is synchronous, so it works here.
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      process.removeListener(signal, onSignal);
      // Do not swallow the signal: if nobody else handles it, die of it as we would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Guards against Node being SIGKILLed: `cat` ends when our end of its stdin closes, then the
 * server is killed and its directory removed.
 */
function spawnWatchdog(pid: number, dir: string): ChildProcess {
  const script = 'cat >/dev/null; kill -9 "$1" 2>/dev/null; rm -rf "$2"';
  const watchdog = spawn('sh', ['-c', script, 'redis-watchdog', String(pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {}); // best effort: the exit hook still covers the usual cases
  watchdog.stdin?.on('error', () => {});
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function dismissWatchdog(watchdog: ChildProcess): void {
  // Kill the shell first so that closing the pipe cannot trigger its `kill -9` on a reused pid;
  // the orphaned `cat` then exits on EOF.
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // gone
  }
  watchdog.stdin?.destroy();
}

// ---------------------------------------------------------------------------------------------

/** A free loopback port (never 6379: the machine's own Redis is not ours to touch). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const address = srv.address();
        const p = typeof address === 'object' && address !== null ? address.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 0 && port !== FORBIDDEN_PORT) return port;
  }
}

function redisArgs(port: number, dir: string, persistent: boolean): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no', '--dir', dir];
  if (persistent) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  return args;
}

interface Running {
  child: ChildProcess;
  watchdog: ChildProcess;
  exited: Promise<void>;
}

class StartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

/** Spawns redis-server and resolves once it accepts connections. */
function launch(port: number, dir: string, persistent: boolean): Promise<Running> {
  if (port === FORBIDDEN_PORT) throw new Error('refusing to start redis-server on port 6379');
  installExitHooks();
  return new Promise<Running>((resolve, reject) => {
    const child = spawn('redis-server', redisArgs(port, dir, persistent), { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let output = '';
    let ready = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const exited = new Promise<void>((res) => {
      child.once('exit', () => {
        live.delete(child);
        res();
      });
    });

    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
      reject(err);
    };

    const onData = (chunk: Buffer): void => {
      if (ready) return; // keep draining the pipe, so redis never blocks on a full one
      output = (output + chunk.toString()).slice(-8000);
      if (output.includes(READY_LINE)) {
        ready = true;
        settled = true;
        clearTimeout(timer);
        const watchdog = spawnWatchdog(child.pid as number, dir);
        child.once('exit', () => dismissWatchdog(watchdog));
        // A running server must not keep the process alive (the exit hook cleans up); while it
        // was starting, the pending start did.
        child.unref();
        for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
        resolve({ child, watchdog, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);

    child.once('error', (err: NodeJS.ErrnoException) => {
      live.delete(child);
      fail(
        err.code === 'ENOENT'
          ? new Error('redis-server is not installed (Debian: apt-get install -y redis-server)')
          : new Error(`could not start redis-server: ${err.message}`),
      );
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      fail(
        new StartError(
          `redis-server on port ${port} exited before it was ready (code ${code}, signal ${signal}). Its output:\n${output.trim()}`,
          /address already in use/i.test(output),
        ),
      );
    });
    timer = setTimeout(() => {
      fail(
        new Error(
          `redis-server on port ${port} did not print "${READY_LINE}" within ${READY_TIMEOUT_MS / 1000} s. Its output:\n${output.trim()}`,
        ),
      );
    }, READY_TIMEOUT_MS);
  });
}

async function terminate(run: Running, signal: NodeJS.Signals): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill(signal);
  if (signal === 'SIGKILL') return run.exited;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((res) => {
    timer = setTimeout(() => res('timeout'), STOP_TIMEOUT_MS);
  });
  const result = await Promise.race([run.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    run.child.kill('SIGKILL');
    await run.exited;
  }
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const persistent = opts.persistent ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'pandu-redis-'));
  dirs.add(dir);

  // Another process may grab the port between freePort() and redis binding it: try a few.
  let port = 0;
  let run: Running | undefined;
  for (let attempt = 1; run === undefined; attempt++) {
    port = await freePort();
    try {
      run = await launch(port, dir, persistent);
    } catch (err) {
      if (!(err instanceof StartError && err.portInUse) || attempt >= 5) {
        dirs.delete(dir);
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  let current: Running | undefined = run;
  let stopped = false;

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return current !== undefined && current.child.exitCode === null && current.child.signalCode === null
        ? current.child.pid
        : undefined;
    },
    async kill() {
      if (current) await terminate(current, 'SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): start a new server instead');
      if (current) await terminate(current, 'SIGTERM');
      current = undefined;
      // The port was ours a moment ago; retry briefly in case the kernel has not released it.
      for (let attempt = 1; ; attempt++) {
        try {
          current = await launch(port, dir, persistent);
          return;
        } catch (err) {
          if (!(err instanceof StartError && err.portInUse) || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (current) await terminate(current, 'SIGTERM');
      current = undefined;
      dirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
