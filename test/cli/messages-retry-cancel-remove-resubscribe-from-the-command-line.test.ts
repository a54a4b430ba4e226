/**
 * The console's actions from the command line, with the dashboard's and the REST API's rules:
 * `pagekeeper messages` finds a failed message by filter, `pagekeeper retry` queues it again as a
 * new linked message (sent by the running worker; a second retry gives the same one), `pagekeeper
 * cancel` stops a queued one and refuses a sent one, `pagekeeper remove` needs --yes and then
 * cancels the Page's waiting messages and deletes its tokens, `pagekeeper resubscribe` subscribes
 * a Page Facebook dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMessengerWorld, textBody, waitFor, type MessengerWorld } from '../helpers/messenger.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-cli-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliEnv(w: MessengerWorld): Record<string, string> {
  return { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_DATABASE: w.database, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_GRAPH_URL: w.emu.url };
}

describe('the outbox and Page actions from the command line', () => {
  it('messages, retry, cancel, remove and resubscribe', { timeout: 90_000 }, async () => {
    const w = await startMessengerWorld({ database: `sqlite:${join(dir, 'console.db')}` });
    const env = cliEnv(w);
    const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
    await w.emu.control.setAppMode('development');
    const stranger = await w.person();
    const worker = w.pk.messenger.startWorker({ pollMs: 20 });
    const { id: failedId } = await w.pk.messenger.enqueue(w.pageId, textBody(stranger, 'your ticket is ready'));
    await waitFor(() => w.pk.messenger.getMessage(failedId), (m) => m?.status === 'failed');

    const listed = await cli('messages', '--status', 'failed', '--page', w.pageId, '--since', '1h', '--json');
    expect(listed.stderr).toBe('');
    const json = JSON.parse(listed.stdout) as { messages: { id: string; preview: string; error: { code: number } }[]; next: string | null };
    expect(json.messages.map((m) => [m.id, m.preview, m.error.code])).toEqual([[failedId, 'your ticket is ready', 10]]);
    expect(json.next).toBeNull();
    const human = await cli('messages', '--status', 'failed');
    expect(human.stdout).toMatch(new RegExp(`${failedId}.*failed.*your ticket is ready.*#10`));
    const badSince = await cli('messages', '--since', 'yesterday');
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/^error PK_USAGE: --since must be an ISO time/);

    await w.emu.control.setAppMode('live');
    const retried = await cli('retry', failedId, '--json');
    expect(retried.code).toBe(0);
    const r = JSON.parse(retried.stdout) as { id: string; retryOf: string; duplicate: boolean };
    expect(r).toMatchObject({ retryOf: failedId, duplicate: false });
    await waitFor(() => w.pk.messenger.getMessage(r.id), (m) => m?.status === 'sent');
    expect((await w.sent()).filter((m) => m.message?.text === 'your ticket is ready').length).toBe(1);
    const twice = await cli('retry', failedId);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain(`was retried already, as ${r.id}`);

    const cannot = await cli('cancel', r.id);
    expect(cannot.code).toBe(1);
    expect(cannot.stderr).toMatch(/^error PK_MESSAGE_NOT_CANCELLABLE: Message msg_\S+ is sent; only a queued or held message can be cancelled \| fix: /);
    const notRetryable = await cli('retry', r.id, '--json');
    expect(notRetryable.code).toBe(1);
    expect(JSON.parse(notRetryable.stdout)).toMatchObject({ error: { code: 'PK_MESSAGE_NOT_RETRYABLE' } });

    await worker.stop();
    const { id: waiting } = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'wait for me'));
    const cancelled = await cli('cancel', waiting, '--json');
    expect(JSON.parse(cancelled.stdout)).toEqual({ id: waiting, status: 'cancelled' });
    const { id: another } = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'and me'));

    const unconfirmed = await cli('remove', w.pageId);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/run again with --yes/);
    expect((await w.pk.context.store.pageTokens.listForPage(w.pageId)).length).toBe(1);
    const removed = await cli('remove', w.pageId, '--yes', '--json');
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ pageId: w.pageId, cancelledMessages: 1, tokensDeleted: 1, unsubscribed: true });
    expect((await w.pk.messenger.getMessage(another))?.status).toBe('cancelled');
    expect(await w.pk.context.store.pageTokens.listForPage(w.pageId)).toEqual([]);
    const pages = JSON.parse((await cli('pages', '--json')).stdout) as { pages: { id: string }[] };
    expect(pages.pages.map((p) => p.id)).not.toContain(w.pageId);

    const other = w.emu.users[0]!.pages[1]!.id;
    await w.emu.control.dropPageSubscription(other);
    const resub = await cli('resubscribe', other, '--json');
    expect(resub.code).toBe(0);
    expect(JSON.parse(resub.stdout)).toMatchObject({ pageId: other, subscribed: true, fields: expect.arrayContaining(['messages']) });
    expect((await w.emu.control.pageSubscription(other)).subscribedFields).toContain('messages');
    const gone = await cli('resubscribe', w.pageId);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error PK_PAGE_NOT_FOUND/);
  });
});
