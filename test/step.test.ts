// The pure core on a small hand-built flow set: answers, history, stale buttons, detours,
// personal data, effects, retries. Same input, same output: no I/O anywhere here.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Action, Engine } from '../src/core/engine.ts';
import type { Flow } from '../src/core/flow-schema.ts';
import { Runtime } from '../src/core/runtime.ts';
import { step } from '../src/core/step.ts';
import type { Inbound, InboundEvent, Session } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';

const flows: Flow[] = [
  {
    id: 'menu',
    start: 'main',
    steps: {
      main: {
        ask: 'menu.ask',
        input: { type: 'choice', options: [{ id: 'survey', label: 'opt.survey', next: { flow: 'survey' } }, { id: 'agent', label: 'opt.agent', next: { flow: 'agent' } }] },
      },
    },
  },
  { id: 'agent', start: 'info', steps: { info: { say: 'agent.info', next: '$return' } } },
  {
    id: 'survey',
    start: 'age',
    steps: {
      age: { ask: 'q.age', input: { type: 'integer', min: 18, max: 99 }, save: 'age', next: 'nik' },
      nik: { ask: 'q.nik', input: { type: 'nik' }, save: 'nik', personal: true, next: 'ok' },
      ok: { ask: 'q.ok', input: { type: 'yesno' }, save: 'ok', branch: { yes: 'lookup', no: '$menu' } },
      lookup: { action: 'lookup', exits: ['done'] },
      done: { say: 'done', next: '$menu' },
    },
  },
];

const lookup: Action = ({ answers, event }) => {
  if (event?.type !== 'effect') return { effects: [{ type: 'call', name: 'find', args: { nik: answers.nik } }], await: true };
  return { say: [{ text: `found ${String((event.result as { n: number }).n)}` }], forget: ['nik'], next: 'done' };
};

const engine: Engine = {
  flows: new Map(flows.map((f) => [f.id, f])),
  routes: { deeplinks: { s: { flow: 'survey' } }, intents: { 'faq.when': { answer: 'faq.when', label: 'faq.when.label' } } },
  actions: { lookup },
  t: (lang, key, params) => `${lang}:${key}${params && Object.keys(params).length ? JSON.stringify(params) : ''}`,
  commands: new Map([['kembali', 'back'], ['menu', 'menu'], ['petugas', 'agent'], ['english', 'langEn']] as const),
  nlu: { understand: (t) => (t.includes('kapan') ? { kind: 'match', intent: 'faq.when' } : t.includes('hmm') ? { kind: 'unsure', candidates: ['faq.when'] } : { kind: 'none' }) },
  defaultLang: 'id',
};

let clock = 1_000;
function run(s: Session | null, event: InboundEvent, messageId?: string) {
  return step(engine, s, { channel: 'console', chatId: 'c', userId: 'u', messageId, event }, clock++);
}
function talk(...texts: string[]): { s: Session; last: ReturnType<typeof run> } {
  let s: Session | null = null;
  let last!: ReturnType<typeof run>;
  for (const t of texts) {
    last = t === '/start' ? run(s, { type: 'start' }) : run(s, { type: 'text', text: t });
    s = last.session;
  }
  return { s: s!, last };
}
const texts = (r: { replies: { text: string }[] }) => r.replies.map((x) => x.text);

