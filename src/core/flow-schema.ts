// The shape of a flow file (flows/*.yaml). Flows are data: a step asks (an i18n key), declares the
// input it expects, where the answer is saved and where to go next; or it runs a named action.
import { z } from 'zod';

// At most 40 characters: a Telegram button carries "c:<question number>:<option id>" in its
// 64 bytes of callback data, so every option id fits whole.
const Id = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9_]*$/, 'use letters, digits and _ , starting with a lowercase letter')
  .max(40, 'use at most 40 characters');
const I18nKey = z.string().regex(/^[a-z][\w.-]*$/, 'an i18n key such as "eligibility.age.ask"');

/**
 * Where to go. A plain step id stays in the same flow; `{ flow }` enters another flow at its start
 * (or at `step`). `$back`, `$menu` and `$return` are the built-in moves: the previous question,
 * the main menu, and the place a detour started from (or the menu when there is none).
 */
export const TargetSchema = z.union([
  z.enum(['$back', '$menu', '$return']),
  Id,
  z.strictObject({
    flow: Id,
    step: Id.optional(),
    /** Remember the current place so `$return` comes back to it (a detour, e.g. into a problem fix). */
    detour: z.boolean().optional(),
  }),
]);
export type Target = z.infer<typeof TargetSchema>;

export const OptionSchema = z.strictObject({
  id: Id,
  label: I18nKey,
  /** Extra words that pick this option (either language), beside its number and labels. */
  aliases: z.array(z.string().min(1)).optional(),
  next: TargetSchema.optional(),
});
export type FlowOption = z.infer<typeof OptionSchema>;

export const InputSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('yesno') }),
  z.strictObject({ type: z.literal('integer'), min: z.number().int(), max: z.number().int() }),
  z.strictObject({ type: z.literal('date'), notAfterToday: z.boolean().optional() }),
  z.strictObject({ type: z.literal('nik') }),
  z.strictObject({ type: z.literal('choice'), options: z.array(OptionSchema).min(1).max(12) }),
  z.strictObject({ type: z.literal('text'), max: z.number().int().positive().max(2000).optional() }),
]);
export type FlowInput = z.infer<typeof InputSchema>;

export const StepSchema = z
  .strictObject({
    /** Texts said on entering the step, before its question (i18n keys). */
    say: z.union([I18nKey, z.array(I18nKey)]).optional(),
    /** The question (i18n key). Requires `input`. */
    ask: I18nKey.optional(),
    input: InputSchema.optional(),
    /** Answer name in the session; the answer is then available to actions and texts. */
    save: Id.optional(),
    /** The answer is personal data (NIK, birth date...): kept only until the flow ends, never logged. */
    personal: z.boolean().optional(),
    /** Text added when an answer is invalid (i18n key); each input type has a default. */
    hint: I18nKey.optional(),
    /** Where to go after the step (after its answer, or straight on for `say` steps). */
    next: TargetSchema.optional(),
    /** For yes/no steps: where "yes" and "no" lead, overriding `next`. */
    branch: z.strictObject({ yes: TargetSchema, no: TargetSchema }).optional(),
    /** A named action written in TypeScript, run on entering the step. */
    action: Id.optional(),
    /** Every place the action may send the user to (checked at load and at run time). */
    exits: z.array(TargetSchema).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.ask && !s.input) ctx.addIssue({ code: 'custom', message: 'a step with `ask` needs an `input`' });
    if (s.input && !s.ask) ctx.addIssue({ code: 'custom', message: 'a step with `input` needs an `ask`' });
    if (s.action && s.ask) ctx.addIssue({ code: 'custom', message: 'a step is either an `action` or an `ask`, not both' });
    if (s.branch && s.input?.type !== 'yesno') ctx.addIssue({ code: 'custom', message: '`branch` is only for yes/no inputs' });
    if (s.action && !s.exits?.length && !s.next) ctx.addIssue({ code: 'custom', message: 'an action step needs `exits` or `next`' });
  });
export type FlowStep = z.infer<typeof StepSchema>;

export const FlowSchema = z.strictObject({
  id: Id,
  start: Id,
  /** Flows entered only through another flow or an intent may say so, so they are not "unreachable". */
  entry: z.boolean().optional(),
  steps: z.record(Id, StepSchema),
});
export type Flow = z.infer<typeof FlowSchema>;

/** `flows/_routes.yaml`: ways into flows from outside them (deep links, intents). */
export const RoutesSchema = z.strictObject({
  /** /start payloads (Telegram deep links, QR codes at counters) to targets. */
  deeplinks: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), TargetSchema).default({}),
  /**
   * What each understood intent does: go somewhere (as a detour when mid-flow) or answer with a
   * text and stay where the user is.
   */
  intents: z
    .record(
      z.string().regex(/^[a-z][\w.-]*$/),
      z.union([
        z.strictObject({ go: TargetSchema, label: I18nKey }),
        z.strictObject({
          answer: I18nKey,
          label: I18nKey,
          /** Small talk the welcome already answers: a first message that is only this gets the welcome alone. */
          greeting: z.boolean().optional(),
        }),
      ]),
    )
    .default({}),
});
export type Routes = z.infer<typeof RoutesSchema>;
