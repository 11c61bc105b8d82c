// Normalisation of informal Indonesian (and mixed English) chat text. Pure: the same text and
// lexicon always give the same result; no I/O here (the lexicon is read by lexicon.ts).
//
//   "Kpn gelombang brkt min?? 🙏🙏"  ->  "kapan gelombang berangkat admin"
//   "sy udh lolos tp saldo blm masuk" -> "saya sudah lolos tapi saldo belum masuk"
//   "kedip2 terus tp gagalll"         -> "kedip kedip terus tapi gagal"

export interface Lexicon {
  /** One word to its replacement (one or more words): "gk" -> "tidak", "gmn" -> "bagaimana". */
  words: ReadonlyMap<string, string>;
  /** Word sequences to their replacement, longest first when applied: "no hp" -> "nomor hp". */
  phrases: ReadonlyMap<string, string>;
  /** Words that are spelled right as they are: repeated-letter repair never changes them ("kk"). */
  known: ReadonlySet<string>;
}

export const EMPTY_LEXICON: Lexicon = { words: new Map(), phrases: new Map(), known: new Set() };

// Zero-width, bidi and other invisible marks; variation selectors and emoji modifiers.
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\u0000-\u001f\u007f]/g;
// Pictographs, symbols and emoji parts (skin tones, tags, keycaps) become spaces.
const EMOJI = /[\p{Extended_Pictographic}\p{So}\p{Sk}\u{1f3fb}-\u{1f3ff}\u{e0020}-\u{e007f}\u20e3]/gu;
const APOSTROPHE = /['\u2018\u2019\u02bc`´]/g;
// Reduplication written with a 2: "kedip2", "hati2", "kapan2" (letters only before the 2).
const DOUBLED = /(?<![\p{L}\p{N}])(\p{L}{2,})2(?![\p{L}\p{N}])/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;
const LETTER_DIGIT = /(\p{L})(?=\p{N})|(\p{N})(?=\p{L})/gu;
const RUN3 = /(\p{L})\1{2,}/gu;
const HAS_RUN3 = /(\p{L})\1{2,}/u;
const RUN2 = /(\p{L})\1/gu;

/**
 * Lowercase; drop invisible marks, emoji and punctuation; expand "kata2" to "kata kata"; split
 * "gel48" into "gel 48"; repair stretched words ("bangettt", "tolongg"); apply the lexicon's
 * phrases and words. Returns the words joined by single spaces ("" for nothing left).
 */
export function normalize(text: string, lex: Lexicon = EMPTY_LEXICON): string {
  const base = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE, '')
    .replace(EMOJI, ' ')
    .replace(APOSTROPHE, '')
    .replace(DOUBLED, '$1 $1')
    .replace(NOT_WORD, ' ')
    .replace(LETTER_DIGIT, '$1$2 ')
    .trim();
  if (base === '') return '';
  const words = base.split(' ').map((w) => repairStretched(w, lex.known));
  return applyLexicon(words, lex).join(' ');
}

/** The words of a text as `normalize` leaves them. */
export function words(text: string, lex: Lexicon = EMPTY_LEXICON): string[] {
  const n = normalize(text, lex);
  return n === '' ? [] : n.split(' ');
}

/**
 * Stretched letters: a run of three or more is a stretch ("bangettt", "gimanaaa"); it is cut to
 * whichever of one or two letters gives a known word, else to one. A doubled letter is cut to one
 * only when that gives a known word and the doubled form is not known ("kakk" -> "kak", "yaa" ->
 * "ya", but "kk", "maaf", "saat" stay).
 */
export function repairStretched(w: string, known: ReadonlySet<string>): string {
  if (w.length < 2 || /\p{N}/u.test(w)) return w;
  if (known.has(w)) return w;
  if (HAS_RUN3.test(w)) {
    const two = w.replace(RUN3, '$1$1');
    const one = w.replace(RUN3, '$1');
    if (known.has(one)) return one;
    if (known.has(two)) return two;
    const fixed = collapseDoubles(one, known);
    return fixed ?? one;
  }
  return collapseDoubles(w, known) ?? w;
}

/** Try cutting each doubled letter (one at a time, then all) until a known word appears. */
function collapseDoubles(w: string, known: ReadonlySet<string>): string | null {
  if (known.has(w)) return w;
  const runs: number[] = [];
  for (let i = 1; i < w.length; i++) if (w[i] === w[i - 1] && /\p{L}/u.test(w[i]!)) runs.push(i);
  if (runs.length === 0) return null;
  for (const i of runs) {
    const cand = w.slice(0, i) + w.slice(i + 1);
    if (known.has(cand)) return cand;
  }
  const all = w.replace(RUN2, '$1');
  return known.has(all) ? all : null;
}

/** Phrases first (longest match at each position, up to 4 words), then single words. */
function applyLexicon(ws: string[], lex: Lexicon): string[] {
  const out: string[] = [];
  const maxLen = 4;
  let i = 0;
  while (i < ws.length) {
    let done = false;
    if (lex.phrases.size) {
      for (let n = Math.min(maxLen, ws.length - i); n >= 2; n--) {
        const rep = lex.phrases.get(ws.slice(i, i + n).join(' '));
        if (rep !== undefined) {
          if (rep !== '') out.push(...rep.split(' '));
          i += n;
          done = true;
          break;
        }
      }
    }
    if (done) continue;
    const w = ws[i]!;
    const rep = lex.words.get(w);
    if (rep === undefined) out.push(w);
    else if (rep !== '') out.push(...rep.split(' '));
    i++;
  }
  return out;
}
