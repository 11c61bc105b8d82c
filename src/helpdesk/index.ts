// The helpdesk as main.ts puts it together: the ticket store (Redis when REDIS_URL is set, memory
// otherwise), the service, and the Telegram staff side when there is a staff group.
//
//   const hd = setupHelpdesk({ ... });                  before the runtime: it needs hd.effects
//   const runtime = createRuntime({ effects: { ...hd.effects }, hooks: { forgetChat: hd.forgetChat } });
//   createTelegramChannel({ ..., before: hd.staff?.composer });
//   await hd.start(runtime);                             after the runtime and channels exist
//   ...
//   await hd.stop();                                     on shutdown, before the store closes
import type { Api } from 'grammy';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EffectHandler } from '../core/runtime.ts';
import type { HelpdeskSettings } from './config.ts';
import { Helpdesk, type HelpdeskStats, type UserChannel } from './service.ts';
import { createTelegramStaff, type TelegramStaff } from './staff-telegram.ts';
import { MemoryTicketStore, RedisTicketStore, type TicketStore } from './tickets.ts';

export { helpdeskActions, HANDOFF_ACTION } from './actions.ts';
export { HELPDESK_ENV, helpdeskSettings, type HelpdeskSettings } from './config.ts';
export { Helpdesk, type HelpdeskEvent, type HelpdeskStats, type StaffSide } from './service.ts';
export { createTelegramStaff, type TelegramStaff } from './staff-telegram.ts';
export type { HelpdeskCounts, Ticket, TicketStore } from './tickets.ts';

export interface HelpdeskSetupOptions {
  settings: HelpdeskSettings;
  /** HELPDESK_CHAT_ID. Without it (or without Telegram) there is no staff side. */
  staffChatId?: number;
  /** The Telegram channel's bot API, read when first needed (the channel is built after this). */
  telegramApi?: () => Api;
  /** Unset: tickets in memory (one process; lost on restart). */
  redis?: Redis;
  /** REDIS_KEY_PREFIX. */
  prefix: string;
  logger: Logger;
}

export interface HelpdeskSetup {
  readonly helpdesk: Helpdesk;
  readonly tickets: TicketStore;
  readonly stats: HelpdeskStats;
  /** For RuntimeOptions.effects. */
  readonly effects: Record<string, EffectHandler>;
  /** For RuntimeHooks.forgetChat ("hapus data saya"). */
  readonly forgetChat: (chatKey: string) => Promise<void>;
  /** For the Telegram channel's `before` option; undefined without a staff group. */
  readonly staff?: TelegramStaff;
  /** Connects the runtime (for pushes to users), creates the queue topic, starts the sweep. */
  start(runtime: UserChannel): Promise<void>;
  /** Stops the sweep and waits for work in progress. */
  stop(): Promise<void>;
}

export function setupHelpdesk(o: HelpdeskSetupOptions): HelpdeskSetup {
  const tickets: TicketStore = o.redis ? new RedisTicketStore(o.redis, { prefix: o.prefix }) : new MemoryTicketStore();
  const helpdesk = new Helpdesk({ tickets, config: o.settings, logger: o.logger });
  const staff =
    o.staffChatId !== undefined && o.telegramApi
      ? createTelegramStaff({ api: o.telegramApi, chatId: o.staffChatId, helpdesk, logger: o.logger })
      : undefined;
  if (staff) helpdesk.attachStaff(staff);
  return {
    helpdesk,
    tickets,
    stats: helpdesk.stats,
    effects: helpdesk.effects(),
    forgetChat: (chatKey) => helpdesk.forgetChat(chatKey),
    staff,
    async start(runtime) {
      helpdesk.attachUsers(runtime);
      await staff?.start();
      helpdesk.start();
      o.logger.info({ staff: staff ? 'telegram' : 'none', store: o.redis ? 'redis' : 'memory' }, 'helpdesk started');
    },
    async stop() {
      await helpdesk.stop();
      await staff?.idle();
    },
  };
}