describe('step', () => {
  it('is pure: the same session and input give the same result', () => {
    const { s } = talk('/start', '1');
    const a = run(s, { type: 'text', text: '30' }, 'x');
    const b = step(engine, s, { channel: 'console', chatId: 'c', userId: 'u', messageId: 'x', event: { type: 'text', text: '30' } }, clock - 1);
    expect(b).toEqual(a);
    expect(s.at.step).toBe('age'); // the input session was not mutated
  });

  it('re-asks an invalid answer with a hint and changes nothing else', () => {
    const { s } = talk('/start', '1');
    const r = run(s, { type: 'text', text: 'dua lima' });
    expect(texts(r)).toEqual(['id:common.invalid.integer{"min":18,"max":99}', 'id:q.age']);
    expect({ ...r.session, ts: 0, seen: [] }).toEqual({ ...s, ts: 0, seen: [] });
  });

  it('goes back to the previous question and keeps its answer', () => {
    const { s, last } = talk('/start', '1', '30', 'kembali');
    expect(s.at.step).toBe('age');
    expect(s.answers.age).toBe(30);
    expect(texts(last)).toEqual(['id:common.previousAnswer{"answer":"30"}', 'id:q.age']);
  });

  it('never shows a personal answer back, and drops it when the flow ends', () => {
    const { s } = talk('/start', '1', '30', '3201011234560001', 'kembali');
    expect(s.answers.nik).toBe('3201011234560001');
    const r = run(s, { type: 'text', text: 'menu' });
    expect(texts(run(s, { type: 'text', text: 'kembali' })).join()).not.toContain('3201011234560001');
    expect(r.session.answers).toEqual({});
  });

  it('treats a button of an earlier question as harmless', () => {
    const first = talk('/start').s;
    const staleAsk = first.ask;
    const { s } = talk('/start', '1');
    const r = run(s, { type: 'choice', ask: staleAsk, id: 'agent' });
    expect(texts(r)).toEqual(['id:common.staleButton', 'id:q.age']);
    expect(r.session.at).toEqual(s.at);
  });

  it('answers a question asked mid-flow, then brings the user back to the step', () => {
    const { s } = talk('/start', '1');
    const r = run(s, { type: 'text', text: 'kapan dibuka?' });
    expect(texts(r)).toEqual(['id:faq.when', 'id:common.backToQuestion', 'id:q.age']);
    expect(r.session.at.step).toBe('age');
  });

  it('offers its guesses when unsure', () => {
    const { s } = talk('/start');
    const r = run(s, { type: 'text', text: 'hmm gimana' });
    expect(r.replies.at(-1)).toMatchObject({ text: 'id:common.clarify', choices: [{ id: 'faq.when', label: 'id:faq.when.label' }] });
    const picked = run(r.session, { type: 'text', text: '1' });
    expect(texts(picked)[0]).toBe('id:faq.when');
  });

  it('a detour to a person returns to the question the user was on', () => {
    const { s, last } = talk('/start', '1', '30', 'petugas');
    expect(texts(last)).toEqual(['id:agent.info', 'id:q.nik']);
    expect(s.at.step).toBe('nik');
  });

  it('keeps the language the user picked', () => {
    const { s } = talk('/start', 'english', '1');
    expect(s.lang).toBe('en');
    expect(texts(run(s, { type: 'text', text: '30' }))).toEqual(['en:q.nik']);
  });

  it('drops a platform retry of a message already applied', () => {
    const { s } = talk('/start');
    const once = run(s, { type: 'text', text: '1' }, 'm-1');
    const again = run(once.session, { type: 'text', text: '1' }, 'm-1');
    expect(again.duplicate).toBe(true);
    expect(again.replies).toEqual([]);
  });

  it('deep links enter their flow', () => {
    expect(run(null, { type: 'start', payload: 's' }).session.at).toEqual({ flow: 'survey', step: 'age' });
    expect(run(null, { type: 'start', payload: 'nope' }).session.at).toEqual({ flow: 'menu', step: 'main' });
  });

  it('keeps the session small however long it runs', () => {
    let s = talk('/start').s;
    for (let i = 0; i < 500; i++) s = run(s, { type: 'text', text: i % 2 ? '1' : 'menu' }, `m${i}`).session;
    expect(JSON.stringify(s).length).toBeLessThan(400);
  });
});

describe('runtime effects', () => {
  it('performs an effect, feeds its result back, and forgets the personal answer', async () => {
    const store = new MemorySessionStore(60_000);
    const seen: unknown[] = [];
    const rt = new Runtime({
      engine,
      store,
      logger: pino({ level: 'silent' }),
      effects: {
        find: async (args) => {
          seen.push(args);
          return { n: 7 };
        },
      },
    });
    const msg = (text: string): Inbound => ({ channel: 'console', chatId: 'fx', userId: 'fx', event: { type: 'text', text } });
    for (const t of ['1', '30', '3201011234560001']) await rt.handle(msg(t));
    const replies = await rt.handle(msg('ya'));
    expect(seen).toEqual([{ nik: '3201011234560001' }]);
    expect(replies.map((r) => r.text)).toEqual(['found 7', 'id:done', 'id:menu.ask']);
    expect(store.rawOf('console:fx')).not.toContain('3201011234560001');
  });

  it('a corrupt stored session is reset with an apology, not a crash', async () => {
    const store = new MemorySessionStore(60_000);
    store.setRaw('console:bad', '{broken');
    const rt = new Runtime({ engine, store, logger: pino({ level: 'silent' }) });
    const replies = await rt.handle({ channel: 'console', chatId: 'bad', userId: 'bad', event: { type: 'text', text: 'halo' } });
    expect(replies[0]!.text).toBe('id:common.sessionReset');
    expect(replies.at(-1)!.text).toBe('id:menu.ask');
  });

  it('a failing action gives the user an apology and leaves the session as it was', async () => {
    const broken: Engine = { ...engine, actions: { lookup: () => { throw new Error('boom'); } } };
    const store = new MemorySessionStore(60_000);
    const rt = new Runtime({ engine: broken, store, logger: pino({ level: 'silent' }) });
    const msg = (text: string): Inbound => ({ channel: 'console', chatId: 'e', userId: 'e', event: { type: 'text', text } });
    for (const t of ['1', '30', '3201011234560001']) await rt.handle(msg(t));
    const before = store.rawOf('console:e');
    expect((await rt.handle(msg('ya'))).map((r) => r.text)).toEqual(['id:common.error']);
    expect(store.rawOf('console:e')).toBe(before);
  });
});
