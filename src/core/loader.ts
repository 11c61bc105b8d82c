// Loads flows/*.yaml, flows/_routes.yaml, flows/_commands.yaml and locales/, validates every file
// with zod and cross-checks them against each other. A broken flow stops start-up with the file,
// the step and the reason; `npm run check` runs exactly this.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AGENT_FLOW, COMMANDS, MENU_FLOW, type Action, type Command, type Engine, type Understander } from './engine.ts';
import { FlowSchema, RoutesSchema, type Flow, type FlowStep, type Routes, type Target } from './flow-schema.ts';
import { createTranslate, hasKey, readLocales, type Resources } from './i18n.ts';
import { commandKey } from './step.ts';
import { LANGS, type Lang } from './types.ts';

export interface FlowProblem {
  file: string;
  step?: string;
  reason: string;
}

export class FlowError extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the flows:\n` +
        problems.map((p) => `  ${p.file}${p.step ? ` step "${p.step}"` : ''}: ${p.reason}`).join('\n'),
    );
    this.name = 'FlowError';
  }
}

/** Texts the engine itself says; every locale must have them. */
export const ENGINE_KEYS = [
  'common.welcome', 'common.media', 'common.staleButton', 'common.restarted', 'common.help', 'common.languageAsk',
  'common.languageSet', 'common.langName.id', 'common.langName.en', 'common.deleteConfirm', 'common.deleteYes',
  'common.deleteNo', 'common.deleteCancelled', 'common.deleted', 'common.clarify', 'common.backToQuestion',
  'common.noBack', 'common.previousAnswer', 'common.yes', 'common.no', 'common.chooseOne', 'common.sessionReset',
  'common.unavailable', 'common.error', 'common.menu',
  'common.invalid.yesno', 'common.invalid.integer', 'common.invalid.date', 'common.invalid.nik',
  'common.invalid.choice', 'common.invalid.text', 'common.invalid.tooLong',
] as const;

const CommandsSchema = z.record(z.enum(COMMANDS), z.array(z.string().min(1)).min(1));

export interface LoadOptions {
  flowsDir: string;
  localesDir: string;
  actions: Readonly<Record<string, Action>>;
  nlu: Understander;
  defaultLang: Lang;
}

export function loadEngine(opts: LoadOptions): Engine {
  const problems: FlowProblem[] = [];
  let resources: Resources;
  try {
    resources = readLocales(opts.localesDir);
  } catch (err) {
    throw new FlowError([{ file: opts.localesDir, reason: (err as Error).message }]);
  }
  const flows = new Map<string, Flow>();
  const fileOf = new Map<string, string>();
  let files: string[];
  try {
    files = readdirSync(opts.flowsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    throw new FlowError([{ file: opts.flowsDir, reason: 'folder is missing' }]);
  }
  let routes: Routes = { deeplinks: {}, intents: {} };
  let commands = new Map<string, Command>();

  for (const f of files) {
    const file = join(opts.flowsDir, f);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push({ file, reason: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (f.startsWith('_routes')) {
      // Several route files may exist (_routes.yaml, _routes.faq.yaml...): they are merged.
      const r = RoutesSchema.safeParse(raw ?? {});
      if (!r.success) {
        problems.push(...zodProblems(file, r.error, false));
        continue;
      }
      for (const [kind, table] of Object.entries(r.data) as [keyof Routes, Record<string, unknown>][]) {
        for (const name of Object.keys(table)) if (name in routes[kind]) problems.push({ file, reason: `${kind} "${name}" is defined twice` });
      }
      routes = { deeplinks: { ...routes.deeplinks, ...r.data.deeplinks }, intents: { ...routes.intents, ...r.data.intents } };
      continue;
    }
    if (f.startsWith('_commands.')) {
      const r = CommandsSchema.safeParse(raw ?? {});
      if (r.success) commands = commandTable(file, r.data, problems);
      else problems.push(...zodProblems(file, r.error, false));
      continue;
    }
    const r = FlowSchema.safeParse(raw);
    if (!r.success) {
      problems.push(...zodProblems(file, r.error, true));
      continue;
    }
    const id = basename(f).replace(/\.ya?ml$/, '');
    if (r.data.id !== id) problems.push({ file, reason: `id "${r.data.id}" must match the file name "${id}"` });
    flows.set(r.data.id, r.data);
    fileOf.set(r.data.id, file);
  }

  for (const c of COMMANDS) if (![...commands.values()].includes(c)) problems.push({ file: join(opts.flowsDir, '_commands.yaml'), reason: `command "${c}" has no alias` });
  for (const req of [MENU_FLOW, AGENT_FLOW]) if (!flows.has(req)) problems.push({ file: join(opts.flowsDir, `${req}.yaml`), reason: `the "${req}" flow is required` });

  const key = (file: string, step: string | undefined, k: string) => {
    for (const lang of LANGS) if (!hasKey(resources[lang], k)) problems.push({ file, step, reason: `text "${k}" is missing in locales/${lang}` });
  };
  for (const k of ENGINE_KEYS) key(opts.localesDir, undefined, k);

  // Which steps something outside their flow leads to: these count as entries.
  const entries = new Map<string, Set<string>>();
  const markEntry = (t: Target) => {
    if (typeof t === 'object') {
      const flow = flows.get(t.flow);
      if (!flow) return;
      if (!entries.has(t.flow)) entries.set(t.flow, new Set());
      entries.get(t.flow)!.add(t.step ?? flow.start);
    }
  };
  const checkTarget = (file: string, flow: Flow, step: string, t: Target) => {
    if (typeof t === 'string') {
      if (t.startsWith('$')) return;
      if (!flow.steps[t]) problems.push({ file, step, reason: `next step "${t}" does not exist in flow "${flow.id}"` });
      return;
    }
    const other = flows.get(t.flow);
    if (!other) problems.push({ file, step, reason: `flow "${t.flow}" does not exist` });
    else if (t.step && !other.steps[t.step]) problems.push({ file, step, reason: `step "${t.step}" does not exist in flow "${t.flow}"` });
    markEntry(t);
  };

  for (const [, flow] of flows) {
    const file = fileOf.get(flow.id)!;
    if (!flow.steps[flow.start]) problems.push({ file, reason: `start step "${flow.start}" does not exist` });
    for (const [name, st] of Object.entries(flow.steps)) {
      for (const t of targetsOf(st)) checkTarget(file, flow, name, t);
      for (const k of keysOf(st)) key(file, name, k);
      if (st.action && !opts.actions[st.action]) problems.push({ file, step: name, reason: `unknown action "${st.action}"` });
      if (isDeadEnd(st)) problems.push({ file, step: name, reason: 'dead end: no way out of this step (add `next`, `branch`, option `next`s or `exits`)' });
    }
  }
  const routesFile = join(opts.flowsDir, '_routes.yaml');
  for (const [name, t] of Object.entries(routes.deeplinks)) {
    if (typeof t === 'object' && !flows.has(t.flow)) problems.push({ file: routesFile, step: `deeplink ${name}`, reason: `flow "${t.flow}" does not exist` });
    markEntry(t);
  }
  for (const [name, r] of Object.entries(routes.intents)) {
    key(routesFile, `intent ${name}`, r.label);
    if ('answer' in r) key(routesFile, `intent ${name}`, r.answer);
    else {
      if (typeof r.go === 'object' && !flows.has(r.go.flow)) problems.push({ file: routesFile, step: `intent ${name}`, reason: `flow "${r.go.flow}" does not exist` });
      markEntry(r.go);
    }
  }

  // Reachability: every flow is entered from somewhere, and every step from its flow's entries.
  for (const [, flow] of flows) {
    const file = fileOf.get(flow.id)!;
    const seeds = new Set([flow.start, ...(entries.get(flow.id) ?? [])]);
    if (flow.id !== MENU_FLOW && flow.id !== AGENT_FLOW && !entries.has(flow.id) && !flow.entry) {
      problems.push({ file, reason: `flow "${flow.id}" is never entered (no menu option, deep link, intent or other flow leads to it)` });
    }
    const seen = new Set<string>();
    const queue = [...seeds].filter((s) => flow.steps[s]);
    while (queue.length) {
      const cur = queue.pop()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      for (const t of targetsOf(flow.steps[cur]!)) if (typeof t === 'string' && !t.startsWith('$') && flow.steps[t]) queue.push(t);
    }
    for (const name of Object.keys(flow.steps)) if (!seen.has(name)) problems.push({ file, step: name, reason: 'unreachable: no step leads here' });
  }

  if (problems.length) throw new FlowError(problems);
  return { flows, routes, actions: opts.actions, t: createTranslate(resources), commands, nlu: opts.nlu, defaultLang: opts.defaultLang };
}

function targetsOf(st: FlowStep): Target[] {
  const out: Target[] = [];
  if (st.next) out.push(st.next);
  if (st.branch) out.push(st.branch.yes, st.branch.no);
  if (st.input?.type === 'choice') for (const o of st.input.options) if (o.next) out.push(o.next);
  if (st.exits) out.push(...st.exits);
  return out;
}

function keysOf(st: FlowStep): string[] {
  const out: string[] = [];
  if (st.say) out.push(...(Array.isArray(st.say) ? st.say : [st.say]));
  if (st.ask) out.push(st.ask);
  if (st.hint) out.push(st.hint);
  if (st.input?.type === 'choice') for (const o of st.input.options) out.push(o.label);
  return out;
}

function isDeadEnd(st: FlowStep): boolean {
  if (st.next) return false;
  if (st.action) return !st.exits?.length;
  if (st.input?.type === 'yesno') return !st.branch;
  if (st.input?.type === 'choice') return st.input.options.some((o) => !o.next);
  return true;
}

function commandTable(file: string, data: Partial<Record<Command, string[]>>, problems: FlowProblem[]): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const [cmd, aliases] of Object.entries(data) as [Command, string[]][]) {
    for (const a of aliases) {
      const k = commandKey(a);
      const had = out.get(k);
      if (had && had !== cmd) problems.push({ file, reason: `alias "${a}" is given to both "${had}" and "${cmd}"` });
      out.set(k, cmd);
    }
  }
  return out;
}

function zodProblems(file: string, err: z.ZodError, isFlow: boolean): FlowProblem[] {
  return err.issues.map((i) => {
    const path = i.path.map(String);
    if (isFlow && path[0] === 'steps' && path[1]) {
      return { file, step: path[1], reason: `${path.slice(2).join('.') || 'step'}: ${i.message}` };
    }
    return { file, reason: `${path.join('.') || 'file'}: ${i.message}` };
  });
}
