import { describe, expect, it, onTestFinished } from 'vitest';
import { createPageKeeper } from '../../src/pagekeeper.js';
import { isPageKeeperError } from '../../src/errors.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { captureLogger } from '../graph/stub-server.js';
import { startTestEmulator } from '../helpers/emulator.js';

async function world(options: { people?: { maxEntries?: number; ttlMs?: number } } = {}) {
  const emu = await startTestEmulator();
  const { lines, logger } = captureLogger();
  const pk = await createPageKeeper({
    appId: emu.appId,
    appSecret: emu.appSecret,
    database: 'sqlite::memory:',
    keys: generateKeyEntry('t1'),
    graphUrl: emu.url,
    dialogUrl: emu.dialogUrl,
    logger,
    ...(options.people ? { people: options.people } : {}),
  });
  onTestFinished(() => pk.close());
  await pk.connect(emu.users[0]!.shortLivedToken);
  const pageId = emu.users[0]!.pages[0]!.id;
  const { psid } = await emu.control.inbound(pageId, { text: 'hello' });
  await pk.messenger.recordInbound(pageId, psid, Date.now());
  const profileCalls = async () => (await emu.control.stats()).calls['GET /{id}'] ?? 0;
  return { emu, pk, pageId, psid, lines, profileCalls };
}

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal');
}

