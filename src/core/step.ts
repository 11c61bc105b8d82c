// step(engine, session, input) -> new session, replies, effects. Pure: no I/O, no clock of its own,
// the same arguments always give the same result. Almost every behaviour test lives on top of it.
import { AGENT_FLOW, MENU_FLOW, type Command, type Engine, type Say, type Translate } from './engine.ts';
import type { Flow, FlowStep, Target } from './flow-schema.ts';
import { looksLikeValue, normalizeAnswer, parseInput, parseYesNo, matchOption, type OptionCandidate } from './inputs.ts';
import { copyOwn, stepSession } from './session-clone.ts';
import {
  HISTORY_LIMIT,
  LANGS,
  PERSONAL_TTL_MS,
  RETURN_LIMIT,
  SEEN_LIMIT,
  SESSION_VERSION,
  type Choice,
  type Effect,
  type Inbound,
  type InboundEvent,
  type Lang,
  type Place,
  type Reply,
  type Session,
  type StepResult,
} from './types.ts';

/** Steps entered in one turn before we call it a loop in the flow data. */
const MAX_HOPS = 40;

export function newSession(engine: Engine, now: number): Session {
  const menu = mustFlow(engine, MENU_FLOW);
  return {
    v: SESSION_VERSION,
    lang: engine.defaultLang,
    at: { flow: MENU_FLOW, step: menu.start },
    answers: {},
    hist: [],
    ask: 0,
    seen: [],
    ts: now,
  };
}

export function step(engine: Engine, prev: Session | null, input: Inbound, now: number): StepResult {
  if (prev && input.messageId && prev.seen.includes(input.messageId)) {
    return { session: prev, replies: [], effects: [], duplicate: true };
  }
  if (input.event.type === 'effect') {
    // The result of an effect belongs to the action waiting for it. One that arrives anywhere else
    // (late, after the user moved on; a push for a hand-off that is over) is dropped silently:
    // nothing said, nothing changed, and no greeting for a chat that has no session.
    const base = prev ?? newSession(engine, now);
    if (!engine.flows.get(base.at.flow)?.steps[base.at.step]?.action) return { session: base, replies: [], effects: [], unchanged: true };
  }
  const turn = new Turn(engine, prev ?? newSession(engine, now), now);
  // Personal data is kept no longer than the step that needs it: after a pause the user has
  // left that step in all but name, so its personal answers go before anything else happens.
  if (prev && now - prev.ts > PERSONAL_TTL_MS) turn.dropPersonal();
  if (input.messageId) turn.s.seen = appendBounded(turn.s.seen, input.messageId, SEEN_LIMIT);
  if (!prev && input.event.type !== 'start' && input.event.type !== 'effect') {
    // A first message that is not /start still deserves a greeting before it is handled.
    turn.say({ key: 'common.welcome' });
    turn.welcomed = true;
  }
  turn.handle(input.event);
  return turn.result();
}

const personalCache = new WeakMap<Engine, ReadonlySet<string>>();

/** The answer names of every step marked `personal`, in any flow. */
export function personalAnswers(engine: Engine): ReadonlySet<string> {
  let names = personalCache.get(engine);
  if (!names) {
    const set = new Set<string>();
    for (const flow of engine.flows.values()) for (const st of Object.values(flow.steps)) if (st.personal && st.save) set.add(st.save);
    names = set;
    personalCache.set(engine, names);
  }
  return names;
}

/** `[...xs, x].slice(-limit)` without the two intermediate arrays. */
function appendBounded<T>(xs: readonly T[], x: T, limit: number): T[] {
  const out: T[] = [];
  for (let i = Math.max(0, xs.length + 1 - limit); i < xs.length; i++) out.push(xs[i]!);
  out.push(x);
  return out;
}

/**
 * What a step says that depends on nothing but the flow and the texts, kept per translation
 * function and step: texts and flows are fixed once loaded, so each is worked out once.
 */
