// Scripted dialogues (test/conversations/*.yaml): the user says X; the replies must contain /
// match / offer Y. Any ConversationDriver can run them, so one script checks every channel.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ConversationDriver, SeenReply } from './conversation-driver.ts';

const list = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const ExpectSchema = z.strictObject({
  contains: list.optional(),
  notContains: list.optional(),
  matches: list.optional(),
  choices: list.optional(),
  /** The turn produced no reply at all (e.g. an ignored message). */
  silent: z.boolean().optional(),
});

const TurnSchema = z.union([
  z.strictObject({ user: z.string(), expect: ExpectSchema.optional() }),
  z.strictObject({ press: z.string(), expect: ExpectSchema.optional() }),
  z.strictObject({ start: z.string(), expect: ExpectSchema.optional() }),
]);

const CHANNELS = ['console', 'telegram', 'whatsapp'] as const;
export type DialogueChannel = (typeof CHANNELS)[number];

export const DialogueFileSchema = z.strictObject({
  dialogues: z
    .array(
      z.strictObject({
        name: z.string(),
        /** Only on these channels (a behaviour one channel has on purpose, such as Telegram's contact button). Default: all. */
        channels: z.array(z.enum(CHANNELS)).min(1).optional(),
        steps: z.array(TurnSchema).min(1),
      }),
    )
    .min(1),
});
export type Dialogue = z.infer<typeof DialogueFileSchema>['dialogues'][number];
export type Turn = z.infer<typeof TurnSchema>;

/** The dialogues of every file in `dir`; with `channel`, only those meant for that channel. */
export function loadDialogues(dir = 'test/conversations', channel?: DialogueChannel): { file: string; dialogues: Dialogue[] }[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const r = DialogueFileSchema.safeParse(parse(readFileSync(file, 'utf8')));
      if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const dialogues = r.data.dialogues.filter((d) => !channel || !d.channels || d.channels.includes(channel));
      return { file, dialogues };
    })
    .filter((f) => f.dialogues.length > 0);
}

function describe(replies: SeenReply[]): string {
  return replies.map((r, i) => `  [${i}] ${JSON.stringify(r.text)}${r.choices.length ? ` choices=${JSON.stringify(r.choices)}` : ''}`).join('\n') || '  (no reply)';
}

/** Runs one dialogue as `user`; throws an error naming the turn and showing what was seen. */
export async function runDialogue(driver: ConversationDriver, d: Dialogue, user: string): Promise<void> {
  for (const [i, turn] of d.steps.entries()) {
    const said = 'user' in turn ? `user: ${JSON.stringify(turn.user)}` : 'press' in turn ? `press: ${JSON.stringify(turn.press)}` : `start: ${JSON.stringify(turn.start)}`;
    const replies =
      'user' in turn ? await driver.say(user, turn.user) : 'press' in turn ? await driver.press(user, turn.press) : await driver.start(user, turn.start || undefined);
    const e = turn.expect;
    if (!e) continue;
    const fail = (why: string) => {
      throw new Error(`${driver.name}: "${d.name}", turn ${i + 1} (${said}): ${why}\nreplies:\n${describe(replies)}`);
    };
    const all = replies.map((r) => r.text).join('\n');
    const low = all.toLowerCase();
    if (e.silent !== undefined && e.silent !== (replies.length === 0)) fail(e.silent ? 'expected no reply' : 'expected a reply');
    if (!e.silent && replies.length === 0 && (e.contains || e.matches || e.choices)) fail('expected a reply');
    for (const c of e.contains ?? []) if (!low.includes(c.toLowerCase())) fail(`expected a reply containing ${JSON.stringify(c)}`);
    for (const c of e.notContains ?? []) if (low.includes(c.toLowerCase())) fail(`expected no reply containing ${JSON.stringify(c)}`);
    for (const m of e.matches ?? []) if (!new RegExp(m, 'iu').test(all)) fail(`expected the replies to match /${m}/i`);
    if (e.choices) {
      const offered = [...replies].reverse().find((r) => r.choices.length > 0)?.choices ?? [];
      for (const c of e.choices) if (!offered.some((o) => o.toLowerCase().includes(c.toLowerCase()))) fail(`expected a choice like ${JSON.stringify(c)}`);
    }
  }
}
