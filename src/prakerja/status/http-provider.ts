// The http provider: the programme's own status API, when one is available.
//
// The contract Pandu expects (no public API exists yet, prakerja.md §7): the API keys records by
// the same HMAC of the NIK (the secret is shared with the programme), so no NIK travels:
//
//   POST {STATUS_API_URL}
//   Authorization: Bearer {STATUS_API_TOKEN}
//   Content-Type: application/json
//   {"nikHash": "<64 hex digits>"}
//
//   200 {"status": "Dijadwalkan", "name": "Budi S.", "phoneTag": "<16 hex>", "cardTag": "<16 hex>",
//        "amount": 600000, "scheduledDate": "2024-03-01", "paidDate": ..., "reason": ...}
//   404 no such participant
//
// Every answer is validated with zod. Each attempt has a 3 s timeout; 5xx, 429, timeouts and
// network errors are retried with exponential backoff; after N consecutive failed lookups a
// circuit breaker answers "unavailable" at once for a cool-down, then lets one trial through.
import { ProviderUnavailableError, type StatusProvider } from './provider.ts';
import { StatusRecordSchema, type StatusRecord } from './record.ts';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long the circuit stays open before one trial is let through. */
  cooldownMs: number;
  now?: () => number;
}

/** Closed: calls go through. Open: calls fail at once. Half-open: one trial decides. */
export class CircuitBreaker {
  private fails = 0;
  private openedAt = 0;
  private st: BreakerState = 'closed';
  private trial = false;
  private readonly now: () => number;

  constructor(private readonly o: BreakerOptions) {
    this.now = o.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.st === 'open' && this.now() - this.openedAt >= this.o.cooldownMs) return 'halfOpen';
    return this.st;
  }

  /** May a call go through now? In half-open state only one trial at a time. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.trial) return false;
    this.st = 'halfOpen';
    this.trial = true;
    return true;
  }

  success(): void {
    this.fails = 0;
    this.trial = false;
    this.st = 'closed';
  }

  failure(): void {
    this.fails++;
    const wasTrial = this.trial;
    this.trial = false;
    if (wasTrial || this.st === 'halfOpen' || this.fails >= this.o.failures) {
      this.st = 'open';
      this.openedAt = this.now();
    }
  }
}

export interface HttpProviderOptions {
  url: string;
  token: string;
  /** Per attempt, headers and body included. */
  timeoutMs?: number;
  /** Extra attempts after the first, on 5xx, 429, timeouts and network errors. */
  retries?: number;
  /** First backoff; doubles each retry, plus up to 50% jitter. */
  backoffMs?: number;
  breaker?: Partial<BreakerOptions>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Why one attempt failed, and whether another attempt may help. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

export class HttpStatusProvider implements StatusProvider {
  readonly kind = 'http' as const;
  readonly breaker: CircuitBreaker;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: HttpProviderOptions) {
    this.breaker = new CircuitBreaker({ failures: o.breaker?.failures ?? 5, cooldownMs: o.breaker?.cooldownMs ?? 30_000, now: o.breaker?.now ?? o.now });
    this.fetch = o.fetch ?? globalThis.fetch;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async lookup(nikHash: string): Promise<StatusRecord | null> {
    if (!this.breaker.tryAcquire()) throw new ProviderUnavailableError('status API circuit open');
    const retries = this.o.retries ?? 2;
    let last: AttemptError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const base = (this.o.backoffMs ?? 200) * 2 ** (attempt - 1);
        await this.sleep(base + Math.floor(Math.random() * base * 0.5));
      }
      try {
        const r = await this.attempt(nikHash);
        this.breaker.success();
        return r;
      } catch (err) {
        last = err instanceof AttemptError ? err : new AttemptError(`unexpected: ${(err as Error).message}`, false);
        if (!last.retryable) break;
      }
    }
    this.breaker.failure();
    throw new ProviderUnavailableError(`status API: ${last?.message ?? 'failed'}`);
  }

  private async attempt(nikHash: string): Promise<StatusRecord | null> {
    const timeoutMs = this.o.timeoutMs ?? 3_000;
    let res: Response;
    let body: string;
    try {
      res = await this.fetch(this.o.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ nikHash }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      body = await res.text();
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new AttemptError(`no answer within ${timeoutMs} ms`, true);
      throw new AttemptError(`network error (${(e.cause as { code?: string } | undefined)?.code ?? e.name})`, true);
    }
    if (res.status === 404) return null;
    if (res.status >= 500 || res.status === 429) throw new AttemptError(`HTTP ${res.status}`, true);
    if (res.status !== 200) throw new AttemptError(`HTTP ${res.status}`, false);
    if (body.length > MAX_BODY) throw new AttemptError('answer too large', false);
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      throw new AttemptError('answer is not valid JSON', false);
    }
    const r = StatusRecordSchema.safeParse(data);
    if (!r.success) throw new AttemptError(`answer does not match the expected record (${r.error.issues.map((i) => i.path.join('.') || 'record').join(', ')})`, false);
    return r.data;
  }

  async close(): Promise<void> {}
}
