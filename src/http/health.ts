// GET /healthz for load balancers, Docker's HEALTHCHECK and Kubernetes probes.
//
//   200 {"status":"ok","checks":{"redis":"ok","telegram":"ok"}}
//   503 {"status":"down","down":["redis"],"checks":{"redis":"down","telegram":"ok"}}
//   503 {"status":"stopping",...}   after markStopping(): a load balancer stops sending new work here
//
// Each check is a function the composition root supplies: the session store's ping (Redis, when
// configured), and one per channel (running or not). Checks run in parallel, each bounded by a
// timeout (a hung check counts as down), and never throw out of the handler.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HealthCheck = () => boolean | Promise<boolean>;

export interface HealthOptions {
  /** Named checks: "redis", "telegram", "whatsapp"... */
  checks: Record<string, HealthCheck>;
  /** How long one check may take before it counts as down. Default 1000 ms. */
  timeoutMs?: number;
}

export interface HealthReport {
  status: 'ok' | 'down' | 'stopping';
  checks: Record<string, 'ok' | 'down'>;
  down?: string[];
}

export interface Health {
  /** Add or replace a check (a channel started after the server). */
  set(name: string, check: HealthCheck): void;
  remove(name: string): void;
  /** From now on /healthz answers 503 "stopping" (graceful shutdown). */
  markStopping(): void;
  report(): Promise<HealthReport>;
  /** The request handler for GET /healthz. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export function createHealth(o: HealthOptions): Health {
  const checks = new Map(Object.entries(o.checks));
  const timeoutMs = o.timeoutMs ?? 1000;
  let stopping = false;

  const runOne = async (check: HealthCheck): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      return (await Promise.race([Promise.resolve().then(check), timeout])) === true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const report = async (): Promise<HealthReport> => {
    const names = [...checks.keys()];
    const results = await Promise.all(names.map((n) => runOne(checks.get(n)!)));
    const out: HealthReport = { status: 'ok', checks: {} };
    const down: string[] = [];
    names.forEach((n, i) => {
      out.checks[n] = results[i] ? 'ok' : 'down';
      if (!results[i]) down.push(n);
    });
    if (down.length) {
      out.status = 'down';
      out.down = down;
    }
    if (stopping) out.status = 'stopping';
    return out;
  };

  const handler = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: HealthReport;
    try {
      body = await report();
    } catch {
      body = { status: 'down', checks: {}, down: ['health'] };
    }
    res.statusCode = body.status === 'ok' ? 200 : 503;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify(body));
  };

  return {
    set: (name, check) => void checks.set(name, check),
    remove: (name) => void checks.delete(name),
    markStopping: () => {
      stopping = true;
    },
    report,
    handler,
  };
}
