// A tiny engine whose one step records every text it receives, in order, in the session
// (answers.log, "a,b,c"): order and count of applied messages are visible in the stored session.
// The question says `log=<the log so far>`.
import type { Action, Engine } from '../../src/core/engine.ts';
import type { Flow } from '../../src/core/flow-schema.ts';

export function tallyEngine(): Engine {
  const menu: Flow = {
    id: 'menu',
    start: 'main',
    steps: {
      main: { ask: 'q', input: { type: 'text' }, save: 'last', next: 'record' },
      record: { action: 'record', next: 'main' },
    },
  };
  const record: Action = ({ answers }) => ({
    set: { log: answers.log === undefined ? String(answers.last) : `${answers.log},${answers.last}` },
  });
  return {
    flows: new Map([['menu', menu], ['agent', { id: 'agent', start: 'x', steps: { x: { say: 'q', next: '$return' } } }]]),
    routes: { deeplinks: {}, intents: {} },
    actions: { record },
    t: (_l, key, params) => (key === 'q' ? `log=${String((params as { log?: string } | undefined)?.log ?? '')}` : key),
    commands: new Map(),
    nlu: { understand: () => ({ kind: 'none' }) },
    defaultLang: 'id',
  };
}
