// A light, conservative stemmer for Indonesian (with a few English endings), so "pendaftaran",
// "mendaftar", "terdaftar" and "daftarkan" meet at "daftar". It only has to be consistent: the
// same rules run over the examples and over what people type, and the matcher indexes every word
// both as written and as stemmed, so a rare wrong cut costs little. Pure.

const MIN_ROOT = 4;
/** Words that only look affixed ("sekolah" is not "seko" + "-lah"). */
const KEEP = new Set([
  'sekolah', 'masalah', 'salah', 'kalah', 'olah', 'telah', 'lelah', 'istilah', 'allah', 'sejarah',
  'berapa', 'beli', 'bentar', 'dinas', 'diri', 'dia', 'dian', 'kerja', 'kenal', 'tertentu', 'pesan',
  'perlu', 'persen', 'penting', 'pending', 'mengapa', 'menu', 'teman', 'bulan', 'jalan', 'tahan',
  'makan', 'ikan', 'bukan', 'depan', 'kirim', 'terima', 'terus', 'ketik', 'kecil', 'kelas', 'keluarga',
  'selesai', 'semua', 'sedang', 'sesuai', 'sehingga', 'setiap', 'status', 'datang', 'uang', 'pulang',
  'sayang', 'ulang', 'tunggu', 'perempuan', 'pertama', 'beda', 'berat', 'besar', 'belum', 'benar',
  'berita', 'bersih', 'dengan', 'dapat', 'email', 'kembali', 'pelan', 'keluar', 'kepala', 'kemana',
  'mengenai', 'tetap', 'tengah', 'tapi', 'perangkat', 'pegawai', 'peserta', 'pemerintah', 'penerima',
]);
const VOWEL = /^[aiueo]/;

/**
 * The stem of one lowercase word. `known` (words seen in the examples) picks between the
 * possible roots of a nasal prefix: "menipu" -> "tipu" when "tipu" is known.
 */
export function stem(w: string, known?: ReadonlySet<string>): string {
  if (w.length <= MIN_ROOT + 1 || KEEP.has(w) || /\d/.test(w)) return w;
  const en = englishStem(w);
  if (en !== w) return en;
  const s1 = stripSuffixes(w);
  const p1 = stripPrefixes(s1, known);
  if (p1 !== s1) return p1;
  if (s1 !== w) {
    // "ditahan": "-an" then "di-" leaves too little ("tah"); the prefix alone gives "tahan".
    const p2 = stripPrefixes(w, known);
    if (p2 !== w) return p2;
  }
  return s1;
}

function englishStem(w: string): string {
  // Only words that are plainly English by their ending; Indonesian words rarely end like these.
  if (/(?:tion|sion)s?$/.test(w)) return w.replace(/s$/, '');
  if (w.length >= 7 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length >= 6 && /[^e]ed$/.test(w)) return w.slice(0, -2);
  if (w.length >= 6 && /ied$/.test(w)) return w.slice(0, -3) + 'y';
  return w;
}

function stripSuffixes(w: string): string {
  let s = w;
  if (s.endsWith('nya') && s.length - 3 >= MIN_ROOT) s = s.slice(0, -3);
  // Of the particles only "-kah" is cut: "-lah" endings are mostly part of the word ("masalah").
  if (s.endsWith('kah') && s.length - 3 >= MIN_ROOT) s = s.slice(0, -3);
  if (KEEP.has(s)) return s;
  if (s.endsWith('kan') && s.length - 3 >= MIN_ROOT) return s.slice(0, -3);
  if (s.endsWith('an') && s.length - 2 >= MIN_ROOT) return s.slice(0, -2);
  return s;
}

function stripPrefixes(w: string, known?: ReadonlySet<string>): string {
  let s = w;
  for (let round = 0; round < 2; round++) {
    if (KEEP.has(s)) break;
    const next = stripPrefix(s, known);
    if (next === s || next.length < MIN_ROOT) break;
    s = next;
  }
  return s;
}

function pick(cands: string[], known?: ReadonlySet<string>): string {
  if (known) for (const c of cands) if (known.has(c)) return c;
  return cands[0]!;
}

function stripPrefix(s: string, known?: ReadonlySet<string>): string {
  const rest = (n: number) => s.slice(n);
  // meN- / peN- with their sound changes.
  for (const p of ['me', 'pe']) {
    if (!s.startsWith(p)) continue;
    const r = s.slice(2);
    if (r.startsWith('ny') && VOWEL.test(r.slice(2))) return pick(['s' + r.slice(2), r.slice(2)], known);
    if (r.startsWith('ng')) {
      const q = r.slice(2);
      if (VOWEL.test(q)) return pick(['k' + q, q], known);
      if (/^[ghk]/.test(q)) return q;
    }
    if (r.startsWith('m')) {
      const q = r.slice(1);
      if (VOWEL.test(q)) return pick(['p' + q, 'm' + q], known);
      if (/^[bfpv]/.test(q)) return q;
    }
    if (r.startsWith('n')) {
      const q = r.slice(1);
      if (VOWEL.test(q)) return pick(['t' + q, 'n' + q], known);
      if (/^[cdjtsz]/.test(q)) return q;
    }
    if (p === 'pe' && r.startsWith('r') && !VOWEL.test(r.slice(1))) return rest(3); // per-
    if (/^[lrwy]/.test(r)) return r; // melihat, pelatih
  }
  if (s.startsWith('beker') || s.startsWith('peker')) return rest(2); // bekerja, pekerjaan
  if (s.startsWith('belajar')) return rest(3);
  if (s.startsWith('ber')) return rest(3);
  if (s.startsWith('ter')) return rest(3);
  if (s.startsWith('di')) return rest(2);
  if (s.startsWith('ke')) return rest(2);
  if (s.startsWith('se')) return rest(2);
  return s;
}

/**
 * Roots a word may have in informal (Jakarta, Javanese) spelling, most likely first: "batalin" ->
 * "batal", "nyambung" -> "sambung", "ngecek" -> "cek", "nanya" -> "tanya", "syarate" -> "syarat".
 * The caller keeps one only if it is a stem the examples use, so wrong guesses cost nothing.
 */
export function informalAlternatives(w: string): string[] {
  const out: string[] = [];
  const bases = [w];
  if (w.length >= 6 && w.endsWith('in')) bases.push(w.slice(0, -2)); // batalin, sambungin
  if (w.length >= 6 && w.endsWith('ne')) bases.push(w.slice(0, -2)); // carane, insentifne
  if (w.length >= 5 && /[^aiueo]e$/.test(w)) bases.push(w.slice(0, -1)); // syarate
  if (w.length >= 6 && /(?:ku|mu)$/.test(w)) bases.push(w.slice(0, -2)); // prakerjaku, akunmu
  for (const b of bases) {
    if (b !== w) out.push(b);
    for (const p of ['di', 'ke', 'ter']) if (b.startsWith(p) && b.length - p.length >= 4) out.push(b.slice(p.length));
    if (b.startsWith('nge') && b.length >= 6) out.push(b.slice(3));
    if (b.startsWith('ng') && VOWEL.test(b.slice(2))) out.push('k' + b.slice(2), b.slice(2));
    if (b.startsWith('ny') && VOWEL.test(b.slice(2))) out.push('s' + b.slice(2), 'c' + b.slice(2));
    if (b.startsWith('n') && VOWEL.test(b.slice(1)) && !b.startsWith('ng') && !b.startsWith('ny')) out.push('t' + b.slice(1));
    if (b.startsWith('m') && VOWEL.test(b.slice(1)) && b.length >= 5) out.push('p' + b.slice(1));
  }
  return out;
}
