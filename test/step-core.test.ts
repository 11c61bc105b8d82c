// The pure core on small hand-built flows: the return stack of detours, media and effect events at
// action steps, the language of replies, personal answers after a pause, and free text at steps
// that ask for a value. (test/step.test.ts covers the basics.)
import { describe, expect, it } from 'vitest';
import type { Action, Engine } from '../src/core/engine.ts';
import type { Flow } from '../src/core/flow-schema.ts';
import { step } from '../src/core/step.ts';
import { PERSONAL_TTL_MS, RETURN_LIMIT, SessionSchema, type InboundEvent, type Session } from '../src/core/types.ts';

const choice = (...ids: [string, unknown][]) => ({
  type: 'choice' as const,
  options: ids.map(([id, next]) => ({ id, label: `opt.${id}`, next: next as never })),
});

const flows: Flow[] = [
  { id: 'menu', start: 'main', steps: { main: { ask: 'menu.ask', input: choice(['guide', { flow: 'guide' }], ['survey', { flow: 'survey' }], ['relay', { flow: 'relay' }]) } } },
  { id: 'agent', start: 'info', steps: { info: { ask: 'agent.ask', input: choice(['back', '$return'], ['menu', '$menu']) } } },
  {
    id: 'guide',
    start: 's1',
    steps: {
      s1: { ask: 'g.s1', input: choice(['done', 's2'], ['problem', { flow: 'fix', step: 'otp', detour: true }]) },
      s2: { ask: 'g.s2', input: choice(['done', 's3'], ['back', '$back'], ['problem', { flow: 'fix', step: 'otp', detour: true }]) },
      s3: { ask: 'g.s3', input: choice(['done', '$menu'], ['back', '$back'], ['tip', { flow: 'guide', step: 'tip', detour: true }]) },
      tip: { say: 'g.tip.text', ask: 'g.tip', input: choice(['back', '$return']) },
    },
  },
  {
    id: 'fix',
    start: 'otp',
    entry: true,
    steps: {
      otp: { ask: 'f.otp', input: choice(['back', '$return'], ['deeper', { flow: 'fix', step: 'ktp', detour: true }], ['help', { flow: 'agent', detour: true }]) },
      ktp: { ask: 'f.ktp', input: choice(['back', '$return'], ['deeper', { flow: 'fix', step: 'face', detour: true }]) },
      face: { ask: 'f.face', input: choice(['back', '$return'], ['deeper', { flow: 'fix', step: 'bank', detour: true }]) },
      bank: { ask: 'f.bank', input: choice(['back', '$return'], ['deeper', { flow: 'fix', step: 'wave', detour: true }]) },
      wave: { ask: 'f.wave', input: choice(['back', '$return']) },
    },
  },
  {
    id: 'survey',
    start: 'age',
    steps: {
      age: { ask: 'q.age', input: { type: 'integer', min: 18, max: 99 }, save: 'age', next: 'nik' },
      nik: { ask: 'q.nik', input: { type: 'nik' }, save: 'nik', personal: true, next: 'born' },
      born: { ask: 'q.born', input: { type: 'date', notAfterToday: true }, save: 'born', personal: true, next: '$menu' },
    },
  },
  { id: 'relay', start: 'wait', steps: { wait: { action: 'relay', exits: ['$menu'] } } },
];

// Waits on its step and reports what reached it: the shape of the helpdesk relay.
const relay: Action = ({ event }) => {
  if (!event) return { say: [{ text: 'relay: waiting' }], await: true };
  if (event.type === 'media') return { effects: [{ type: 'call', name: 'note', args: { media: event.kind } }], await: true };
  if (event.type === 'effect') return { await: true };
  return { say: [{ text: `relay: ${event.type}` }], await: true };
};

const engine: Engine = {
  flows: new Map(flows.map((f) => [f.id, f])),
  routes: {
    deeplinks: {},
    intents: {
      'problem.otp': { go: { flow: 'fix', step: 'otp', detour: true }, label: 'i.otp' },
      'problem.ktp': { go: { flow: 'fix', step: 'ktp', detour: true }, label: 'i.ktp' },
      'faq.when': { answer: 'faq.when', label: 'i.when' },
    },
  },
  actions: { relay },
  t: (lang, key) => `${lang}:${key}`,
  commands: new Map([['kembali', 'back'], ['menu', 'menu'], ['petugas', 'agent'], ['english', 'langEn']] as const),
  nlu: {
    understand: (t) =>
      t.includes('otp') ? { kind: 'match', intent: 'problem.otp' }
      : t.includes('ktp') ? { kind: 'match', intent: 'problem.ktp' }
      : t.includes('kapan') ? { kind: 'match', intent: 'faq.when' }
      : t.includes('hmm') ? { kind: 'unsure', candidates: ['faq.when', 'problem.otp'] }
      : { kind: 'none' },
  },
  defaultLang: 'id',
};

