// The user's side of the helpdesk hand-off: one action, `helpdeskHandoff` (flows/agent.yaml).
// Pure, like step: it reads the answers and the event and asks for the `helpdesk` effect; the
// service (service.ts) does the I/O and its result comes back into this action.
//
// The action waits on its step for the whole hand-off, so the engine hands it everything the user
// sends (global commands are handled by the engine first). It keeps its phase in two answers:
//
//   hdPhase = describe   asked for a one-line description; the next text opens the ticket
//           = open       a ticket is waiting or claimed: every text is relayed to staff (the
//                        `relay` effect) and the bot says NOTHING; "batal" leaves the queue
//           = rate       staff closed the ticket: a 1-5 rating, then back to where the user was
//   hdTicket = the ticket id
//
// Entering the step (or coming back to it) first asks for the chat's open ticket (`state`), so a
// user who went to the menu and asks for a person again finds their ticket, not a second one.
// Staff-side events arrive as pushed `helpdeskEvent` events; the action answers each one it
// accepts with an `ack` effect, which tells the service the user is still in the hand-off (a
// user who left it with "menu" gets no ack, and the service closes the ticket as "left").
//
// When the helpdesk is not there (no handler: console mode; Redis down), the user goes to the
// flow's `official` step: the official help channels, then back or to the menu.
import type { Action, ActionContext, ActionOutcome, Say } from '../core/engine.ts';
import { matchOption, normalizeAnswer, type OptionCandidate } from '../core/inputs.ts';
import { LANGS } from '../core/types.ts';
import { describeHours, formatWhen } from './hours.ts';
import {
  HELPDESK_EFFECT,
  HELPDESK_PUSH,
  HelpdeskPushSchema,
  HelpdeskResultSchema,
  type HelpdeskOp,
  type HelpdeskResult,
  type HoursView,
  type TicketView,
} from './protocol.ts';
import type { CloseReason } from './tickets.ts';

export const HANDOFF_ACTION = 'helpdeskHandoff';
export const PHASE = 'hdPhase';
export const TICKET = 'hdTicket';
const KEYS = [PHASE, TICKET];
/** The step of flows/agent.yaml with the official help channels (the fallback). */
export const OFFICIAL_STEP = 'official';

/** Whole messages that leave the queue or end the conversation (either language). */
export const CANCEL_WORDS = new Set(
  ['batal', '/batal', 'batalkan', 'cancel', '/cancel', 'keluar', 'keluar antrean', 'keluar antrian', 'stop', 'berhenti', 'tidak jadi', 'gak jadi', 'ga jadi', 'nggak jadi', 'end chat', 'leave queue'].map(
    normalizeAnswer,
  ),
);

export const RATING_IDS = ['r1', 'r2', 'r3', 'r4', 'r5', 'skip'] as const;

type Phase = 'describe' | 'open' | 'rate';

const WAIT: ActionOutcome = { await: true };