interface StepTexts {
  /** The options typed answers are compared with; frozen, so matchOption keeps their normalized names. */
  options?: readonly OptionCandidate[];
  /** The hint for an invalid answer, by language and reason (its parameters come from the flow only). */
  hints?: Map<string, string>;
}
const stepTextsCache = new WeakMap<Translate, WeakMap<FlowStep, StepTexts>>();
const NO_OPTIONS: readonly OptionCandidate[] = Object.freeze([]);

function stepTexts(t: Translate, st: FlowStep): StepTexts {
  let byStep = stepTextsCache.get(t);
  if (!byStep) stepTextsCache.set(t, (byStep = new WeakMap()));
  let texts = byStep.get(st);
  if (!texts) byStep.set(st, (texts = {}));
  return texts;
}

function buildOptions(t: Translate, st: FlowStep): readonly OptionCandidate[] {
  const input = st.input;
  const candidate = (id: string, label: string, aliases: readonly string[] = []): OptionCandidate =>
    Object.freeze({ id, names: Object.freeze([...LANGS.map((l) => t(l, label)), ...aliases]) });
  if (input?.type === 'yesno') return Object.freeze([candidate('yes', 'common.yes'), candidate('no', 'common.no')]);
  if (input?.type !== 'choice') return NO_OPTIONS;
  return Object.freeze(input.options.map((o) => candidate(o.id, o.label, o.aliases)));
}

function samePlace(a: Place | undefined, b: Place | undefined): boolean {
  return !!a && !!b && a.flow === b.flow && a.step === b.step;
}

function mustFlow(engine: Engine, id: string): Flow {
  const f = engine.flows.get(id);
  if (!f) throw new Error(`flow "${id}" is not loaded`);
  return f;
}

class Turn {
  readonly s: Session;
  private replies: Reply[] = [];
  private effects: Effect[] = [];
  private hops = 0;
  /** This turn began with the welcome: an intent marked `greeting` needs no answer of its own. */
  welcomed = false;
  /** `s.answers` is this turn's own object, not still the one of the session step was given. */
  private ownAnswers = false;

  constructor(
    private readonly e: Engine,
    prev: Session,
    private readonly now: number,
  ) {
    this.s = stepSession(prev);
    this.s.ts = now;
  }

  /** The answers, to change: copied from the given session on the first change of the turn. */
  private answersToChange(): Session['answers'] {
    if (!this.ownAnswers) {
      this.s.answers = copyOwn(this.s.answers);
      this.ownAnswers = true;
    }
    return this.s.answers;
  }

  private clearAnswers(): void {
    this.s.answers = {};
    this.ownAnswers = true;
  }

  result(): StepResult {
    return { session: this.s, replies: this.replies, effects: this.effects };
  }

  /** Forget the answers of every `personal` step (see step()). */
  dropPersonal(): void {
    for (const name of personalAnswers(this.e)) if (Object.hasOwn(this.s.answers, name)) delete this.answersToChange()[name];
  }

  // ---- what happened ------------------------------------------------------------------------

  handle(ev: InboundEvent): void {
    switch (ev.type) {
      case 'start':
        return this.start(ev.payload);
      case 'text':
        return this.text(ev.text);
      case 'choice':
        return this.choice(ev.ask, ev.id);
      case 'media':
      case 'contact':
      case 'effect':
        // An action waiting on this step (a hand-off relaying to staff, a lookup waiting for a
        // contact, the effect it asked for) gets the event itself.
        if (this.step().action) return this.runAction(this.s.at, ev);
        if (ev.type === 'effect') return; // not reached: step() drops stray effects first
        this.say({ key: 'common.media' });
        return this.reask();
    }
  }

  private start(payload: string | undefined): void {
    this.s.pending = undefined;
    this.say({ key: 'common.welcome' });
    const link = payload ? this.e.routes.deeplinks[payload] : undefined;
    this.go(link ?? '$menu');
  }

