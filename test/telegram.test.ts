// The Telegram channel end to end: the real grammY bot (runner, auto-retry, throttler, webhook
// callback) against the fake Bot API server on loopback, with the real engine and runtime, or a
// stand-in runtime where a test needs a particular reply or a failure.
import { Context } from 'grammy';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_MENUS } from '../src/channels/telegram/commands.ts';
import { ChannelBot, postsMessage, type TelegramRuntime } from '../src/channels/telegram/channel.ts';
import { stripBold, toHtml } from '../src/channels/telegram/render.ts';
import { step } from '../src/core/step.ts';
import type { Inbound, Reply } from '../src/core/types.ts';
import { inlineButtons } from './support/fake-bot-api.ts';
import { startTelegram, testEngine, WEBHOOK_SECRET, type TelegramKit, type TelegramKitOptions } from './support/drivers/telegram.ts';

const kits: TelegramKit[] = [];
async function kit(opts?: TelegramKitOptions): Promise<TelegramKit> {
  const k = await startTelegram(opts);
  kits.push(k);
  return k;
}

const rejections: unknown[] = [];
const onRejection = (r: unknown) => rejections.push(r);
beforeEach(() => {
  rejections.length = 0;
  process.on('unhandledRejection', onRejection);
});
afterEach(async () => {
  for (const k of kits.splice(0)) await k.close();
  process.off('unhandledRejection', onRejection);
  expect(rejections).toEqual([]);
});

/** A runtime that answers with `fn` and records what it was given. */
function stubRuntime(fn: (i: Inbound) => Reply[] | Promise<Reply[]>): TelegramRuntime & { seen: Inbound[] } {
  const seen: Inbound[] = [];
  return {
    seen,
    engine: testEngine(),
    async handle(i) {
      seen.push(i);
      return fn(i);
    },
  };
}

