/**
 * Instagram DMs reach the service as signed `object: "instagram"` webhooks on
 * /webhooks/instagram (and /webhooks/messenger): they are checked like Messenger's, recorded per
 * Instagram account and IGSID, streamed on /v1/events as `instagram`, and a reply through
 * POST /v1/pages/{id}/messages with "channel":"instagram" goes out without asking Facebook about the window.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { signBody } from '../../src/service/security/verify-webhook-signature.js';
import { waitFor } from '../helpers/messenger.js';
import { IG_SCOPES } from '../instagram/world.js';
import { startService } from './service-harness.js';

function collect(body: ReadableStream<Uint8Array>, type: string): { events: Array<Record<string, unknown>>; stop: () => Promise<void> } {
  const events: Array<Record<string, unknown>> = [];
  const reader = body.getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += new TextDecoder().decode(value);
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.split('\n').includes(`event: ${type}`)) continue;
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
      }
    }
  })();
  return { events, stop: () => reader.cancel() };
}

describe('Instagram webhooks in the service', () => {
  it('are recorded per account and IGSID, streamed as instagram, and a REST reply needs no lookup', async () => {
    const h = await startService({}, { outbox: 'library' });
    const user = await h.emu.control.createUser({ name: 'Ines', scopes: IG_SCOPES, pages: [{ name: 'Fjord Coffee', instagram: { username: 'fjord.coffee' } }] });
    await h.pk.connect(user.shortLivedToken);
    const pageId = user.pages[0]!.id;
    const igId = user.pages[0]!.instagram!.id;
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
    await h.emu.control.setWebhook({ url: `${base}/webhooks/instagram`, verifyToken: 'verify-me' });
    h.pk.messenger.startWorker({ pollMs: 20 });
    const stream = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${await h.key(['events:read'])}` } });
    const { events, stop } = collect(stream.body!, 'instagram');
    onTestFinished(stop);

    const { igsid, delivered } = await h.emu.control.instagramInbound(igId, { text: 'can I book a table?' });
    expect(delivered).toBe(true);
    await waitFor(async () => events.length, (n) => n === 1);
    expect(events[0]).toMatchObject({ object: 'instagram', channel: 'instagram', entry: [{ id: igId, messaging: [{ sender: { id: igsid }, message: { text: 'can I book a table?' } }] }] });
    await waitFor(() => h.pk.context.store.db.selectFrom('conversations').selectAll().where('page_id', '=', igId).execute(), (rows) => rows.length === 1);

    await h.emu.control.resetStats();
    const res = await fetch(`${base}/v1/pages/${pageId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await h.key(['messages:write'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'instagram', recipient: { id: igsid }, messaging_type: 'RESPONSE', message: { text: 'Yes, 7 pm works' } }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => h.pk.messenger.get(id), (m) => m?.status === 'sent');
    expect((await h.emu.control.instagramMessages(igId)).map((m) => (m.message as { text: string }).text)).toEqual(['Yes, 7 pm works']);
    expect((await h.emu.control.stats()).calls['GET /{page-id}/conversations'] ?? 0).toBe(0);
    const view = (await (await fetch(`${base}/v1/messages/${id}`, { headers: { authorization: `Bearer ${await h.key(['messages:write'])}` } })).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ status: 'sent', channel: 'instagram' });
    const page = (await (await fetch(`${base}/v1/pages/${pageId}`, { headers: { authorization: `Bearer ${await h.key(['pages:read'])}` } })).json()) as Record<string, unknown>;
    expect(page.instagram).toEqual({ id: igId, username: 'fjord.coffee', messaging: 'ok' });
  });

  it('refuses an unsigned or wrongly signed Instagram body on /webhooks/instagram and records a signed one', async () => {
    const h = await startService();
    const body = Buffer.from(JSON.stringify({ object: 'instagram', entry: [{ id: '17841400000000001', time: Date.now(), messaging: [{ sender: { id: '9' }, recipient: { id: '17841400000000001' }, timestamp: Date.now(), message: { mid: 'm', text: 'hi' } }] }] }));
    const post = (headers: Record<string, string>) => h.server.app.inject({ method: 'POST', url: '/webhooks/instagram', headers: { 'content-type': 'application/json', ...headers }, payload: body });
    expect((await post({})).statusCode).toBe(401);
    expect((await post({ 'x-hub-signature-256': signBody(body, 'not-the-secret') })).statusCode).toBe(403);
    expect((await post({ 'x-hub-signature-256': signBody(body, h.emu.appSecret) })).statusCode).toBe(200);
    await h.server.shutdown(2000);
    expect(await h.pk.context.store.db.selectFrom('conversations').selectAll().execute()).toMatchObject([{ page_id: '17841400000000001', psid: '9' }]);
  });

  it("shows each Page's Instagram inbox on the dashboard, with the fix when a permission is missing", async () => {
    const h = await startService({ devOpenDashboard: true });
    const ok = await h.emu.control.createUser({ name: 'Ines', scopes: IG_SCOPES, pages: [{ name: 'Fjord Coffee', instagram: { username: 'fjord.coffee' } }, { name: 'No Instagram' }] });
    await h.pk.connect(ok.shortLivedToken);
    const lacking = await h.emu.control.createUser({ name: 'Ola', scopes: IG_SCOPES.filter((s) => s !== 'instagram_manage_messages'), pages: [{ name: 'Harbour Books', instagram: { username: 'harbour.books' } }] });
    await h.pk.connect(lacking.shortLivedToken);
    const body = (await h.server.app.inject({ url: '/' })).body;
    const rows = [...body.matchAll(/data-testid="page-instagram" data-messaging="([a-z_]+)">Instagram @([a-z.]+)/g)].map((m) => [m[2], m[1]]);
    expect(rows.sort()).toEqual([
      ['fjord.coffee', 'ok'],
      ['harbour.books', 'missing_permission'],
    ]);
    expect(body).toContain('PAGEKEEPER_INSTAGRAM=true');
  });
});