  private text(raw: string): void {
    const key = commandKey(raw);
    const cmd = this.e.commands.get(key);
    // A command word that is also, word for word, an option of the question ("indonesia" where
    // the question is "Indonesia or abroad?") answers the question; "/id" is always the command.
    if (cmd && (raw.trim().startsWith('/') || !this.isOptionName(key))) return this.command(cmd);
    const p = this.s.pending;
    if (p) {
      const picked = matchOption(raw, this.pendingOptions());
      if (picked) return this.pendingAnswer(picked);
      if (p.kind === 'confirmDelete') {
        const yn = parseYesNo(raw);
        if (yn !== null) return this.pendingAnswer(yn ? 'yes' : 'no');
      }
      this.s.pending = undefined; // anything else: the user moved on; handle it normally
    }
    const st = this.step();
    // An action waiting on this step (a hand-off, a lookup) reads what the user types itself.
    if (st.action) return this.runAction(this.s.at, { type: 'text', text: raw });
    if (!st.input) return this.reask();
    const parsed = parseInput(st.input, raw, new Date(this.now), this.optionsOf(st));
    if (parsed.ok) return this.answer(st, parsed.value, parsed.optionId);
    // Not an answer to the question: maybe a question of its own ("kapan gelombang dibuka?").
    // Where a value is asked (a number, a date, a NIK), a failed attempt at it ("25,5", "dua
    // lima", "17 agustus") is not handed to the understander, and anything else leaves the
    // question only on a confident match; otherwise the hint asks again.
    const valueStep = st.input.type === 'integer' || st.input.type === 'date' || st.input.type === 'nik';
    if (!(valueStep && looksLikeValue(st.input, raw)) && this.understand(raw, valueStep)) return;
    this.invalid(st, parsed.reason);
  }

  private choice(ask: number, id: string): void {
    if (ask !== this.s.ask) {
      // A button from an earlier question: harmless, the user is shown where they are.
      this.say({ key: 'common.staleButton' });
      return this.reask();
    }
    if (this.s.pending) return this.pendingAnswer(id);
    const st = this.step();
    if (st.action) return this.runAction(this.s.at, { type: 'choice', ask, id });
    if (!st.input || (st.input.type !== 'choice' && st.input.type !== 'yesno')) return this.reask();
    if (st.input.type === 'yesno') {
      if (id !== 'yes' && id !== 'no') return this.reask();
      return this.answer(st, id === 'yes', id);
    }
    if (!st.input.options.some((o) => o.id === id)) return this.reask();
    this.answer(st, id, id);
  }

  // ---- global commands ----------------------------------------------------------------------

  private command(cmd: Command): void {
    this.s.pending = undefined;
    switch (cmd) {
      case 'menu':
        return this.go('$menu');
      case 'back':
        return this.back();
      case 'restart': {
        const flow = mustFlow(this.e, this.s.at.flow);
        this.clearAnswers();
        this.s.hist = [];
        this.clearReturns();
        this.say({ key: 'common.restarted' });
        return this.enter({ flow: flow.id, step: flow.start });
      }
      case 'help':
        this.say({ key: 'common.help' });
        return this.reask();
      case 'language':
        this.s.pending = { kind: 'language' };
        this.s.ask += 1;
        return this.emit(this.t('common.languageAsk'), this.pendingChoices());
      case 'langId':
      case 'langEn':
        return this.setLang(cmd === 'langEn' ? 'en' : 'id');
      case 'agent':
        if (this.s.at.flow === AGENT_FLOW) return this.reask();
        return this.go({ flow: AGENT_FLOW, detour: true });
      case 'delete':
        this.s.pending = { kind: 'confirmDelete' };
        this.s.ask += 1;
        return this.emit(this.t('common.deleteConfirm'), this.pendingChoices());
    }
  }

