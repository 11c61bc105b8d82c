// What the hand-off action (actions.ts, pure) and the helpdesk service (service.ts, I/O) say to
// each other through the runtime:
//
// - the action asks for the `helpdesk` effect ({ op: ... } below); the runtime runs the
//   service's handler and feeds its result back into the action as an `effect` event;
// - the service pushes `helpdeskEvent` events into the user's chat (Runtime.push) when something
//   happens on the staff side: a staff member took the ticket, wrote, put it back, closed it; a
//   reminder. The action answers them with texts, which the runtime delivers through the channel.
//
// Results are validated with zod on the action's side: a missing handler, Redis down or a bug
// give `{ error }`, and the user is shown the official help channels instead of a broken hand-off.
import { z } from 'zod';
import { MediaKindSchema } from '../core/types.ts';
import { CLOSE_REASONS } from './tickets.ts';

export const HELPDESK_EFFECT = 'helpdesk';
export const HELPDESK_PUSH = 'helpdeskEvent';

export type HelpdeskOp =
  /** The chat's open ticket, if any, and the opening hours. */
  | { op: 'state' }
  | { op: 'open'; description: string }
  /** Something the user sent while the ticket is open: text, or a note that media was sent. */
  | { op: 'relay'; ticket?: string; text?: string; media?: z.infer<typeof MediaKindSchema> }
  /** "batal": leave the queue, or end the conversation with staff. */
  | { op: 'cancel' }
  | { op: 'rate'; ticket: string; rating: number }
  /** The action received a pushed event: the user is still in the hand-off. */
  | { op: 'ack'; push: string };

const HoursRuleSchema = z.object({ days: z.array(z.number().int().min(0).max(6)), from: z.number(), to: z.number() });
export const HoursSchema = z.object({ always: z.boolean(), rules: z.array(HoursRuleSchema), tz: z.string() });

export const HoursViewSchema = z.object({
  hours: HoursSchema,
  open: z.boolean(),
  /** When closed: the next opening (Unix ms). */
  nextOpen: z.number().optional(),
});
export type HoursView = z.infer<typeof HoursViewSchema>;

export const TicketViewSchema = z.object({
  id: z.string(),
  state: z.enum(['waiting', 'claimed']),
  position: z.number().int().positive().optional(),
  /** First name of the staff member who has it. */
  staff: z.string().optional(),
});
export type TicketView = z.infer<typeof TicketViewSchema>;

const CloseReasonSchema = z.enum(CLOSE_REASONS);

export const HelpdeskResultSchema = z.union([
  z.object({ op: z.literal('state'), ticket: TicketViewSchema.optional(), hours: HoursViewSchema }),
  z.object({ op: z.literal('open'), ticket: TicketViewSchema, created: z.boolean(), hours: HoursViewSchema }),
  z.object({
    op: z.literal('relay'),
    delivered: z.boolean(),
    /** The ticket closed meanwhile (the user has not been told yet). */
    closed: z.object({ reason: CloseReasonSchema, minutes: z.number().optional() }).optional(),
  }),
  z.object({ op: z.literal('cancel'), wasClaimed: z.boolean() }),
  z.object({ op: z.literal('rate'), ok: z.boolean() }),
  z.object({ op: z.literal('ack') }),
  z.object({ error: z.string() }),
]);
export type HelpdeskResult = z.infer<typeof HelpdeskResultSchema>;

const PushBase = { ticket: z.string(), push: z.string() };
export const HelpdeskPushSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('claimed'), staff: z.string(), ...PushBase }),
  z.object({ kind: z.literal('staff'), staff: z.string(), text: z.string(), ...PushBase }),
  z.object({ kind: z.literal('released'), position: z.number().int().positive().optional(), ...PushBase }),
  z.object({ kind: z.literal('remind'), position: z.number().int().positive().optional(), hours: HoursViewSchema, ...PushBase }),
  z.object({ kind: z.literal('closed'), reason: CloseReasonSchema, minutes: z.number().optional(), ...PushBase }),
]);
export type HelpdeskPush = z.infer<typeof HelpdeskPushSchema>;
/** A push as the service builds it (the push id is added when it is sent). */
export type HelpdeskPushPayload = DistributiveOmit<HelpdeskPush, 'push' | 'ticket'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
