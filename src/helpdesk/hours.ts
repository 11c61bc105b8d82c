// Helpdesk opening hours (HELPDESK_HOURS): parsing, "is it open now", "when does it open next",
// and the texts users and staff see. Pure: no clock of its own, no I/O.
//
// Format: one or more rules separated by ";", then an optional IANA time zone (default
// Asia/Jakarta). A rule is days and a time range:
//
//   Mon-Fri 08:00-17:00                                  weekdays, Jakarta time (WIB)
//   Mon-Fri 08:00-17:00; Sat 08:00-12:00 Asia/Jakarta    with a Saturday morning
//   Mon,Wed,Fri 09:00-15:00 Asia/Makassar                three days a week, WITA
//   daily 07:00-22:00                                    every day
//   always                                               around the clock (also "24/7")
//
// Days: Mon Tue Wed Thu Fri Sat Sun (or the Indonesian Sen Sel Rab Kam Jum Sab Min), single,
// comma-separated or as a range; "daily" for every day. Times are 24-hour HH:MM; the end may be
// 24:00; a range may not cross midnight (write two rules instead).
import type { Lang } from '../core/types.ts';

export interface HoursRule {
  /** Days of the week, 0 = Sunday ... 6 = Saturday. */
  days: number[];
  /** Minutes after local midnight: open from `from` (inclusive) to `to` (exclusive). */
  from: number;
  to: number;
}

export interface Hours {
  always: boolean;
  rules: HoursRule[];
  /** IANA time zone the rules are written in. */
  tz: string;
}

export const DEFAULT_TZ = 'Asia/Jakarta';
export const DEFAULT_HOURS_TEXT = 'Mon-Fri 08:00-17:00 Asia/Jakarta';

const DAY_NAMES: Record<string, number> = {
  sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6,
  min: 0, sen: 1, sel: 2, rab: 3, kam: 4, jum: 5, sab: 6,
};

export const HOURS_FORMAT_HELP =
  'opening hours such as "Mon-Fri 08:00-17:00 Asia/Jakarta" (rules separated by ";", days Mon..Sun or "daily", ' +
  '24-hour times, an optional IANA time zone at the end), or "always"';

export type ParsedHours = { ok: true; hours: Hours } | { ok: false; error: string };

export function parseHours(input: string): ParsedHours {
  let s = input.trim().replace(/\s+/g, ' ');
  if (s === '') return { ok: false, error: 'empty' };
  let tz = DEFAULT_TZ;
  const last = s.split(' ').pop()!;
  if (/^[A-Za-z_]+\/[A-Za-z_+\-/0-9]+$|^UTC$/.test(last)) {
    if (!validTimeZone(last)) return { ok: false, error: `unknown time zone "${last}"` };
    tz = last;
    s = s.slice(0, s.length - last.length).trim();
  }
  if (/^(always|24\/7)$/i.test(s)) return { ok: true, hours: { always: true, rules: [], tz } };
  if (s === '') return { ok: false, error: 'no days and times before the time zone' };
  const rules: HoursRule[] = [];
  for (const raw of s.split(';').map((r) => r.trim()).filter(Boolean)) {
    const m = /^(.+?)\s+(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})$/.exec(raw);
    if (!m) return { ok: false, error: `"${raw}" is not "<days> HH:MM-HH:MM"` };
    const days = parseDays(m[1]!);
    if (typeof days === 'string') return { ok: false, error: days };
    const from = Number(m[2]) * 60 + Number(m[3]);
    const to = Number(m[4]) * 60 + Number(m[5]);
    if (Number(m[3]) > 59 || Number(m[5]) > 59 || from >= 24 * 60 || to > 24 * 60) return { ok: false, error: `"${raw}" has a time that does not exist` };
    if (to <= from) return { ok: false, error: `"${raw}" ends before it starts (a range may not cross midnight)` };
    rules.push({ days, from, to });
  }
  if (rules.length === 0) return { ok: false, error: 'no rules' };
  return { ok: true, hours: { always: false, rules, tz } };
}

function parseDays(s: string): number[] | string {
  const t = s.trim().toLowerCase();
  if (t === 'daily' || t === 'every day' || t === 'setiap hari') return [0, 1, 2, 3, 4, 5, 6];
  const out = new Set<number>();
  for (const part of t.split(',').map((p) => p.trim())) {
    const [a, b] = part.split('-').map((p) => p.trim());
    const da = DAY_NAMES[(a ?? '').slice(0, 3)];
    if (da === undefined || !a || a.length < 3) return `unknown day "${a ?? part}"`;
    if (b === undefined) {
      out.add(da);
      continue;
    }
    const db = DAY_NAMES[b.slice(0, 3)];
    if (db === undefined || b.length < 3) return `unknown day "${b}"`;
    for (let d = da; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === db) break;
    }
  }
  return [...out].sort((x, y) => x - y);
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---- local time in a zone ------------------------------------------------------------------