  private pendingOptions(): OptionCandidate[] {
    const p = this.s.pending;
    if (!p) return [];
    if (p.kind === 'language') {
      return [
        { id: 'id', names: ['bahasa indonesia', 'indonesia', 'indonesian', 'id', this.tIn('id', 'common.langName.id')] },
        { id: 'en', names: ['english', 'inggris', 'bahasa inggris', 'en', this.tIn('en', 'common.langName.en')] },
      ];
    }
    if (p.kind === 'confirmDelete') {
      return [
        { id: 'yes', names: LANGS.map((l) => this.tIn(l, 'common.deleteYes')) },
        { id: 'no', names: LANGS.map((l) => this.tIn(l, 'common.deleteNo')) },
      ];
    }
    return p.options.map((intent) => ({ id: intent, names: LANGS.map((l) => this.tIn(l, this.intentLabel(intent))) }));
  }

  private pendingChoices(): Choice[] {
    const p = this.s.pending;
    if (!p) return [];
    if (p.kind === 'language') {
      return [
        { id: 'id', label: this.tIn('id', 'common.langName.id') },
        { id: 'en', label: this.tIn('en', 'common.langName.en') },
      ];
    }
    if (p.kind === 'confirmDelete') {
      return [
        { id: 'yes', label: this.t('common.deleteYes') },
        { id: 'no', label: this.t('common.deleteNo') },
      ];
    }
    return p.options.map((intent) => ({ id: intent, label: this.t(this.intentLabel(intent)) }));
  }

  private pendingAnswer(id: string): void {
    const p = this.s.pending!;
    this.s.pending = undefined;
    if (p.kind === 'language') {
      if (id === 'id' || id === 'en') return this.setLang(id);
      return this.reask();
    }
    if (p.kind === 'confirmDelete') {
      if (id !== 'yes') {
        this.say({ key: 'common.deleteCancelled' });
        return this.reask();
      }
      // The runtime deletes everything held about this chat instead of saving the session.
      this.effects.push({ type: 'deleteUserData' });
      this.clearAnswers();
      this.s.hist = [];
      this.clearReturns();
      this.say({ key: 'common.deleted' });
      return;
    }
    if (p.options.includes(id)) return this.runIntent(id);
    this.reask();
  }

  private setLang(lang: Lang): void {
    this.s.lang = lang;
    this.say({ key: 'common.languageSet' });
    this.reask();
  }

  // ---- understanding free text --------------------------------------------------------------

  /**
   * Returns true when the text was understood as something other than an answer. `confidentOnly`:
   * no "Maksud Anda ...?" guesses, only a confident match counts.
   */
  private understand(raw: string, confidentOnly = false): boolean {
    const u = this.e.nlu.understand(raw, this.s.lang);
    if (u.kind === 'match' && this.e.routes.intents[u.intent]) {
      this.runIntent(u.intent);
      return true;
    }
    if (u.kind === 'unsure' && !confidentOnly) {
      const options = u.candidates.filter((c) => this.e.routes.intents[c]).slice(0, 3);
      if (options.length === 0) return false;
      this.s.pending = { kind: 'clarify', options };
      this.s.ask += 1;
      this.emit(this.t('common.clarify'), this.pendingChoices());
      return true;
    }
    return false;
  }

  private intentLabel(intent: string): string {
    return this.e.routes.intents[intent]?.label ?? 'common.menu';
  }

  private runIntent(intent: string): void {
    const route = this.e.routes.intents[intent];
    if (!route) return this.reask();
    if ('answer' in route) {
      if (route.greeting && this.welcomed) return this.reask(); // "halo" as a first message: the welcome said it
      this.say({ key: route.answer });
      if (this.s.at.flow !== MENU_FLOW) this.say({ key: 'common.backToQuestion' });
      return this.reask();
    }
    // Leaving a flow in the middle for something the user asked: come back afterwards.
    const midFlow = this.s.at.flow !== MENU_FLOW && typeof route.go === 'object';
    this.go(midFlow && typeof route.go === 'object' ? { ...route.go, detour: true } : route.go);
  }

  // ---- answering and moving -----------------------------------------------------------------