function call(op: HelpdeskOp): ActionOutcome {
  return { effects: [{ type: 'call', name: HELPDESK_EFFECT, args: op }], await: true };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isCancel(text: string): boolean {
  return CANCEL_WORDS.has(normalizeAnswer(text));
}

// ---- texts ------------------------------------------------------------------------------------

function hoursSay(ctx: ActionContext, h: HoursView): Say {
  const hours = describeHours(h.hours, ctx.lang);
  if (h.open) return { key: 'agent.hours.open', params: { hours } };
  const when = h.nextOpen !== undefined ? formatWhen(h.nextOpen, ctx.lang, h.hours.tz, ctx.now.getTime()) : '-';
  return { key: 'agent.hours.closed', params: { hours, when } };
}

function statusSay(ctx: ActionContext, t: TicketView, h: HoursView): Say[] {
  if (t.state === 'claimed') return [{ key: 'agent.status.claimed', params: { id: t.id, name: t.staff ?? '-' } }];
  const out: Say[] = [{ key: 'agent.status.waiting', params: { id: t.id, position: t.position ?? 1 } }];
  if (!h.open) out.push(hoursSay(ctx, h));
  return out;
}

function ratingChoices(ctx: ActionContext): { id: string; label: string }[] {
  return RATING_IDS.map((id) => ({ id, label: ctx.t(ctx.lang, `agent.rate.options.${id}`) }));
}

function rateAsk(ctx: ActionContext, before: Say[] = []): ActionOutcome {
  return { say: [...before, { key: 'agent.rate.ask' }], choices: ratingChoices(ctx) };
}

function closedSay(reason: CloseReason, minutes: number | undefined): Say {
  if (reason === 'staff') return { key: 'agent.closed.staff' };
  if (reason === 'idle') return { key: 'agent.closed.idle', params: { minutes: minutes ?? '-' } };
  return { key: 'agent.closed.other' };
}

/** Staff (or the idle timer) closed the ticket: say so and ask for a rating. */
function closedOutcome(ctx: ActionContext, reason: CloseReason, minutes: number | undefined): ActionOutcome {
  return { ...rateAsk(ctx, [closedSay(reason, minutes)]), set: { [PHASE]: 'rate' } };
}

/** Back to where the user was when they asked for a person (or the menu). */
function resume(say: Say[]): ActionOutcome {
  return { say, forget: KEYS, next: '$return' };
}

function official(): ActionOutcome {
  return { say: [{ key: 'agent.unavailable' }], forget: KEYS, next: OFFICIAL_STEP };
}

// ---- the action -------------------------------------------------------------------------------

export const helpdeskHandoff: Action = (ctx) => {
  const ev = ctx.event;
  const phase = str(ctx.answers[PHASE]) as Phase | undefined;
  const ticket = str(ctx.answers[TICKET]);

  if (ev?.type === 'effect') {
    if (ev.name === HELPDESK_EFFECT) {
      const r = HelpdeskResultSchema.safeParse(ev.result);
      return onResult(ctx, r.success ? r.data : { error: 'malformed' }, phase);
    }
    if (ev.name === HELPDESK_PUSH) return onPush(ctx, ev.result, phase, ticket);
    return WAIT; // an effect of someone else's: nothing to say
  }

  if (!ev) {
    // Entering the step, or back at it after a command (help, language...).
    if (!phase || !ctx.restate) return call({ op: 'state' });
    if (phase === 'describe') return { say: [{ key: 'agent.describe.again' }], await: true };
    if (phase === 'rate') return rateAsk(ctx);
    return call({ op: 'state' }); // say again where the user is in the queue
  }

  switch (phase) {
    case 'describe': {
      if (ev.type === 'text') {
        if (isCancel(ev.text)) return resume([{ key: 'agent.cancelled' }]);
        if (normalizeAnswer(ev.text) === '') return { say: [{ key: 'agent.describe.again' }], await: true };
        return call({ op: 'open', description: ev.text });
      }
      return { say: [{ key: 'agent.describe.again' }], await: true };
    }
    case 'open': {
      // Silent: whatever the user sends goes to staff, and nothing is said back.
      if (ev.type === 'text') {
        if (isCancel(ev.text)) return call({ op: 'cancel' });
        return call({ op: 'relay', ticket, text: ev.text });
      }
      if (ev.type === 'media') return call({ op: 'relay', ticket, media: ev.kind });
      // A shared contact: staff learn that one was sent, never the number.
      if (ev.type === 'contact') return call({ op: 'relay', ticket, media: 'contact' });
      // An old button of the question before the hand-off: say where the user is instead.
      return call({ op: 'state' });
    }
    case 'rate': {
      const id = ev.type === 'choice' ? ev.id : ev.type === 'text' ? matchOption(ev.text, ratingCandidates(ctx)) : null;
      if (id === 'skip') return resume([{ key: 'agent.back' }]);
      const rating = id ? Number(id.slice(1)) : NaN;
      if (ticket && rating >= 1 && rating <= 5) return call({ op: 'rate', ticket, rating });
      // Anything else: no rating, and the user goes on.
      return resume([{ key: 'agent.back' }]);
    }
    default:
      return call({ op: 'state' });
  }
};

function ratingCandidates(ctx: ActionContext): OptionCandidate[] {
  return RATING_IDS.map((id) => ({ id, names: LANGS.map((l) => ctx.t(l, `agent.rate.options.${id}`)) }));
}

function onResult(ctx: ActionContext, r: HelpdeskResult, phase: Phase | undefined): ActionOutcome {
  if ('error' in r) {
    // Mid-conversation, a failed relay is said and the hand-off goes on; before it, the official channels.
    if (phase === 'open') return { say: [{ key: 'agent.relayFailed' }], await: true };
    if (phase === 'rate') return resume([{ key: 'agent.back' }]);
    return official();
  }
  switch (r.op) {
    case 'state':
      if (r.ticket) return { say: statusSay(ctx, r.ticket, r.hours), set: { [PHASE]: 'open', [TICKET]: r.ticket.id }, await: true };
      if (phase === 'open') return resume([{ key: 'agent.gone' }]); // closed while the user was away
      return { say: [{ key: 'agent.describe.ask' }], set: { [PHASE]: 'describe' }, forget: [TICKET], await: true };
    case 'open': {
      const set = { [PHASE]: 'open', [TICKET]: r.ticket.id };
      if (!r.created) return { say: statusSay(ctx, r.ticket, r.hours), set, await: true };
      const say: Say[] = [{ key: 'agent.opened', params: { id: r.ticket.id, position: r.ticket.position ?? 1 } }, hoursSay(ctx, r.hours), { key: 'agent.silent' }];
      return { say, set, await: true };
    }
    case 'relay':
      if (r.delivered) return WAIT;
      if (r.closed) return closedOutcome(ctx, r.closed.reason, r.closed.minutes);
      return resume([{ key: 'agent.gone' }]);
    case 'cancel':
      return resume([{ key: r.wasClaimed ? 'agent.ended' : 'agent.cancelled' }]);
    case 'rate':
      return resume([{ key: 'agent.rate.thanks' }, { key: 'agent.back' }]);
    case 'ack':
      return WAIT;
  }
}

function onPush(ctx: ActionContext, raw: unknown, phase: Phase | undefined, ticket: string | undefined): ActionOutcome {
  const r = HelpdeskPushSchema.safeParse(raw);
  // Not for the hand-off in progress (an old ticket, a repeated close): nothing to say, no ack.
  if (!r.success || phase !== 'open' || r.data.ticket !== ticket) return WAIT;
  const p = r.data;
  const ack: ActionOutcome = { effects: [{ type: 'call', name: HELPDESK_EFFECT, args: { op: 'ack', push: p.push } }], await: true };
  switch (p.kind) {
    case 'claimed':
      return { ...ack, say: [{ key: 'agent.claimed', params: { name: p.staff } }] };
    case 'staff':
      return { ...ack, say: [{ text: ctx.t(ctx.lang, 'agent.staffSays', { name: p.staff, text: p.text }) }] };
    case 'released':
      return { ...ack, say: [{ key: 'agent.released', params: { position: p.position ?? 1 } }] };
    case 'remind': {
      const say: Say[] = [{ key: 'agent.remind', params: { position: p.position ?? 1 } }];
      if (!p.hours.open) say.push(hoursSay(ctx, p.hours));
      return { ...ack, say };
    }
    case 'closed':
      return closedOutcome(ctx, p.reason, p.minutes);
  }
}

/** Register with the other actions: `{ ...createActions(...), ...helpdeskActions() }`. */
export function helpdeskActions(): Record<string, Action> {
  return { [HANDOFF_ACTION]: helpdeskHandoff };
}

/** Every text key the action may say (test/helpdesk-flow.test.ts checks each exists in every locale). */
export const HANDOFF_KEYS = [
  'agent.unavailable', 'agent.describe.ask', 'agent.describe.again', 'agent.cancelled', 'agent.ended', 'agent.gone',
  'agent.opened', 'agent.silent', 'agent.hours.open', 'agent.hours.closed', 'agent.status.waiting', 'agent.status.claimed',
  'agent.claimed', 'agent.staffSays', 'agent.released', 'agent.remind', 'agent.closed.staff', 'agent.closed.idle',
  'agent.closed.other', 'agent.rate.ask', 'agent.rate.thanks', 'agent.back', 'agent.relayFailed',
  ...RATING_IDS.map((id) => `agent.rate.options.${id}`),
] as const;