describe('page(id).profile(psid)', () => {
  it("gives the person's name and picture, asks Facebook once for many lookups, and never logs the name", async () => {
    const { emu, pk, pageId, psid, lines, profileCalls } = await world();
    await emu.control.setPerson(pageId, psid, { first_name: 'Zebulon', last_name: 'Quixotewright' });
    const [a, b] = await Promise.all([pk.page(pageId).profile(psid), pk.page(pageId).profile(psid)]);
    expect(a).toMatchObject({ psid, pageId, firstName: 'Zebulon', lastName: 'Quixotewright', name: 'Zebulon Quixotewright' });
    expect(a.profilePic).toMatch(/^https:\/\//);
    expect(b).toEqual(a);
    await pk.page(pageId).profile(psid);
    expect(await profileCalls()).toBe(1);
    const log = lines.join('\n');
    expect(log).not.toContain('Zebulon');
    expect(log).not.toContain('Quixotewright');
  });

  it('forgets a name after the TTL and keeps at most maxEntries people', async () => {
    const { emu, pk, pageId, psid, profileCalls } = await world({ people: { ttlMs: 50, maxEntries: 2 } });
    await pk.page(pageId).profile(psid);
    await new Promise((r) => setTimeout(r, 80));
    await emu.control.setPerson(pageId, psid, { first_name: 'Renamed' });
    expect((await pk.page(pageId).profile(psid)).firstName).toBe('Renamed');
    expect(await profileCalls()).toBe(2);
    const others = await Promise.all([1, 2, 3].map(async () => (await emu.control.inbound(pageId, { text: 'x' })).psid));
    for (const id of others) await pk.page(pageId).profile(id);
    expect(pk.people.size).toBeLessThanOrEqual(2);
  });

  it('someone who never wrote to the Page is PK_PERSON_NOT_FOUND', async () => {
    const { pk, pageId } = await world();
    const e = await refusal(pk.page(pageId).profile('1234567890123456'));
    expect(isPageKeeperError(e, 'PK_PERSON_NOT_FOUND')).toBe(true);
  });

  it('nameIfKnown answers within its wait, or undefined while the lookup goes on', async () => {
    const { emu, pk, pageId, psid } = await world();
    await emu.control.setPerson(pageId, psid, { first_name: 'Ida', last_name: 'Known' });
    await emu.control.setLatency({ ms: 400 });
    const started = Date.now();
    expect(await pk.people.nameIfKnown(pageId, psid, 50)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(350);
    await new Promise((r) => setTimeout(r, 500));
    expect(await pk.people.nameIfKnown(pageId, psid, 0)).toBe('Ida Known');
  });
});

describe('page(id).messengerProfile', () => {
  it('sets, reads and deletes the bot settings', async () => {
    const { emu, pk, pageId } = await world();
    const bot = pk.page(pageId).messengerProfile;
    await bot.set({ get_started: { payload: 'START' }, greeting: [{ locale: 'default', text: 'Hi {{user_first_name}}' }] });
    await bot.set({ persistent_menu: [{ locale: 'default', call_to_actions: [{ type: 'postback', title: 'Help', payload: 'HELP' }] }] });
    expect(await bot.get()).toEqual({
      get_started: { payload: 'START' },
      greeting: [{ locale: 'default', text: 'Hi {{user_first_name}}' }],
      persistent_menu: [{ locale: 'default', call_to_actions: [{ type: 'postback', title: 'Help', payload: 'HELP' }] }],
    });
    await bot.delete(['greeting']);
    expect((await emu.control.messengerProfile(pageId)).profile.greeting).toBeUndefined();
  });

  it('refuses an invalid profile locally, naming every problem, without a Graph call', async () => {
    const { emu, pk, pageId } = await world();
    const bot = pk.page(pageId).messengerProfile;
    const e = await refusal(
      bot.set({
        get_started: { payload: 'S' },
        greeting: [{ locale: 'default', text: 'g'.repeat(161) }],
        persistent_menu: [{ locale: 'default', call_to_actions: Array.from({ length: 21 }, (_, i) => ({ type: 'postback' as const, title: `T${i}`, payload: `P${i}` })) }],
        ice_breakers: Array.from({ length: 5 }, (_, i) => ({ question: `Q${i}`, payload: `P${i}` })),
        whitelisted_domains: ['http://shop.example.com'],
      }),
    );
    expect(isPageKeeperError(e, 'PK_BOT_PROFILE_INVALID')).toBe(true);
    const problems = (e as { details: { problems: string[] } }).details.problems.join('\n');
    expect(problems).toContain('greeting[0].text');
    expect(problems).toContain('at most 20 menu items');
    expect(problems).toContain('ice_breakers');
    expect(problems).toContain('whitelisted_domains[0]');
    expect((await emu.control.messengerProfile(pageId)).callsInWindow).toBe(0);
    const menuOnly = await refusal(bot.set({ persistent_menu: [{ locale: 'default', call_to_actions: [{ type: 'postback', title: 'A', payload: 'A' }] }] }));
    expect(isPageKeeperError(menuOnly, 'PK_BOT_PROFILE_INVALID')).toBe(true);
    expect((menuOnly as Error).message).toContain('Get Started');
  });
});

describe('page(id).uploadAttachment', () => {
  it('uploads by URL and by file (multipart), and both ids send through the outbox body', async () => {
    const { emu, pk, pageId, psid } = await world();
    const byUrl = await pk.page(pageId).uploadAttachment({ url: 'https://cdn.example.com/menu.png' });
    expect(byUrl.attachmentId).toMatch(/^\d+$/);
    const sent = await pk.messenger.send(pageId, psid, { message: { attachment: { type: 'image', payload: { attachment_id: byUrl.attachmentId } } } });
    expect(sent.messageId).toMatch(/^m_/);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 7)]);
    const byFile = await pk.page(pageId).uploadAttachment({ file: png, type: 'image', filename: 'logo.png' });
    expect(byFile.attachmentId).not.toBe(byUrl.attachmentId);
    const queued = await pk.messenger.enqueue(pageId, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'image', payload: { attachment_id: byFile.attachmentId } } } });
    const worker = pk.messenger.startWorker({ pollMs: 20 });
    onTestFinished(() => worker.stop());
    await expect.poll(async () => (await pk.messenger.get(queued.id))?.status, { timeout: 10_000 }).toBe('sent');
    const uploads = await emu.control.attachments(pageId);
    expect(uploads[0]).toMatchObject({ id: byUrl.attachmentId, type: 'image', url: 'https://cdn.example.com/menu.png', reusable: true });
    expect(uploads[1]).toMatchObject({ id: byFile.attachmentId, type: 'image', url: null, reusable: true, file: { filename: 'logo.png', contentType: 'image/png', bytes: png.length } });
    const delivered = (await emu.control.sentMessages(pageId)).map((m) => m.message);
    expect(delivered).toContainEqual({ attachment: { type: 'image', payload: { attachment_id: byFile.attachmentId } } });
  });

  it('refuses a bad upload locally', async () => {
    const { pk, pageId } = await world();
    expect(isPageKeeperError(await refusal(pk.page(pageId).uploadAttachment({ url: 'ftp://x.example/a.png' })), 'PK_ATTACHMENT_INVALID')).toBe(true);
    expect(isPageKeeperError(await refusal(pk.page(pageId).uploadAttachment({ file: new Uint8Array(0), type: 'image' })), 'PK_ATTACHMENT_INVALID')).toBe(true);
  });
});