  private invalid(st: FlowStep, reason: string): void {
    // Every part of the hint (its key, its parameters) comes from the flow, never from the user,
    // so it is the same text each time for a step and language.
    const hints = (stepTexts(this.e.t, st).hints ??= new Map());
    const memo = `${this.s.lang} ${reason === 'tooLong'}`;
    let text = hints.get(memo);
    if (text === undefined) {
      const input = st.input!;
      const key = st.hint ?? `common.invalid.${input.type}`;
      const params = input.type === 'integer' ? { min: input.min, max: input.max } : {};
      text = this.t(reason === 'tooLong' ? 'common.invalid.tooLong' : key, params);
      hints.set(memo, text);
    }
    this.say({ text });
    this.reask();
  }

  private answer(st: FlowStep, value: string | number | boolean, optionId?: string): void {
    if (st.save) this.answersToChange()[st.save] = value;
    const input = st.input!;
    let target: Target | undefined;
    if (input.type === 'yesno' && st.branch) target = value === true ? st.branch.yes : st.branch.no;
    else if (input.type === 'choice') target = input.options.find((o) => o.id === optionId)?.next;
    target ??= st.next;
    if (!target) throw new Error(`step ${this.s.at.flow}.${this.s.at.step} has no way out`);
    const from = this.s.at;
    this.go(target, from);
  }

  /** Move to a target. `from` is the question just answered, remembered for "kembali". */
  private go(target: Target, from?: Place): void {
    if (target === '$back') return this.back();
    if (target === '$menu') {
      this.leaveFlow();
      return this.enter({ flow: MENU_FLOW, step: mustFlow(this.e, MENU_FLOW).start });
    }
    if (target === '$return') {
      const ret = this.popReturn();
      if (!ret) return this.go('$menu');
      // "kembali" at the place returned to goes where it went before the detour.
      let at = this.s.hist.length - 1;
      while (at >= 0 && !samePlace(this.s.hist[at], ret)) at--;
      this.s.hist = at >= 0 ? this.s.hist.slice(0, at) : [];
      return this.enter(ret);
    }
    if (typeof target === 'string') {
      if (from) this.pushHist(from);
      return this.enter({ flow: this.s.at.flow, step: target });
    }
    const flow = mustFlow(this.e, target.flow);
    if (target.detour) {
      // A detour (into another flow or a step of this one) remembers where it started, so
      // `$return` comes back to that exact step; "kembali" in the detour goes back to it too.
      const here = from ?? this.s.at;
      const dest = { flow: flow.id, step: target.step ?? flow.start };
      if (here.flow !== MENU_FLOW && !samePlace(here, dest) && this.canReturnTo(here)) {
        this.pushHist(here);
        this.pushReturn(here, dest);
      }
    } else if (target.flow !== this.s.at.flow) {
      this.leaveFlow();
    } else if (from) this.pushHist(from);
    this.enter({ flow: flow.id, step: target.step ?? flow.start });
  }

  /** A flow ended: its answers (personal data among them) and its history go with it. */
  private leaveFlow(): void {
    this.clearAnswers();
    this.s.hist = [];
    this.clearReturns();
  }

  // ---- the return stack of detours: `ret` is its top, `rets` the points beneath (oldest first) ----

  /** A place worth coming back to: one that asks something or runs an action (not a mere `say`). */
  private canReturnTo(p: Place): boolean {
    const st = this.e.flows.get(p.flow)?.steps[p.step];
    return !!st && (!!st.ask || !!st.action);
  }

  /** Remember `p` as the place to come back to from a detour to `dest`. */
  private pushReturn(p: Place, dest: Place): void {
    const stack = [...(this.s.rets ?? []), ...(this.s.ret ? [this.s.ret] : [])];
    // A detour to a place that is already waiting to be returned to is that return: the points
    // stacked above it go, and so a user going round between two fixes never piles them up.
    const waiting = stack.findIndex((x) => samePlace(x, dest));
    if (waiting >= 0) {
      this.s.ret = stack[waiting - 1];
      this.s.rets = waiting > 1 ? stack.slice(0, waiting - 1) : undefined;
      return;
    }
    // Already a return point lower down: what was stacked above it is dropped.
    const seen = stack.findIndex((x) => samePlace(x, p));
    const next = seen >= 0 ? stack.slice(0, seen) : stack;
    next.push({ flow: p.flow, step: p.step });
    // Full: keep the first return point (where the conversation came from) and the latest ones.
    const bounded = next.length > RETURN_LIMIT ? [next[0]!, ...next.slice(-(RETURN_LIMIT - 1))] : next;
    this.s.ret = bounded.pop();
    this.s.rets = bounded.length ? bounded : undefined;
  }