interface Local {
  y: number;
  m: number;
  d: number;
  dow: number;
  minutes: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function localOf(ms: number, tz: string): Local {
  let f = partsFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    partsFormatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  return {
    y: Number(p.year),
    m: Number(p.month),
    d: Number(p.day),
    dow: DAY_NAMES[(p.weekday ?? 'sun').toLowerCase().slice(0, 3)] ?? 0,
    minutes: Number(p.hour) * 60 + Number(p.minute),
  };
}

/** The instant of local date y-m-d at `minutes` after midnight in `tz`. */
function instantOf(y: number, m: number, d: number, minutes: number, tz: string): number {
  const guess = Date.UTC(y, m - 1, d, 0, minutes);
  const offsetAt = (ms: number) => {
    const l = localOf(ms, tz);
    return Date.UTC(l.y, l.m - 1, l.d, 0, l.minutes) - Math.floor(ms / 60_000) * 60_000;
  };
  let t = guess - offsetAt(guess);
  const again = guess - offsetAt(t);
  if (again !== t) t = again;
  return t;
}

/** Is the helpdesk staffed at `ms`? */
export function isOpen(h: Hours, ms: number): boolean {
  if (h.always) return true;
  const l = localOf(ms, h.tz);
  return h.rules.some((r) => r.days.includes(l.dow) && l.minutes >= r.from && l.minutes < r.to);
}

/** When the current opening began (for reminders counted from the opening); undefined when closed or always open. */
export function windowStart(h: Hours, ms: number): number | undefined {
  if (h.always) return undefined;
  const l = localOf(ms, h.tz);
  const r = h.rules.find((x) => x.days.includes(l.dow) && l.minutes >= x.from && l.minutes < x.to);
  return r ? instantOf(l.y, l.m, l.d, r.from, h.tz) : undefined;
}

/** The next time the helpdesk opens after `ms` (undefined when it is always open or has no rules). */
export function nextOpening(h: Hours, ms: number): number | undefined {
  if (h.always || h.rules.length === 0) return undefined;
  const l = localOf(ms, h.tz);
  let best: number | undefined;
  for (let offset = 0; offset <= 7; offset++) {
    const day = new Date(Date.UTC(l.y, l.m - 1, l.d + offset));
    const dow = (l.dow + offset) % 7;
    for (const r of h.rules) {
      if (!r.days.includes(dow)) continue;
      const at = instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), r.from, h.tz);
      if (at > ms && (best === undefined || at < best)) best = at;
    }
    if (best !== undefined) return best;
  }
  return best;
}

// ---- texts ---------------------------------------------------------------------------------

const ZONE_ABBR: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

const WEEKDAYS: Record<Lang, string[]> = {
  id: ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};
const WEEKDAYS_SHORT: Record<Lang, string[]> = {
  id: ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'],
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
};
const MONTHS: Record<Lang, string[]> = {
  id: ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

export function zoneName(tz: string): string {
  return ZONE_ABBR[tz] ?? tz;
}

/** "08.00" (id) or "08:00" (en). */
export function clock(minutes: number, lang: Lang): string {
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return lang === 'id' ? `${hh}.${mm}` : `${hh}:${mm}`;
}

function dayList(days: number[], lang: Lang): string {
  const names = WEEKDAYS_SHORT[lang];
  if (days.length === 7) return lang === 'id' ? 'Setiap hari' : 'Every day';
  // Runs of consecutive days (Monday first, Sunday last, as people read a week).
  const order = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.includes(d));
  const runs: number[][] = [];
  for (const d of order) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (run && prev !== undefined && (prev + 1) % 7 === d && !(prev === 0)) run.push(d);
    else runs.push([d]);
  }
  return runs.map((r) => (r.length >= 3 ? `${names[r[0]!]}–${names[r[r.length - 1]!]}` : r.map((d) => names[d]).join(', '))).join(', ');
}

/** "Senin–Jumat 08.00–17.00 WIB" / "Mon–Fri 08:00–17:00 WIB". */
export function describeHours(h: Hours, lang: Lang): string {
  if (h.always) return lang === 'id' ? '24 jam setiap hari' : '24 hours, every day';
  const parts = h.rules.map((r) => `${dayList(r.days, lang)} ${clock(r.from, lang)}–${clock(r.to, lang)}`);
  return `${parts.join('; ')} ${zoneName(h.tz)}`;
}

/** "hari ini pukul 13.00 WIB", "besok pukul 08.00 WIB", "Senin, 24 November pukul 08.00 WIB" (and in English). */
export function formatWhen(ms: number, lang: Lang, tz: string, now: number): string {
  const at = localOf(ms, tz);
  const today = localOf(now, tz);
  const time = `${clock(at.minutes, lang)} ${zoneName(tz)}`;
  const dayNo = (l: Local) => Date.UTC(l.y, l.m - 1, l.d) / 86_400_000;
  const diff = dayNo(at) - dayNo(today);
  if (lang === 'id') {
    if (diff === 0) return `hari ini pukul ${time}`;
    if (diff === 1) return `besok pukul ${time}`;
    return `${WEEKDAYS.id[at.dow]}, ${at.d} ${MONTHS.id[at.m - 1]} pukul ${time}`;
  }
  if (diff === 0) return `today at ${time}`;
  if (diff === 1) return `tomorrow at ${time}`;
  return `${WEEKDAYS.en[at.dow]} ${at.d} ${MONTHS.en[at.m - 1]} at ${time}`;
}

/** "14.05" in the zone (for staff cards and transcripts). */
export function timeOfDay(ms: number, tz: string, lang: Lang = 'id'): string {
  return clock(localOf(ms, tz).minutes, lang);
}

/** "12 mnt", "2 jam 5 mnt", "3 hari" — an age for staff lists. */
export function ageText(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min} mnt`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} jam ${min % 60} mnt` : `${h} jam`;
  return `${Math.floor(h / 24)} hari`;
}