let clock = 1_000_000;
const run = (s: Session | null, event: InboundEvent, at = clock++) => step(engine, s, { channel: 'console', chatId: 'c', userId: 'u', event }, at);
const say = (s: Session | null, text: string) => run(s, text === '/start' ? { type: 'start' } : { type: 'text', text });
const press = (s: Session, id: string) => run(s, { type: 'choice', ask: s.ask, id });
const texts = (r: { replies: { text: string }[] }) => r.replies.map((x) => x.text);
const at = (s: Session) => `${s.at.flow}.${s.at.step}`;
const stack = (s: Session) => [...(s.rets ?? []), ...(s.ret ? [s.ret] : [])].map((p) => `${p.flow}.${p.step}`);

function guideAt(stepId: 's1' | 's2' | 's3'): Session {
  let s = say(null, '/start').session;
  s = press(s, 'guide').session;
  for (const id of ['s1', 's2', 's3']) {
    if (id === stepId) break;
    s = press(s, 'done').session;
  }
  expect(at(s)).toBe(`guide.${stepId}`);
  return s;
}

describe('detours and the return stack', () => {
  it('"otp gak masuk" mid-guide opens the fix, then comes back to the exact step; history is kept', () => {
    const s = guideAt('s2');
    const fix = say(s, 'otp gak masuk');
    expect(at(fix.session)).toBe('fix.otp');
    expect(stack(fix.session)).toEqual(['guide.s2']);
    const back = press(fix.session, 'back');
    expect(texts(back)).toEqual(['id:g.s2']);
    expect(at(back.session)).toBe('guide.s2');
    expect(stack(back.session)).toEqual([]);
    // "kembali" still goes to the step before the detour.
    const prev = say(back.session, 'kembali');
    expect(at(prev.session)).toBe('guide.s1');
  });

  it('nested detours come back one level at a time, down to the guide step', () => {
    const s = guideAt('s2');
    const otp = say(s, 'otp').session;
    const ktp = say(otp, 'foto ktp ditolak').session; // a detour into a step of the same flow
    expect(at(ktp)).toBe('fix.ktp');
    expect(stack(ktp)).toEqual(['guide.s2', 'fix.otp']);
    const r1 = press(ktp, 'back');
    expect(at(r1.session)).toBe('fix.otp');
    const r2 = press(r1.session, 'back');
    expect(at(r2.session)).toBe('guide.s2');
    expect(stack(r2.session)).toEqual([]);
  });

  it('a detour into the same flow returns to where it started', () => {
    const s = guideAt('s3');
    const tip = press(s, 'tip');
    expect(texts(tip)).toEqual(['id:g.tip.text', 'id:g.tip']);
    expect(stack(tip.session)).toEqual(['guide.s3']);
    const back = press(tip.session, 'back');
    expect(at(back.session)).toBe('guide.s3');
    expect(at(say(back.session, 'kembali').session)).toBe('guide.s2');
  });

  it('a person asked for from a fix comes back to the fix, and the fix to the step', () => {
    const otp = say(guideAt('s2'), 'otp').session;
    const agent = press(otp, 'help').session;
    expect(at(agent)).toBe('agent.info');
    const r1 = press(agent, 'back').session;
    expect(at(r1)).toBe('fix.otp');
    expect(at(press(r1, 'back').session)).toBe('guide.s2');
  });

  it('"kembali" out of a detour ends it', () => {
    const otp = say(guideAt('s2'), 'otp').session;
    const back = say(otp, 'kembali');
    expect(at(back.session)).toBe('guide.s2');
    expect(stack(back.session)).toEqual([]);
  });

  it('the stack is bounded and keeps where the conversation came from', () => {
    let s = say(guideAt('s2'), 'otp').session;
    for (let i = 0; i < 4; i++) s = press(s, 'deeper').session;
    expect(at(s)).toBe('fix.wave');
    expect(stack(s)).toHaveLength(RETURN_LIMIT);
    expect(SessionSchema.safeParse(s).success).toBe(true);
    const visited: string[] = [];
    for (let i = 0; i < RETURN_LIMIT; i++) {
      s = press(s, 'back').session;
      visited.push(at(s));
    }
    expect(visited).toEqual(['fix.bank', 'fix.face', 'fix.ktp', 'guide.s2']);
  });

  it('going round between fixes does not pile up return points', () => {
    let s = say(guideAt('s2'), 'otp').session;
    for (let i = 0; i < 5; i++) {
      s = say(s, 'ktp').session;
      s = say(s, 'otp').session;
    }
    expect(at(s)).toBe('fix.otp');
    expect(stack(s)).toEqual(['guide.s2']);
    expect(at(press(s, 'back').session)).toBe('guide.s2');
  });

  it('leaving for the menu forgets the return points', () => {
    const otp = say(guideAt('s2'), 'otp').session;
    const menu = say(otp, 'menu').session;
    expect(at(menu)).toBe('menu.main');
    expect(menu.ret).toBeUndefined();
    expect(menu.rets).toBeUndefined();
  });
});