  private popReturn(): Place | undefined {
    const top = this.s.ret;
    const rest = this.s.rets ? [...this.s.rets] : [];
    this.s.ret = rest.pop();
    this.s.rets = rest.length ? rest : undefined;
    return top;
  }

  private clearReturns(): void {
    this.s.ret = undefined;
    this.s.rets = undefined;
  }

  private pushHist(p: Place): void {
    const h = this.s.hist;
    const last = h[h.length - 1];
    if (last && last.flow === p.flow && last.step === p.step) return;
    this.s.hist = appendBounded(h, { flow: p.flow, step: p.step }, HISTORY_LIMIT);
  }

  private back(): void {
    // `hist` may still be the given session's array: never changed in place.
    const h = this.s.hist;
    const prev = h[h.length - 1];
    if (h.length > 0) this.s.hist = h.slice(0, -1);
    if (!prev) {
      this.say({ key: 'common.noBack' });
      return this.reask();
    }
    // Back out of a detour to where it started: the detour is over.
    if (samePlace(prev, this.s.ret)) this.popReturn();
    const st = mustFlow(this.e, prev.flow).steps[prev.step];
    const kept = st?.save !== undefined ? this.s.answers[st.save] : undefined;
    if (kept !== undefined && !st?.personal) this.say({ key: 'common.previousAnswer', params: { answer: this.display(st!, kept) } });
    this.enter(prev);
  }

  private display(st: FlowStep, v: string | number | boolean): string {
    const input = st.input;
    if (input?.type === 'yesno') return this.t(v ? 'common.yes' : 'common.no');
    if (input?.type === 'choice') {
      const o = input.options.find((x) => x.id === v);
      return o ? this.t(o.label) : String(v);
    }
    return String(v);
  }

  /** Enter a step: say its texts, then ask its question, run its action, or move straight on. */
  private enter(place: Place): void {
    if (++this.hops > MAX_HOPS) throw new Error(`flow loop near ${place.flow}.${place.step}`);
    const flow = mustFlow(this.e, place.flow);
    const st = flow.steps[place.step];
    if (!st) throw new Error(`unknown step ${place.flow}.${place.step}`);
    this.s.at = { flow: place.flow, step: place.step };
    const says = st.say === undefined ? [] : Array.isArray(st.say) ? st.say : [st.say];
    for (const key of says) this.say({ key });
    if (st.action) return this.runAction(this.s.at);
    if (st.ask) {
      // A question entered anew gets a fresh number, so buttons of earlier questions go stale.
      this.s.ask += 1;
      return this.emitQuestion(st);
    }
    if (!st.next) throw new Error(`step ${place.flow}.${place.step} has no way out`);
    this.go(st.next);
  }

  private runAction(place: Place, ev?: InboundEvent, restate = false): void {
    const st = mustFlow(this.e, place.flow).steps[place.step]!;
    const action = this.e.actions[st.action!];
    if (!action) throw new Error(`unknown action ${st.action}`);
    const out = action({ lang: this.s.lang, answers: this.s.answers, session: this.s, event: ev, restate, now: new Date(this.now), t: this.e.t });
    if (out.set) Object.assign(this.answersToChange(), out.set);
    if (out.forget) for (const k of out.forget) if (Object.hasOwn(this.s.answers, k)) delete this.answersToChange()[k];
    for (const sy of out.say ?? []) this.say(sy);
    if (out.effects) this.effects.push(...out.effects);
    if (out.choices || out.requestContact) {
      // The action asks something of its own; its answer comes back into it as an event.
      this.s.ask += 1;
      const last = this.replies.pop();
      this.emit(last?.text ?? this.t('common.chooseOne'), out.choices ?? [], out.requestContact);
    }
    if (out.await || out.choices || out.requestContact) return;
    const next = out.next ?? st.next;
    if (!next) throw new Error(`action ${st.action} at ${place.flow}.${place.step} gave no next step`);
    if (out.next !== undefined && st.exits && !st.exits.some((x) => sameTarget(x, out.next!)) && !sameTarget(st.next, out.next)) {
      throw new Error(`action ${st.action} went to an undeclared exit`);
    }
    this.go(next);
  }

