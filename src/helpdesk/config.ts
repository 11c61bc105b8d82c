// The helpdesk's environment variables, as pieces for src/config.ts's schema (which owns all
// configuration): spread HELPDESK_ENV into its ENV_SHAPE and put `helpdeskSettings(env)` into the
// `helpdesk` part of its transform. Each variable: blank or unset means the default.
//
//   HELPDESK_HOURS              when staff answer (see hours.ts for the format);
//                               default "Mon-Fri 08:00-17:00 Asia/Jakarta"
//   HELPDESK_REMIND_AFTER_MIN   remind a user nobody has taken after this many minutes (1-1440, default 10)
//   HELPDESK_IDLE_CLOSE_MIN     close a taken ticket after this many minutes without a message
//                               either way (5-1440, default 30)
import { z } from 'zod';
import { envVar, wholeNumber } from '../env-vars.ts';
import { DEFAULT_HOURS_TEXT, HOURS_FORMAT_HELP, parseHours, type Hours } from './hours.ts';

function minutes(min: number, max: number, fallback: number) {
  return envVar(wholeNumber(min, max, `a whole number of minutes from ${min} to ${max}`).default(fallback));
}

export const HELPDESK_ENV = {
  HELPDESK_HOURS: envVar(
    z
      .string()
      .optional()
      .transform((s, ctx): Hours => {
        const r = parseHours(s ?? DEFAULT_HOURS_TEXT);
        if (!r.ok) {
          ctx.addIssue({ code: 'custom', message: `expected ${HOURS_FORMAT_HELP}; ${r.error}` });
          return z.NEVER;
        }
        return r.hours;
      }),
  ),
  HELPDESK_REMIND_AFTER_MIN: minutes(1, 1440, 10),
  HELPDESK_IDLE_CLOSE_MIN: minutes(5, 1440, 30),
};

export interface HelpdeskSettings {
  hours: Hours;
  remindAfterMs: number;
  idleCloseMs: number;
}

/** The helpdesk part of Config, from the parsed variables above. */
export function helpdeskSettings(env: { HELPDESK_HOURS: Hours; HELPDESK_REMIND_AFTER_MIN: number; HELPDESK_IDLE_CLOSE_MIN: number }): HelpdeskSettings {
  return {
    hours: env.HELPDESK_HOURS,
    remindAfterMs: env.HELPDESK_REMIND_AFTER_MIN * 60_000,
    idleCloseMs: env.HELPDESK_IDLE_CLOSE_MIN * 60_000,
  };
}
