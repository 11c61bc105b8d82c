// What an inline button carries back when pressed. Telegram allows 1-64 bytes of callback data.
//
//   c:<ask>:<choiceId>   a choice of question number <ask> (the engine ignores stale asks)
//   c:<ask>:#<index>     the same, when the id would not fit in 64 bytes: the option's position
//   t:<index>            a button of a reply that carried no ask: pressing it is like typing its label
//
// Pure: shared by render.ts (encoding) and inbound.ts (decoding).

export const CALLBACK_DATA_LIMIT = 64;

export type DecodedCallback =
  | { kind: 'choice'; ask: number; id: string }
  | { kind: 'index'; ask: number; index: number }
  | { kind: 'label'; index: number };

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export function encodeCallback(ask: number | undefined, id: string, index: number): string {
  if (ask === undefined || !Number.isSafeInteger(ask)) return `t:${index}`;
  const full = `c:${ask}:${id}`;
  if (id !== '' && !id.startsWith('#') && byteLength(full) <= CALLBACK_DATA_LIMIT) return full;
  return `c:${ask}:#${index}`;
}

export function decodeCallback(data: string | undefined): DecodedCallback | null {
  if (!data) return null;
  let m = /^c:(-?\d{1,16}):#(\d{1,3})$/.exec(data);
  if (m) return { kind: 'index', ask: Number(m[1]), index: Number(m[2]) };
  m = /^c:(-?\d{1,16}):(.+)$/s.exec(data);
  if (m) return { kind: 'choice', ask: Number(m[1]), id: m[2]! };
  m = /^t:(\d{1,3})$/.exec(data);
  if (m) return { kind: 'label', index: Number(m[1]) };
  return null;
}
