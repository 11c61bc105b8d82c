// Shared by the helpdesk tests (test/helpdesk-*.test.ts): the repository's engine with the
// hand-off action registered, a helpdesk on a given ticket store, and a staff side that records.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createUnderstander } from '../src/nlu/index.ts';
import type { Engine } from '../src/core/engine.ts';
import { loadEngine } from '../src/core/loader.ts';
import { createActions } from '../src/prakerja/actions.ts';
import { HANDOFF_ACTION, helpdeskActions } from '../src/helpdesk/actions.ts';
import { parseHours, type Hours } from '../src/helpdesk/hours.ts';
import { Helpdesk, type HelpdeskConfig, type StaffSide } from '../src/helpdesk/service.ts';
import { MemoryTicketStore, type Ticket, type TicketStore, type TranscriptEntry } from '../src/helpdesk/tickets.ts';
import type { MediaKind } from '../src/core/types.ts';
import { step } from '../src/core/step.ts';
import { HELPDESK_PUSH } from '../src/helpdesk/protocol.ts';

/**
 * flows/ with the hand-off flow. Until flows/agent.yaml is replaced by the staged
 * src/helpdesk/agent.yaml (with the action registered, in one change), a copy of flows/ with the
 * staged file in place; afterwards flows/ itself.
 */
export function handoffFlowsDir(): string {
  if (readFileSync('flows/agent.yaml', 'utf8').includes(HANDOFF_ACTION)) return 'flows';
  const dir = mkdtempSync(join(tmpdir(), 'pandu-hd-flows-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync('flows')) if (/\.ya?ml$/.test(f)) copyFileSync(join('flows', f), join(dir, f));
  copyFileSync('src/helpdesk/agent.yaml', join(dir, 'agent.yaml'));
  return dir;
}

let cached: Engine | undefined;
/** flows/, locales/ and the actions of the repository, plus helpdeskActions() (as src/app.ts will register them). */
export function helpdeskEngine(): Engine {
  cached ??= loadEngine({
    flowsDir: handoffFlowsDir(),
    localesDir: 'locales',
    actions: { ...createActions({ policyFile: 'policy/prakerja.yaml' }), ...helpdeskActions() },
    nlu: createUnderstander({ localesDir: 'locales' }),
    defaultLang: 'id',
  });
  return cached;
}

export function hours(spec: string): Hours {
  const r = parseHours(spec);
  if (!r.ok) throw new Error(r.error);
  return r.hours;
}

/** Monday 23 November 2026, 10.00 WIB: within the default opening hours. */
export const MONDAY_10_WIB = Date.UTC(2026, 10, 23, 3, 0);

export const CONFIG: HelpdeskConfig = {
  hours: hours('Mon-Fri 08:00-17:00 Asia/Jakarta'),
  remindAfterMs: 10 * 60_000,
  idleCloseMs: 30 * 60_000,
  sweepEveryMs: 30_000,
};

export type StaffCall =
  | { kind: 'opened'; ticket: Ticket }
  | { kind: 'userMessage'; ticket: Ticket; entry: TranscriptEntry; media?: MediaKind }
  | { kind: 'closed'; ticket: Ticket }
  | { kind: 'rated'; ticket: Ticket; rating: number }
  | { kind: 'repair'; ticket: Ticket }
  | { kind: 'undelivered'; ticket: Ticket; what: string };

/** A staff side that only records what the helpdesk told it. */
export class RecordingStaff implements StaffSide {
  readonly calls: StaffCall[] = [];
  async opened(ticket: Ticket) {
    this.calls.push({ kind: 'opened', ticket });
  }
  async userMessage(ticket: Ticket, entry: TranscriptEntry, media?: MediaKind) {
    this.calls.push({ kind: 'userMessage', ticket, entry, ...(media ? { media } : {}) });
  }
  async closed(ticket: Ticket) {
    this.calls.push({ kind: 'closed', ticket });
  }
  async rated(ticket: Ticket, rating: number) {
    this.calls.push({ kind: 'rated', ticket, rating });
  }
  async repair(ticket: Ticket) {
    this.calls.push({ kind: 'repair', ticket });
  }
  async undelivered(ticket: Ticket, what: string) {
    this.calls.push({ kind: 'undelivered', ticket, what });
  }
  of<K extends StaffCall['kind']>(kind: K): Extract<StaffCall, { kind: K }>[] {
    return this.calls.filter((c): c is Extract<StaffCall, { kind: K }> => c.kind === kind);
  }
}

export function makeHelpdesk(o: { logger: Logger; tickets?: TicketStore; now?: () => number; config?: Partial<HelpdeskConfig> }): Helpdesk {
  return new Helpdesk({ tickets: o.tickets ?? new MemoryTicketStore(), config: { ...CONFIG, ...o.config }, logger: o.logger, now: o.now });
}

/** Does the engine drop an effect event that reaches a step not waiting for one (a core patch proposed with this work)? */
export function coreDropsStrayEffects(): boolean {
  const engine = helpdeskEngine();
  const first = step(engine, null, { channel: 'console', chatId: 'x', userId: 'x', event: { type: 'start' } }, 0).session;
  const r = step(engine, first, { channel: 'console', chatId: 'x', userId: 'x', event: { type: 'effect', name: HELPDESK_PUSH, result: {} } }, 1);
  return r.replies.length === 0;
}

/** Does the engine hand media to a waiting action (the other proposed core patch)? */
export function coreRoutesMediaToActions(): boolean {
  const engine = helpdeskEngine();
  const s0 = step(engine, null, { channel: 'console', chatId: 'x', userId: 'x', event: { type: 'start' } }, 0).session;
  const at = { ...s0, at: { flow: 'agent', step: 'handoff' }, answers: { hdPhase: 'open', hdTicket: '1' } };
  const r = step(engine, at, { channel: 'console', chatId: 'x', userId: 'x', event: { type: 'media', kind: 'photo' } }, 1);
  return r.replies.length === 0 && r.effects.length === 1;
}
