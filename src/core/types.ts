// The channel-neutral vocabulary of Pandu: what comes in, what goes out, what is kept per chat.
// Every channel translates to and from these; the engine never sees a platform type.
import { z } from 'zod';

export const LANGS = ['id', 'en'] as const;
export const LangSchema = z.enum(LANGS);
export type Lang = z.infer<typeof LangSchema>;

export const ChannelSchema = z.enum(['telegram', 'whatsapp', 'console']);
export type Channel = z.infer<typeof ChannelSchema>;

export const MediaKindSchema = z.enum(['photo', 'sticker', 'voice', 'audio', 'video', 'document', 'location', 'contact', 'other']);
export type MediaKind = z.infer<typeof MediaKindSchema>;

/** What the user did. A button press carries the ask it answered, so a stale button is harmless. */
export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('choice'), ask: z.number().int(), id: z.string() }),
  z.object({ type: z.literal('start'), payload: z.string().optional() }),
  z.object({ type: z.literal('media'), kind: MediaKindSchema }),
  // A phone number proven by possession (Telegram's "share my contact" of the sender's own
  // contact, or the WhatsApp sender's number). `own` is false when someone else's contact was shared.
  z.object({ type: z.literal('contact'), phone: z.string(), own: z.boolean() }),
  // The result of an effect the engine asked for, fed back into step by the runtime.
  z.object({ type: z.literal('effect'), name: z.string(), result: z.unknown() }),
]);
export type InboundEvent = z.infer<typeof EventSchema>;

export const InboundSchema = z.object({
  channel: ChannelSchema,
  /** Stable, non-personal id of the chat on its channel (WhatsApp numbers are hashed before this). */
  chatId: z.string().min(1),
  userId: z.string().min(1),
  /** Platform message id, used to drop platform retries. */
  messageId: z.string().optional(),
  /** Language the platform reports for the user (e.g. Telegram's language_code). */
  langHint: z.string().optional(),
  /** Unix ms when the platform says the message was sent. */
  sentAt: z.number().optional(),
  event: EventSchema,
});
export type Inbound = z.infer<typeof InboundSchema>;

export const ChoiceSchema = z.object({ id: z.string(), label: z.string() });
export type Choice = z.infer<typeof ChoiceSchema>;

export const ReplySchema = z.object({
  text: z.string().min(1),
  /** Options the user may pick; channels render them (keyboard, numbered list). */
  choices: z.array(ChoiceSchema).optional(),
  /** The ask these choices answer (session.ask at the time); channels put it in button data. */
  ask: z.number().int().optional(),
  /** Ask the channel to offer a "share my phone number" control (Telegram). */
  requestContact: z.boolean().optional(),
  /**
   * The language the text is in (the session's language when step said it). Channels use it for
   * what they add themselves ("Balas 1, 2 atau 3" / "Reply 1, 2 or 3", button labels), so they
   * never need the session. Unset on texts a channel makes up itself.
   */
  lang: LangSchema.optional(),
});
export type Reply = z.infer<typeof ReplySchema>;

/** A value the user gave at a step. Kept small: sessions must stay well under 1 KB. */
export const AnswerSchema = z.union([z.string(), z.number(), z.boolean()]);
export type Answer = z.infer<typeof AnswerSchema>;

export const PlaceSchema = z.object({ flow: z.string(), step: z.string() });
export type Place = z.infer<typeof PlaceSchema>;

/** Something the session is waiting for besides the current step's answer. */
export const PendingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('language') }),
  z.object({ kind: z.literal('confirmDelete') }),
  // "Maksud Anda: 1 ... 2 ...?" — the guesses offered, as intent ids.
  z.object({ kind: z.literal('clarify'), options: z.array(z.string()).max(4) }),
]);
export type Pending = z.infer<typeof PendingSchema>;

export const SESSION_VERSION = 1;
export const HISTORY_LIMIT = 12;
export const SEEN_LIMIT = 8;
/** Return points kept at most (nested detours): `ret` plus up to RETURN_LIMIT - 1 in `rets`. */
export const RETURN_LIMIT = 4;
/** Answers of `personal` steps are dropped when a session comes back after this long without activity. */
export const PERSONAL_TTL_MS = 15 * 60_000;

export const SessionSchema = z.object({
  v: z.literal(SESSION_VERSION),
  lang: LangSchema,
  /** Where the user is. */
  at: PlaceSchema,
  /** Answers of the flow in progress, keyed by the step's `save` name. Cleared when a flow ends. */
  answers: z.record(z.string(), AnswerSchema),
  /** Earlier asks in this flow, for "kembali". Bounded so a long session never grows. */
  hist: z.array(PlaceSchema).max(HISTORY_LIMIT),
  /**
   * The return stack of detours (a jump to a problem fix, to a person...), where `$return` goes.
   * `ret` is its top: the place the innermost detour started from (the helpdesk reads it as "where
   * the user was"). `rets` holds the return points beneath it, oldest first. Bounded: see RETURN_LIMIT.
   */
  ret: PlaceSchema.optional(),
  rets: z.array(PlaceSchema).max(RETURN_LIMIT - 1).optional(),
  pending: PendingSchema.optional(),
  /** Counter of questions asked; buttons carry it so an old button cannot answer a new question. */
  ask: z.number().int().nonnegative(),
  /** Recent platform message ids, to drop retries. */
  seen: z.array(z.string()).max(SEEN_LIMIT),
  /** Extension slots for later capabilities (handoff ticket id, lookup attempts...). */
  ext: z.record(z.string(), z.unknown()).optional(),
  /** Unix ms of the last change. */
  ts: z.number(),
});
export type Session = z.infer<typeof SessionSchema>;

/** Work the engine asks the runtime to do; results return as an `effect` event. */
export const EffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('deleteUserData') }),
  z.object({ type: z.literal('call'), name: z.string(), args: z.record(z.string(), z.unknown()) }),
]);
export type Effect = z.infer<typeof EffectSchema>;

export interface StepResult {
  session: Session;
  replies: Reply[];
  effects: Effect[];
  /** True when the input was a platform retry already applied: nothing changed, nothing to send. */
  duplicate?: boolean;
  /** True when the input changed nothing (a stray effect result): the stored session stays as it was, or absent. */
  unchanged?: boolean;
}