  /** Say the current question again (after help, an invalid answer, a language change...). */
  private reask(): void {
    const st = this.step();
    if (st.ask) return this.emitQuestion(st);
    // An action waiting for something restates what it waits for.
    if (st.action) return this.runAction(this.s.at, undefined, true);
    this.go('$menu');
  }

  private emitQuestion(st: FlowStep): void {
    const input = st.input!;
    let choices: Choice[] | undefined;
    // Questions get no answers interpolated: a personal answer must never be echoed into a text.
    // A label in the session's language is one of the option's names (see buildOptions): names
    // start with the label in each of LANGS, in that order.
    if (input.type === 'choice' || input.type === 'yesno') {
      const li = LANGS.indexOf(this.s.lang);
      const opts = this.optionsOf(st);
      choices = new Array<Choice>(opts.length);
      for (let i = 0; i < opts.length; i++) choices[i] = { id: opts[i]!.id, label: opts[i]!.names[li]! };
    }
    this.emit(this.t(st.ask!), choices);
  }

  /** The current question is a choice with an option named exactly `key` (normalized as commands are). */
  private isOptionName(key: string): boolean {
    if (this.s.pending) return false;
    const st = this.step();
    if (st.action || st.input?.type !== 'choice') return false;
    return this.optionsOf(st).some((o) => o.names.some((n) => commandKey(n) === key));
  }

  private optionsOf(st: FlowStep): readonly OptionCandidate[] {
    const type = st.input?.type;
    if (type !== 'yesno' && type !== 'choice') return NO_OPTIONS;
    const texts = stepTexts(this.e.t, st);
    return (texts.options ??= buildOptions(this.e.t, st));
  }

  // ---- output -------------------------------------------------------------------------------

  private step(): FlowStep {
    const st = this.e.flows.get(this.s.at.flow)?.steps[this.s.at.step];
    if (!st) throw new Error(`unknown place ${this.s.at.flow}.${this.s.at.step}`);
    return st;
  }

  private t(key: string, params?: Record<string, unknown>): string {
    return this.e.t(this.s.lang, key, params);
  }

  private tIn(lang: Lang, key: string, params?: Record<string, unknown>): string {
    return this.e.t(lang, key, params);
  }

  say(sy: Say): void {
    const text = 'text' in sy ? sy.text : this.t(sy.key, sy.params);
    this.replies.push({ text, lang: this.s.lang });
  }

  private emit(text: string, choices?: Choice[], requestContact?: boolean): void {
    const r: Reply = { text, ask: this.s.ask, lang: this.s.lang };
    if (choices && choices.length) r.choices = choices;
    if (requestContact) r.requestContact = true;
    this.replies.push(r);
  }
}

function sameTarget(a: Target | undefined, b: Target): boolean {
  if (a === undefined) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.flow === b.flow && a.step === b.step;
}

/** How a whole message is looked up among command aliases: "/Menu@PanduBot" and "MENU!" are "menu". */
export function commandKey(raw: string): string {
  const t = raw.trim();
  const slash = t.charCodeAt(0) === 47 /* "/" */ ? t.match(/^\/([A-Za-z_]+)(?:@\w+)?$/) : null;
  return slash ? `/${slash[1]!.toLowerCase()}` : normalizeAnswer(t);
}
