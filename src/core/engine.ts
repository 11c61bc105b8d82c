// What `step` needs to know about the world: the validated flows, texts, actions and understanding.
// Built once at start-up (see loader.ts); immutable afterwards.
import type { Flow, Routes, Target } from './flow-schema.ts';
import type { Answer, Effect, InboundEvent, Lang, Session } from './types.ts';

export type Translate = (lang: Lang, key: string, params?: Record<string, unknown>) => string;

export const COMMANDS = ['menu', 'back', 'restart', 'help', 'language', 'langId', 'langEn', 'agent', 'delete'] as const;
export type Command = (typeof COMMANDS)[number];

/** A text the engine says: an i18n key with its values, or a finished text (e.g. from an action). */
export type Say = { key: string; params?: Record<string, unknown> } | { text: string };

export interface ActionContext {
  lang: Lang;
  answers: Readonly<Record<string, Answer>>;
  session: Readonly<Session>;
  /**
   * Unset when the step is entered. Set when the action waits on its step and something arrives:
   * the result of an effect it asked for, a text the user typed, a choice, a shared contact.
   */
  event?: InboundEvent;
  /**
   * True when the user is back at this waiting action after something else (help, a language
   * change, a question answered on the side): say again what it is waiting for.
   */
  restate: boolean;
  now: Date;
  t: Translate;
}

export interface ActionOutcome {
  say?: Say[];
  /** Where to go; must be one of the step's `exits` (or its `next`). Omitted: the step's `next`. */
  next?: Target;
  effects?: Effect[];
  /** Stay on this step until the effect's result (or a contact) comes back as an event. */
  await?: boolean;
  /** Answers to set, and answers to forget now (personal data is dropped as soon as it is used). */
  set?: Record<string, Answer>;
  forget?: string[];
  /** Choices offered with the last text, answered back into this action as a `choice` event. */
  choices?: { id: string; label: string }[];
  requestContact?: boolean;
}

export type Action = (ctx: ActionContext) => ActionOutcome;

/** The free-text understanding Pandu uses at the menu and mid-flow (src/nlu). */
export type Understanding = { kind: 'match'; intent: string } | { kind: 'unsure'; candidates: string[] } | { kind: 'none' };
export interface Understander {
  understand(text: string, lang: Lang): Understanding;
}

export interface Engine {
  flows: ReadonlyMap<string, Flow>;
  routes: Routes;
  actions: Readonly<Record<string, Action>>;
  t: Translate;
  /** Whole-message command aliases (normalized) to the command. */
  commands: ReadonlyMap<string, Command>;
  nlu: Understander;
  defaultLang: Lang;
}

export const MENU_FLOW = 'menu';
/** The flow the "petugas" command enters as a detour (replaced by the helpdesk hand-off later). */
export const AGENT_FLOW = 'agent';
