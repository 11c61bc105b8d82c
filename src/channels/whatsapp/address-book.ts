// Where to reach a WhatsApp chat that has not just written: the helpdesk relays a staff answer,
// or closes a ticket, possibly after Pandu restarted. Sessions know a chat only by its pseudonym
// (inbound.ts), so the real address (which contains the phone number) is kept here, encrypted
// with a key derived from WHATSAPP_ID_SECRET, for a bounded time after the chat's last message,
// and deleted with "hapus data saya". Without Redis the channel keeps addresses in memory only.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface AddressBook {
  get(chatId: string): Promise<string | undefined>;
  set(chatId: string, to: string): Promise<void>;
  forget(chatId: string): Promise<void>;
}

export interface RedisAddressBookOptions {
  /** WHATSAPP_ID_SECRET: the encryption key is derived from it. */
  secret: string;
  /** REDIS_KEY_PREFIX. */
  prefix: string;
  ttlMs: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class RedisAddressBook implements AddressBook {
  private readonly key: Buffer;

  constructor(
    private readonly redis: Redis,
    private readonly o: RedisAddressBookOptions,
  ) {
    // A key of its own, so the pseudonym HMAC and this cipher never share one.
    this.key = createHmac('sha256', o.secret).update('pandu whatsapp address key v1').digest();
  }

  async get(chatId: string): Promise<string | undefined> {
    const stored = await this.redis.getBuffer(this.keyOf(chatId));
    if (!stored || stored.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, stored.subarray(0, IV_BYTES));
      decipher.setAuthTag(stored.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      decipher.setAAD(Buffer.from(chatId));
      return Buffer.concat([decipher.update(stored.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined; // another secret, or tampered with: as good as unknown
    }
  }

  async set(chatId: string, to: string): Promise<void> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(chatId)); // a value copied under another chat does not decrypt
    const body = Buffer.concat([cipher.update(to, 'utf8'), cipher.final()]);
    await this.redis.set(this.keyOf(chatId), Buffer.concat([iv, cipher.getAuthTag(), body]), 'PX', this.o.ttlMs);
  }

  async forget(chatId: string): Promise<void> {
    await this.redis.del(this.keyOf(chatId));
  }

  private keyOf(chatId: string): string {
    return `${this.o.prefix}wa:addr:${chatId}`;
  }
}
