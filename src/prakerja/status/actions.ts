// The status flow's actions (flows/status.yaml). Pure, like step: they read the answers and the
// event, and ask the runtime for the `statusLookup` effect (service.ts), whose result comes back
// into the same action as an `effect` event.
//
//   statusCheckNik  after the NIK is typed: its structure (a friendly hint on a typo), then
//                   whether the user or the NIK is locked
//   statusByPhone   asks for the user's own phone number by possession (a `contact` event with
//                   own: true) and looks it up with it
//   statusByCard    looks up with the typed card number
//
// Privacy: the NIK and card number are answers saved with `personal: true`; whatever the outcome
// of a lookup, these actions `forget` them in the same turn. The phone number never enters the
// session at all: it goes from the contact event straight into the effect.
import type { Action, ActionContext, ActionOutcome, Say } from '../../core/engine.ts';
import type { Lang } from '../../core/types.ts';
import { checkNik, maskNik } from '../nik.ts';
import { normalizeCard, type DisplayRecord } from './record.ts';
import { LookupResultSchema, STATUS_EFFECT, type Factor, type LookupArgs, type LookupResult } from './service.ts';

/** Answer names used by flows/status.yaml. */
export const NIK_ANSWER = 'nik';
export const CARD_ANSWER = 'card';
const PERSONAL = [NIK_ANSWER, CARD_ANSWER];

/** Steps of flows/status.yaml the actions lead to (declared as `exits` there). */
const STEP = { nik: 'nik', factor: 'factor', card: 'card', after: 'after' } as const;

const WIB = 'Asia/Jakarta';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function call(args: LookupArgs): ActionOutcome {
  return { effects: [{ type: 'call', name: STATUS_EFFECT, args }], await: true };
}

function resultOf(ctx: ActionContext): LookupResult | undefined {
  const ev = ctx.event;
  if (ev?.type !== 'effect' || ev.name !== STATUS_EFFECT) return undefined;
  const r = LookupResultSchema.safeParse(ev.result);
  // A missing handler or a malformed result: treated like a source that cannot answer.
  return r.success ? r.data : { kind: 'unavailable' };
}

// ---- formatting -----------------------------------------------------------------------------

const locale = (lang: Lang) => (lang === 'id' ? 'id-ID' : 'en-GB');

export function formatRupiah(amount: number, lang: Lang): string {
  return `Rp${new Intl.NumberFormat(locale(lang)).format(amount)}`;
}

export function formatDate(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
}

/** "14.05 WIB", with the date when it is not today in WIB ("00.15 WIB, 4 Desember"). */
export function formatWib(ms: number, lang: Lang, now: Date): string {
  const time = new Intl.DateTimeFormat(locale(lang), { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: WIB }).format(new Date(ms));
  const day = (d: Date) => new Intl.DateTimeFormat(locale(lang), { day: 'numeric', month: 'long', timeZone: WIB }).format(d);
  const same = day(new Date(ms)) === day(now);
  return same ? `${time} WIB` : `${time} WIB, ${day(new Date(ms))}`;
}

/** The answer: the status, what it means, what to do, and the record's amount, dates and cause. */
export function formatAnswer(ctx: Pick<ActionContext, 'lang' | 't'>, r: DisplayRecord, nik: string): string {
  const t = (k: string, p?: Record<string, unknown>) => ctx.t(ctx.lang, k, p);
  const lines: string[] = [t('status.result.intro', { name: r.name, nik: maskNik(nik) })];
  if (r.status === 'paid') {
    lines.push(t('status.result.paid', { date: r.paidDate ? formatDate(r.paidDate, ctx.lang) : '-' }));
  } else {
    lines.push(t('status.result.label', { label: t(`status.labels.${r.status}.name`) }));
    if (r.scheduledDate) lines.push(t('status.result.scheduled', { date: formatDate(r.scheduledDate, ctx.lang) }));
    if (r.paidDate) lines.push(t('status.result.paidDate', { date: formatDate(r.paidDate, ctx.lang) }));
  }
  if (r.amount !== undefined) lines.push(t('status.result.amount', { amount: formatRupiah(r.amount, ctx.lang) }));
  if (r.reason) lines.push(t('status.result.reason', { reason: t(`status.reasons.${r.reason}`) }));
  const text = [lines.join('\n'), t(`status.labels.${r.status}.meaning`), t(`status.labels.${r.status}.todo`), t('status.result.note')];
  return text.join('\n\n');
}

