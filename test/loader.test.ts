// A broken flow stops start-up with the file, the step and the reason. Each case copies the real
// flows and texts into a temporary folder, breaks one thing, and reads the error.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEngine } from '../src/app.ts';
import { FlowError } from '../src/core/loader.ts';

const dirs: string[] = [];
function copy(): { flows: string; locales: string } {
  const root = mkdtempSync(join(tmpdir(), 'pandu-flows-'));
  dirs.push(root);
  cpSync('flows', join(root, 'flows'), { recursive: true });
  cpSync('locales', join(root, 'locales'), { recursive: true });
  return { flows: join(root, 'flows'), locales: join(root, 'locales') };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function load(p: { flows: string; locales: string }) {
  return buildEngine({ flowsDir: p.flows, localesDir: p.locales, policyFile: 'policy/prakerja.yaml', defaultLang: 'id' });
}

function problemsOf(p: { flows: string; locales: string }): string {
  try {
    load(p);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowError);
    return (err as Error).message;
  }
  throw new Error('expected the flows to be rejected');
}

const AGENT = `id: agent
start: official
steps:
  official:
    say: agent.official
    ask: agent.after
    input:
      type: choice
      options:
        - { id: back, label: agent.options.back, next: $return }
        - { id: menu, label: agent.options.menu, next: $menu }
`;

describe('flow validation', () => {
  it('accepts the repository flows', () => {
    const engine = load({ flows: 'flows', locales: 'locales' });
    expect(engine.flows.has('menu')).toBe(true);
  });

  it('names an unknown next step', () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), AGENT.replace('next: $menu', 'next: nowhere'));
    expect(problemsOf(p)).toMatch(/agent\.yaml step "official": next step "nowhere" does not exist/);
  });

  it('names a text missing in one language', () => {
    const p = copy();
    const en = join(p.locales, 'en', 'agent.json');
    const data = JSON.parse(readFileSync(en, 'utf8'));
    delete data.after;
    writeFileSync(en, JSON.stringify(data));
    expect(problemsOf(p)).toMatch(/agent\.yaml step "official": text "agent\.after" is missing in locales\/en/);
  });

  it('names an unknown action', () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), AGENT.replace(/ {2}official:[\s\S]*/, '  official:\n    action: noSuchAction\n    next: $menu\n'));
    expect(problemsOf(p)).toMatch(/agent\.yaml step "official": unknown action "noSuchAction"/);
  });

  it('names an unreachable step and a dead end', () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), `${AGENT}  orphan:\n    say: agent.official\n`);
    const msg = problemsOf(p);
    expect(msg).toMatch(/agent\.yaml step "orphan": unreachable/);
    expect(msg).toMatch(/agent\.yaml step "orphan": dead end/);
  });

  it('names a schema error with its step', () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), AGENT.replace('type: choice', 'type: multiple'));
    expect(problemsOf(p)).toMatch(/agent\.yaml step "official": input/);
  });

  it('names a YAML syntax error with its file', () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), 'id: agent\nsteps: [\n');
    expect(problemsOf(p)).toMatch(/agent\.yaml: not valid YAML/);
  });

  it('stops start-up with the file, step and reason', async () => {
    const p = copy();
    writeFileSync(join(p.flows, 'agent.yaml'), AGENT.replace('next: $menu', 'next: nowhere'));
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', '--jsonl'], {
      env: { ...process.env, FLOWS_DIR: p.flows, LOCALES_DIR: p.locales, TELEGRAM_BOT_TOKEN: '', REDIS_URL: '' },
      timeout: 30_000,
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/Pandu cannot start: .*\n.*agent\.yaml step "official": next step "nowhere" does not exist/);
  });

  it('stops start-up on a bad configuration value, naming the variable', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', '--jsonl'], {
      env: { ...process.env, SESSION_TTL_DAYS: 'forever' },
      timeout: 30_000,
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain('SESSION_TTL_DAYS');
  });
});
