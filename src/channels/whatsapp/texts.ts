// The few texts only the WhatsApp channel says. Each can be overridden in the locales under the
// key shown (locales/<lang>/whatsapp.json -> "whatsapp.backlog"...); until then these are used.
import type { Translate } from '../../core/engine.ts';
import type { Lang } from '../../core/types.ts';

const FALLBACK = {
  'whatsapp.backlog': {
    id: 'Maaf baru membalas, Pandu sempat tidak aktif sehingga pesan Anda sebelumnya tidak terbaca. Silakan mulai lagi dari menu di bawah ini.',
    en: 'Sorry for the late reply: Pandu was offline, so your earlier messages were not read. Please start again from the menu below.',
  },
  'whatsapp.call': {
    id: 'Maaf, Pandu tidak bisa menerima telepon. Pandu hanya membaca pesan: silakan ketik pertanyaan Anda di sini, atau ketik *menu*.',
    en: 'Sorry, Pandu cannot take calls. Pandu only reads messages: please type your question here, or type *menu*.',
  },
  'whatsapp.useThisNumber': {
    id: 'Pakai nomor WhatsApp ini',
    en: 'Use this WhatsApp number',
  },
} as const satisfies Record<string, Record<Lang, string>>;

export type ChannelTextKey = keyof typeof FALLBACK;

export function channelText(t: Translate | undefined, lang: Lang, key: ChannelTextKey): string {
  if (t) {
    try {
      const s = t(lang, key);
      if (s && s !== key) return s;
    } catch {
      // fall back below
    }
  }
  return FALLBACK[key][lang];
}