/** What to say and where to go once a lookup is over; the personal answers go in every case. */
function finish(ctx: ActionContext, r: LookupResult, factor: Factor | undefined): ActionOutcome {
  const nik = str(ctx.answers[NIK_ANSWER]) ?? '';
  const say: Say[] = [];
  switch (r.kind) {
    case 'found':
      say.push({ text: formatAnswer(ctx, r.record, nik) });
      break;
    case 'notVerified':
      say.push({
        key: r.attemptsLeft > 1 ? 'status.fail.notVerified' : 'status.fail.notVerifiedLast',
        params: { factor: ctx.t(ctx.lang, `status.factorName.${factor ?? 'card'}`), left: r.attemptsLeft },
      });
      break;
    case 'locked':
      say.push({ key: 'status.locked', params: { time: formatWib(r.until, ctx.lang, ctx.now) } });
      break;
    case 'invalid':
      say.push({ key: 'status.fail.invalid' });
      break;
    default:
      say.push({ key: 'status.unavailable' });
  }
  say.push({ key: 'status.forgotten' });
  return { say, forget: PERSONAL, next: STEP.after };
}

// ---- the actions ----------------------------------------------------------------------------

const NIK_HINT_PARAMS = (c: ReturnType<typeof checkNik>): Record<string, unknown> =>
  !c.ok && c.reason === 'length' ? { digits: c.digits } : !c.ok && c.reason === 'province' ? { code: c.code } : {};

/** After the NIK: a structure check with a specific hint, then the lock precheck. */
export const statusCheckNik: Action = (ctx) => {
  const r = resultOf(ctx);
  if (r) {
    if (r.kind === 'clear') return { next: STEP.factor };
    return finish(ctx, r, undefined);
  }
  const nik = str(ctx.answers[NIK_ANSWER]);
  if (!nik) return { next: STEP.nik };
  const c = checkNik(nik);
  if (!c.ok) return { say: [{ key: `status.nik.bad.${c.reason}`, params: NIK_HINT_PARAMS(c) }], forget: [NIK_ANSWER], next: STEP.nik };
  return call({ op: 'precheck', nik: c.nik });
};

/** The user's own phone number, proven by possession (Telegram contact button, WhatsApp sender). */
export const statusByPhone: Action = (ctx) => {
  const r = resultOf(ctx);
  if (r) return finish(ctx, r, 'phone');
  const nik = str(ctx.answers[NIK_ANSWER]);
  if (!nik) return { say: [{ key: 'status.nik.again' }], next: STEP.nik };
  const ev = ctx.event;
  if (ev?.type === 'contact') {
    if (!ev.own) return { say: [{ key: 'status.phone.notOwn' }, { key: 'status.phone.ask' }], requestContact: true };
    return call({ op: 'lookup', nik, factor: 'phone', value: ev.phone });
  }
  // Entering the step, or anything else while waiting (a typed number proves nothing).
  return { say: [{ key: ev ? 'status.phone.again' : 'status.phone.ask' }], requestContact: true };
};

/** The typed 16-digit card number. */
export const statusByCard: Action = (ctx) => {
  const r = resultOf(ctx);
  if (r) return finish(ctx, r, 'card');
  const nik = str(ctx.answers[NIK_ANSWER]);
  if (!nik) return { say: [{ key: 'status.nik.again' }], forget: [CARD_ANSWER], next: STEP.nik };
  const card = normalizeCard(str(ctx.answers[CARD_ANSWER]) ?? '');
  if (!card) return { say: [{ key: 'status.card.bad' }], forget: [CARD_ANSWER], next: STEP.card };
  return call({ op: 'lookup', nik, factor: 'card', value: card });
};

/** Register in createActions: `...statusActions()`. */
export function statusActions(): Record<string, Action> {
  return { statusCheckNik, statusByPhone, statusByCard };
}