describe('media and effect events', () => {
  function relayAt(): Session {
    const s = press(say(null, '/start').session, 'relay');
    expect(texts(s)).toEqual(['relay: waiting']);
    return s.session;
  }

  it('media at a waiting action goes to the action', () => {
    const r = run(relayAt(), { type: 'media', kind: 'photo' });
    expect(r.replies).toEqual([]);
    expect(r.effects).toEqual([{ type: 'call', name: 'note', args: { media: 'photo' } }]);
  });

  it('media anywhere else gets the "text only" answer and the question again', () => {
    const r = run(guideAt('s1'), { type: 'media', kind: 'sticker' });
    expect(texts(r)).toEqual(['id:common.media', 'id:g.s1']);
  });

  it('a stray effect result is dropped silently: no reply, the session untouched', () => {
    const s = guideAt('s2');
    const r = run(s, { type: 'effect', name: 'late', result: { ok: true } });
    expect(r.replies).toEqual([]);
    expect(r.effects).toEqual([]);
    expect(r.session).toBe(s);
  });

  it('an effect result for a chat without a session gets no greeting', () => {
    const r = run(null, { type: 'effect', name: 'push', result: {} });
    expect(r.replies).toEqual([]);
    expect(r.effects).toEqual([]);
  });

  it('an effect result at a waiting action reaches it', () => {
    const r = run(relayAt(), { type: 'effect', name: 'note', result: {} });
    expect(r.replies).toEqual([]);
    expect(at(r.session)).toBe('relay.wait');
  });
});

describe('the language of replies', () => {
  it('every reply step emits carries the session language', () => {
    const s = say(null, '/start');
    expect(s.replies.map((r) => r.lang)).toEqual(['id', 'id']);
    const en = say(s.session, 'english');
    expect(en.replies.length).toBeGreaterThan(0);
    for (const r of en.replies) expect(r.lang).toBe('en');
    const action = press(en.session, 'relay');
    expect(action.replies.map((r) => r.lang)).toEqual(['en']);
  });
});

describe('personal answers after a pause', () => {
  function withPersonal(t0: number): Session {
    let s = press(say(null, '/start').session, 'survey').session;
    s = run(s, { type: 'text', text: '30' }, t0).session;
    s = run(s, { type: 'text', text: '3201011234560001' }, t0).session;
    expect(s.answers).toEqual({ age: 30, nik: '3201011234560001' });
    return s;
  }

  it('are dropped when the session was idle for more than 15 minutes', () => {
    const t0 = 5_000_000;
    const s = withPersonal(t0);
    const r = run(s, { type: 'text', text: 'kembali' }, t0 + PERSONAL_TTL_MS + 1);
    expect(r.session.answers).toEqual({ age: 30 });
    expect(JSON.stringify(r.session)).not.toContain('3201011234560001');
  });

  it('are kept within 15 minutes', () => {
    const t0 = 5_000_000;
    const s = withPersonal(t0);
    const r = run(s, { type: 'text', text: 'kembali' }, t0 + PERSONAL_TTL_MS);
    expect(r.session.answers).toEqual({ age: 30, nik: '3201011234560001' });
  });
});

describe('free text at steps that ask for a value', () => {
  const ageStep = () => press(say(null, '/start').session, 'survey').session;

  it('number words are an answer', () => {
    const r = say(ageStep(), 'dua puluh lima');
    expect(r.session.answers.age).toBe(25);
    expect(at(r.session)).toBe('survey.nik');
  });

  it('a failed attempt at the number gets the hint, even if it mentions something else', () => {
    const r = say(ageStep(), 'umur 25,5 kapan');
    expect(texts(r)).toEqual(['id:common.invalid.integer', 'id:q.age']);
  });

  it('a confident match leaves the question; a guess does not', () => {
    const s = ageStep();
    expect(texts(say(s, 'kapan dibuka?'))).toEqual(['id:faq.when', 'id:common.backToQuestion', 'id:q.age']);
    const unsure = say(s, 'hmm gimana');
    expect(texts(unsure)).toEqual(['id:common.invalid.integer', 'id:q.age']);
    expect(unsure.session.pending).toBeUndefined();
  });

  it('a date attempt is re-asked with the hint', () => {
    let s = say(ageStep(), '30').session;
    s = say(s, '3201011234560001').session;
    expect(texts(say(s, '31 februari otp'))).toEqual(['id:common.invalid.date', 'id:q.born']);
    expect(at(say(s, 'otp gak masuk').session)).toBe('fix.otp');
  });
});