/** A text of locales/id, as the engine says it (the driver shows bold as *bold* too). */
const t = (key: string) => testEngine().t('id', key);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('telegram: polling', () => {
  it('starts with getMe, the command menus and deleteWebhook, long-polls, and stops promptly', async () => {
    const k = await kit();
    const { fake } = k;
    await fake.waitForPoll();
    // (Calls are recorded when answered: the held long poll comes later.)
    expect(fake.calls.map((c) => c.method).slice(0, 4)).toEqual(['getMe', 'setMyCommands', 'setMyCommands', 'deleteWebhook']);
    const poll = fake.heldPolls()[0]!;
    expect(poll.payload.allowed_updates).toEqual(['message', 'callback_query', 'my_chat_member']);

    const t0 = Date.now();
    await k.channel.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    const u = k.user('after-stop');
    const sentBefore = fake.sent.length;
    fake.text(u, 'halo');
    await sleep(300);
    expect(fake.sent.length).toBe(sentBefore);
    expect(fake.pending).toBe(1);
  });

  it('asked to stop while still starting, never starts polling', async () => {
    const k = await kit({ noStart: true });
    const starting = k.channel.start();
    await k.channel.stop(); // getMe is still on its way
    await starting;
    await sleep(300);
    expect(k.fake.heldPolls()).toEqual([]);
    expect(k.fake.calls.map((c) => c.method)).not.toContain('getUpdates');
  });

  it('refuses to start with a token the Bot API rejects', async () => {
    const k = await kit({ noStart: true, channel: { token: '999:wrong-token' } });
    await expect(k.channel.start()).rejects.toThrow(/401/);
  });

  it('reports a fatal stop when polling is taken over (another process sets a webhook)', async () => {
    const fatal: Error[] = [];
    const k = await kit({ channel: { onFatal: (e) => fatal.push(e) } });
    await k.fake.waitForPoll();
    await fetch(`${k.fake.apiRoot}/bot${k.fake.token}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://elsewhere.example/hook' }),
    });
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]!.message).toMatch(/409/);
    expect(k.log.entries().filter((e) => e.msg === 'telegram polling stopped')).toHaveLength(1);
  });

  it('throttles messages only: a staff group card can be edited again and again without waiting for the group limit', async () => {
    const k = await kit(); // the default throttler: 20 messages a minute to a group
    const group = -1001234567890;
    const sent = await k.channel.bot.api.sendMessage(group, 'Tiket #1');
    // 25 edits in a row: counted as messages, the 21st would wait a minute (past this test's timeout).
    for (let i = 0; i < 25; i++) {
      const keyboard = { inline_keyboard: [[{ text: `Ambil (${i})`, callback_data: 'hd:claim:1' }]] };
      await k.channel.bot.api.editMessageReplyMarkup(group, sent.message_id, { reply_markup: keyboard });
    }
    expect(k.fake.callsOf('editMessageReplyMarkup')).toHaveLength(25);
    expect(postsMessage('sendMessage') && postsMessage('copyMessage')).toBe(true);
    expect(postsMessage('editMessageText') || postsMessage('sendChatAction') || postsMessage('createForumTopic')).toBe(false);
  });

  it('sends replies outside a turn with send(), and reports a blocked chat', async () => {
    const k = await kit();
    const u = k.user('out');
    expect(await k.channel.send(String(u.id), [{ text: 'Tiket Anda *dibuka*' }])).toBe('ok');
    expect(k.fake.messagesTo(u.id)[0]!.text).toBe('Tiket Anda dibuka');
    k.fake.block(u.id);
    expect(await k.channel.send(String(u.id), [{ text: 'lagi' }])).toBe('blocked');
  });

  it('sets the command menu in Indonesian (default) and English, every command a real alias', async () => {
    const { fake } = await kit();
    const id = fake.commands.get('all_private_chats:')!.map((c) => c.command);
    const en = fake.commands.get('all_private_chats:en')!.map((c) => c.command);
    expect(id).toEqual(['menu', 'kembali', 'ulang', 'bantuan', 'bahasa', 'petugas', 'hapusdata']);
    expect(en).toEqual(['menu', 'back', 'restart', 'help', 'language', 'agent', 'deletedata']);
    const commands = testEngine().commands;
    const meaning = (c: string) => commands.get(`/${c}`);
    expect(id.map(meaning)).toEqual(['menu', 'back', 'restart', 'help', 'language', 'agent', 'delete']);
    expect(en.map(meaning)).toEqual(['menu', 'back', 'restart', 'help', 'language', 'agent', 'delete']);
    expect(COMMAND_MENUS).toHaveLength(2);
  });

  it('/start greets and offers the menu as inline buttons; a press is answered, its buttons removed, and the flow moves on', async () => {
    const k = await kit();
    const { fake, driver } = k;
    const first = await driver.start('ana');
    expect(first[0]!.text).toBe(t('common.welcome'));
    const menu = first.at(-1)!;
    expect(menu.choices.length).toBeGreaterThan(1);
    const u = k.user('ana');
    const menuMsg = fake.messagesTo(u.id).at(-1)!;
    expect(menuMsg.parseMode).toBe('HTML');
    for (const b of inlineButtons(menuMsg.sentMarkup)) {
      expect(b.callback_data).toMatch(/^c:\d+:/);
      expect(Buffer.byteLength(b.callback_data!)).toBeLessThanOrEqual(64);
    }

    const agentLabel = menu.choices.find((c) => /petugas/i.test(c))!;
    const since = fake.calls.length;
    const next = await driver.press('ana', agentLabel);
    expect(next.length).toBeGreaterThan(0);
    expect(next.at(-1)!.choices.length).toBeGreaterThan(0);
    const answered = fake.callsOf('answerCallbackQuery', since);
    expect(answered).toHaveLength(1);
    expect(answered[0]!.status).toBe(200);
    const edit = fake.callsOf('editMessageReplyMarkup', since);
    expect(edit).toHaveLength(1);
    expect(edit[0]!.payload.message_id).toBe(menuMsg.messageId);
    expect(menuMsg.markup).toBeUndefined();
  });

  it('opens the flow of every deep link (/start <payload>) exactly as the engine does, and the menu for an unknown one', async () => {
    const k = await kit();
    const engine = testEngine();
    const payloads = Object.keys(engine.routes.deeplinks);
    const expected = (payload?: string) =>
      step(engine, null, { channel: 'telegram', chatId: 'x', userId: 'x', event: payload ? { type: 'start', payload } : { type: 'start' } }, Date.now()).replies.map((r) => ({
        text: r.text,
        choices: (r.choices ?? []).map((c) => stripBold(c.label)),
      }));
    for (const p of payloads) {
      const got = await k.driver.start(`dl-${p}`, p);
      expect(got, `/start ${p}`).toEqual(expected(p));
    }
    const plain = await k.driver.start('dl-plain');
    const unknown = await k.driver.start('dl-unknown', 'poster-yang-tidak-ada');
    expect(unknown).toEqual(plain);
    expect(unknown.at(-1)!.choices.length).toBeGreaterThan(1);
  });

  it('passes the deep-link payload to the engine as a start event', async () => {
    const rt = stubRuntime(() => [{ text: 'ok' }]);
    const k = await kit({ runtime: rt });
    for (const p of ['pmi', 'daftar', 'status']) await k.driver.start('s', p);
    expect(rt.seen.map((i) => i.event)).toEqual([
      { type: 'start', payload: 'pmi' },
      { type: 'start', payload: 'daftar' },
      { type: 'start', payload: 'status' },
    ]);
    const u = k.user('s');
    expect(rt.seen[0]).toMatchObject({ channel: 'telegram', chatId: String(u.id), userId: String(u.id), langHint: 'id' });
    expect(rt.seen.map((i) => i.messageId)).toEqual([...new Set(rt.seen.map((i) => i.messageId))]);
  });

  it('answers photos, stickers, voice notes, documents and locations with what Pandu can do', async () => {
    const k = await kit();
    const { fake } = k;
    await k.driver.start('m');
    const u = k.user('m');
    for (const kind of ['photo', 'sticker', 'voice', 'document', 'location'] as const) {
      const since = fake.sent.length;
      const done = await k.waitDone(fake.enqueue(fake.build.media(u, kind)));
      expect(done).toMatchObject({ outcome: 'ok', event: 'media' });
      const texts = fake.messagesTo(u.id, since).map((m) => m.text);
      expect(texts[0], kind).toBe(stripBold(t('common.media')));
      expect(texts.length).toBeGreaterThan(1); // and the question again
    }
  });

  it('waits out a 429 with retry_after and still delivers the reply', async () => {
    const k = await kit();
    const { fake } = k;
    fake.rateLimitNext('sendMessage', 1);
    const t0 = Date.now();
    const replies = await k.driver.start('r');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(replies[0]!.text).toBe(t('common.welcome'));
    const sends = fake.callsOf('sendMessage');
    expect(sends[0]!.status).toBe(429);
    expect(sends[1]!.status).toBe(200);
    expect(sends[1]!.payload.text).toBe(sends[0]!.payload.text);
    expect(k.log.entries().filter((e) => e.level >= 50)).toEqual([]);
  });

  it('skips a user who blocked the bot (403) quietly, logs it once, and serves them again when they return', async () => {
    const k = await kit();
    const { fake } = k;
    await k.driver.start('b');
    const u = k.user('b');
    fake.block(u.id);
    const sendsBefore = fake.callsOf('sendMessage').length;
    expect(await k.waitDone(fake.text(u, 'menu'))).toMatchObject({ outcome: 'blocked' });
    expect(await k.waitDone(fake.text(u, 'bantuan'))).toMatchObject({ outcome: 'blocked' });
    // One attempt per turn: the rest of the turn's replies are not tried.
    expect(fake.callsOf('sendMessage').length - sendsBefore).toBe(2);
    const notes = k.log.entries().filter((e) => /blocked the bot/.test(e.msg));
    expect(notes, JSON.stringify(notes)).toHaveLength(1);
    expect(notes[0]!.level).toBe(30);
    expect(k.log.entries().filter((e) => e.level >= 50)).toEqual([]);
    expect(fake.callsOf('sendMessage').filter((c) => c.payload.text === toHtml(t('common.error')))).toEqual([]);

    fake.unblock(u.id);
    const back = await k.driver.say('b', 'menu');
    expect(back.at(-1)!.choices.length).toBeGreaterThan(0);
  });

  it('notes a block reported by my_chat_member once', async () => {
    const k = await kit();
    const u = k.user('k');
    await k.waitDone(k.fake.enqueue(k.fake.build.myChatMember(u, 'kicked')));
    k.fake.block(u.id);
    await k.waitDone(k.fake.text(u, 'halo'));
    expect(k.log.entries().filter((e) => /blocked the bot/.test(e.msg))).toHaveLength(1);
  });

  it('ignores group, supergroup and edited messages', async () => {
    const k = await kit();
    const { fake } = k;
    const u = k.user('g');
    const group = await k.waitDone(fake.text(u, '/start', { chat: { id: -100123, type: 'group', title: 'Grup' } }));
    const topic = await k.waitDone(fake.text(u, 'halo', { chat: { id: -1001234567890, type: 'supergroup', title: 'Staf', is_forum: true }, threadId: 7 }));
    expect([group.outcome, topic.outcome]).toEqual(['ignored', 'ignored']);
    expect(fake.sent).toEqual([]);

    await k.driver.start('g');
    const before = fake.sent.length;
    // Edited messages are not even requested (allowed_updates), and ignored if one arrives anyway.
    fake.enqueue(fake.build.text(u, 'menu', { edited: 1 }));
    const direct = fake.build.text(u, 'menu', { edited: 1 });
    await k.channel.bot.handleUpdate(direct);
    expect(k.done.find((d) => d.updateId === direct.update_id)).toMatchObject({ outcome: 'ignored', kind: 'edited_message' });
    const after = await k.driver.say('g', 'bantuan');
    expect(fake.sent.length - before).toBe(after.length);
    expect(k.done.filter((d) => d.kind === 'edited_message')).toHaveLength(1);
  });

  it('treats an old button as harmless: the current question is asked again, and double presses do no harm', async () => {
    const k = await kit();
    const { fake } = k;
    await k.driver.start('st');
    const u = k.user('st');
    const menuMsg = fake.messagesTo(u.id).at(-1)!;
    const menuButtons = inlineButtons(menuMsg.sentMarkup);
    const agent = menuButtons.find((b) => /petugas/i.test(b.text))!;
    const question = await k.driver.press('st', agent.text);
    const currentChoices = question.at(-1)!.choices;

    // The same old button again (e.g. a second tap that raced the removal).
    const since = fake.sent.length;
    const again = await k.waitDone(fake.press(u, agent.callback_data!, { message: menuMsg }));
    expect(again.outcome).toBe('ok');
    const seen = fake.messagesTo(u.id, since);
    expect(seen[0]!.text).toBe(stripBold(t('common.staleButton')));
    expect(inlineButtons(seen.at(-1)!.sentMarkup).map((b) => b.text)).toEqual(currentChoices);
    // Another option of the old menu: still only a re-ask, the user stays where they are.
    const other = menuButtons.find((b) => b !== agent)!;
    const since2 = fake.sent.length;
    await k.waitDone(fake.press(u, other.callback_data!, { message: menuMsg }));
    expect(fake.messagesTo(u.id, since2)[0]!.text).toBe(stripBold(t('common.staleButton')));
    // The current buttons still work.
    const ok = await k.driver.press('st', currentChoices.at(-1)!);
    expect(ok[0]!.text).not.toBe(t('common.staleButton'));
    expect(k.log.entries().filter((e) => e.level >= 50)).toEqual([]);
  });

  it('delivers text with <b>, & and quotes intact, and WhatsApp *bold* as bold', async () => {
    const text = 'Tulis <b>NIK</b> & "nama" a<b, 5 > 3 dan *penting*';
    const rt = stubRuntime(() => [{ text }]);
    const k = await kit({ runtime: rt });
    const [reply] = await k.driver.say('h', 'halo');
    expect(reply!.text).toBe(text);
    const sent = k.fake.sent[0]!;
    expect(sent.text).toBe('Tulis <b>NIK</b> & "nama" a<b, 5 > 3 dan penting');
    expect(sent.parseMode).toBe('HTML');
    expect(sent.raw).toContain('<b>penting</b>');
  });

  it('falls back to plain text if Telegram refuses the HTML anyway', async () => {
    const rt = stubRuntime(() => [{ text: 'Halo *kamu* & aku' }]);
    const k = await kit({ runtime: rt });
    k.fake.failNext('sendMessage', { error_code: 400, description: "Bad Request: can't parse entities: Unsupported start tag" });
    const [reply] = await k.driver.say('p', 'halo');
    expect(reply!.text).toBe('Halo kamu & aku');
    expect(k.fake.sent[0]!.parseMode).toBeUndefined();
  });

  it('splits a reply over 4096 characters, with the buttons on the last part', async () => {
    const para = 'Ini paragraf panjang tentang pelatihan dan insentif Kartu Prakerja. '.repeat(20).trim();
    const long = Array.from({ length: 8 }, () => para).join('\n\n'); // ~10.8k
    const rt = stubRuntime(() => [{ text: long, ask: 1, choices: [{ id: 'a', label: 'Lanjut' }] }]);
    const k = await kit({ runtime: rt });
    const replies = await k.driver.say('l', 'halo');
    expect(replies.length).toBe(3);
    for (const r of replies) expect(r.text.length).toBeLessThanOrEqual(4096);
    expect(replies.map((r) => r.choices)).toEqual([[], [], ['Lanjut']]);
    expect(replies.map((r) => r.text).join('\n\n')).toBe(long);
  });

  it('offers a contact button, reads the shared contact, then removes the keyboard; the phone never reaches the log', async () => {
    const rt = stubRuntime((i) =>
      i.event.type === 'contact' ? [{ text: 'Terima kasih' }, { text: 'Menu', ask: 3, choices: [{ id: 'a', label: 'A' }] }] : [{ text: 'Bagikan nomor Anda', ask: 2, requestContact: true }],
    );
    const k = await kit({ runtime: rt });
    await k.driver.say('c', 'status');
    const u = k.user('c');
    const kb = k.fake.sent[0]!.sentMarkup!;
    expect(kb.keyboard[0][0].request_contact).toBe(true);
    expect(kb.one_time_keyboard).toBe(true);
    await k.waitDone(k.fake.contact(u, { phone: '+6281234567890' }));
    expect(rt.seen[1]!.event).toEqual({ type: 'contact', phone: '+6281234567890', own: true });
    const after = k.fake.sent.slice(1);
    expect(after[0]!.sentMarkup).toEqual({ remove_keyboard: true });
    expect(after[1]!.sentMarkup).toHaveProperty('inline_keyboard');
    await k.waitDone(k.fake.contact(u, { phone: '+6281298765432', userId: 999 }));
    expect(rt.seen[2]!.event).toMatchObject({ own: false });
    expect(k.log.text()).not.toMatch(/81234567890|81298765432/);
  });

  it('shows "typing" while a reply takes long', async () => {
    const rt = stubRuntime(async () => {
      await sleep(300);
      return [{ text: 'selesai' }];
    });
    const k = await kit({ runtime: rt, channel: { typingDelayMs: 50 } });
    await k.driver.say('ty', 'halo');
    const typing = k.fake.callsOf('sendChatAction');
    expect(typing.length).toBeGreaterThanOrEqual(1);
    expect(typing[0]!.payload.action).toBe('typing');
  });

  it('handles chats concurrently but each chat in order', async () => {
    const rt = stubRuntime(async (i) => {
      const text = i.event.type === 'text' ? i.event.text : '';
      if (text.startsWith('slow')) await sleep(400);
      return [{ text: `re: ${text}` }];
    });
    const k = await kit({ runtime: rt });
    const a = k.user('a');
    const b = k.user('b');
    const ids = [k.fake.text(a, 'slow 1'), k.fake.text(a, 'fast 2'), k.fake.text(b, 'fast 3')];
    await Promise.all(ids.map((id) => k.waitDone(id)));
    expect(k.fake.sent.map((m) => m.text)).toEqual(['re: fast 3', 're: slow 1', 're: fast 2']);
  });

  it('apologises and keeps polling when handling an update throws', async () => {
    let calls = 0;
    const rt = stubRuntime(() => {
      if (++calls === 1) throw new Error('engine exploded');
      return [{ text: 'baik' }];
    });
    const k = await kit({ runtime: rt });
    const first = await k.driver.say('e', 'rahasia saya 3174091203900001');
    expect(first.map((r) => r.text)).toEqual([t('common.error')]);
    const second = await k.driver.say('e', 'lagi');
    expect(second.map((r) => r.text)).toEqual(['baik']);
    const errors = k.log.entries().filter((e) => e.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'telegram update failed', event: 'text', kind: 'message' });
    expect(errors[0]!.update).toBeTypeOf('number');
    expect(k.log.text()).not.toContain('rahasia');
  });
});

describe('telegram: ChannelBot', () => {
  // Every update's ctx.api is the bot's own Api (no per-update client): the two options that
  // would need grammY's own handleUpdate are refused at construction, not silently ignored.
  it('refuses webhook replies and a custom context, naming the option', () => {
    expect(() => new ChannelBot('1:x', { client: { canUseWebhookReply: () => true } })).toThrow(/canUseWebhookReply/);
    expect(() => new ChannelBot('1:x', { ContextConstructor: class extends Context {} })).toThrow(/ContextConstructor/);
    expect(new ChannelBot('1:x', { client: { apiRoot: 'http://127.0.0.1:9' } })).toBeInstanceOf(ChannelBot);
  });
});

describe('telegram: webhook', () => {
  it('sets the webhook with its secret at start and never polls', async () => {
    const k = await kit({ mode: 'webhook' });
    const set = k.fake.callsOf('setWebhook');
    expect(set).toHaveLength(1);
    expect(set[0]!.payload).toMatchObject({ url: k.webhookUrl, secret_token: WEBHOOK_SECRET, allowed_updates: ['message', 'callback_query', 'my_chat_member'] });
    expect(k.channel.webhookPath).toBe('/telegram/webhook');
    expect(k.fake.callsOf('getUpdates')).toEqual([]);
    expect(k.fake.callsOf('deleteWebhook')).toEqual([]);
    expect(k.fake.commands.size).toBe(2);
  });

  it('handles an update with the right secret: 200 and the replies sent', async () => {
    const k = await kit({ mode: 'webhook' });
    const replies = await k.driver.start('w');
    expect(replies[0]!.text).toBe(t('common.welcome'));
    await vi.waitFor(() => expect(k.fake.webhookDeliveries).toEqual([{ updateId: expect.any(Number), status: 200 }]));
    const pressed = await k.driver.press('w', replies.at(-1)!.choices[0]!);
    expect(pressed.length).toBeGreaterThan(0);
  });

  it('refuses a wrong or missing secret with 401 and handles nothing', async () => {
    const k = await kit({ mode: 'webhook' });
    const u = k.user('x');
    const wrong = await k.fake.deliverToWebhook(k.fake.build.start(u), { secret: 'not-the-secret' });
    const missing = await k.fake.deliverToWebhook(k.fake.build.start(u), { secret: null });
    const almost = await k.fake.deliverToWebhook(k.fake.build.start(u), { secret: `${WEBHOOK_SECRET}x` });
    expect([wrong.status, missing.status, almost.status]).toEqual([401, 401, 401]);
    await sleep(100);
    expect(k.done).toEqual([]);
    expect(k.fake.callsOf('sendMessage')).toEqual([]);
    expect(k.log.entries().filter((e) => /secret token/.test(e.msg))).toHaveLength(1);
  });

  it('answers 400 to a body that is not JSON, and 503 once stopped', async () => {
    const k = await kit({ mode: 'webhook' });
    const u = k.user('y');
    const bad = await k.fake.deliverToWebhook(k.fake.build.start(u), { body: '{not json' });
    expect(bad.status).toBe(400);
    await k.channel.stop();
    const late = await k.fake.deliverToWebhook(k.fake.build.start(u));
    expect(late.status).toBe(503);
    expect(k.fake.callsOf('sendMessage')).toEqual([]);
  });

  it('survives a handler that throws: the user gets an apology, the error is logged once without personal data', async () => {
    const rt = stubRuntime(async () => {
      throw new Error('status provider exploded');
    });
    const k = await kit({ mode: 'webhook', runtime: rt });
    const u = k.user('z');
    const replies = await k.driver.say('z', 'NIK saya 3174091203900001');
    expect(replies.map((r) => r.text)).toEqual([t('common.error')]);
    await vi.waitFor(() => expect(k.fake.webhookDeliveries.at(-1)?.status).toBe(200));
    const errors = k.log.entries().filter((e) => e.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'telegram update failed', chat: String(u.id), event: 'text' });
    expect(errors[0]!.err.message).toBe('status provider exploded');
    expect(k.log.text()).not.toContain('3174091203900001');
    // And the server still serves.
    const again = await k.driver.say('z', 'halo');
    expect(again.map((r) => r.text)).toEqual([t('common.error')]);
  });
});
