/**
 * An open GET /v1/events stream carries Messenger message text: it must stop when its key is
 * revoked (here and by another process, the CLI), and no stream lives for ever.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startService, type Harness } from '../service/service-harness.js';

async function openStream(h: Harness, key: string) {
  if (!h.server.app.server.listening) await h.server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.server.app.server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const state = { text: '', closed: false, closedAt: 0 };
  const done = (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (r.done) break;
      state.text += new TextDecoder().decode(r.value);
    }
    state.closed = true;
    state.closedAt = Date.now();
  })();
  return { state, done, cancel: () => reader.cancel().catch(() => {}) };
}

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('GET /v1/events', () => {
  it('closes the stream of a key revoked through the service, and sends nothing after', async () => {
    const h = await startService();
    const created = await h.deps.apiKeys.create({ name: 'reader', scopes: ['events:read'] });
    const s = await openStream(h, created.key);
    h.server.hub.publish('messenger', { text: 'before the revoke' });
    await until(() => s.state.text.includes('before the revoke'), 2000);
    expect(s.state.text).toContain('before the revoke');

    await h.deps.apiKeys.revoke(created.id);
    const revokedAt = Date.now();
    await until(() => s.state.closed, 4000);
    expect(s.state.closed).toBe(true);
    expect(s.state.closedAt - revokedAt).toBeLessThanOrEqual(2500);
    expect(s.state.text).toContain('event: revoked');
    h.server.hub.publish('messenger', { text: 'after the revoke' });
    await new Promise((r) => setTimeout(r, 100));
    expect(s.state.text).not.toContain('after the revoke');
    expect(h.server.hub.size).toBe(0);
  });

  it('closes the stream of a key another process revoked in the database', async () => {
    const h = await startService();
    const created = await h.deps.apiKeys.create({ name: 'reader', scopes: ['events:read'] });
    const s = await openStream(h, created.key);
    // What `pagekeeper api-keys revoke` does from another process: the row changes, this process's cache is not told.
    await h.pk.context.store.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', created.id).execute();
    const revokedAt = Date.now();
    await until(() => s.state.closed, 6000);
    expect(s.state.closed).toBe(true);
    expect(s.state.closedAt - revokedAt).toBeLessThanOrEqual(3500);
    h.server.hub.publish('messenger', { text: 'secret text' });
    await new Promise((r) => setTimeout(r, 100));
    expect(s.state.text).not.toContain('secret text');
  });

  it('keeps the stream of a valid key open across re-checks and ends it at the maximum life', async () => {
    const h = await startService({}, { eventStreamRecheckMs: 100, eventStreamMaxLifeMs: 1500 });
    const key = await h.key(['events:read']);
    const s = await openStream(h, key);
    const opened = Date.now();
    await new Promise((r) => setTimeout(r, 700));
    expect(s.state.closed).toBe(false);
    h.server.hub.publish('messenger', { text: 'still open' });
    await until(() => s.state.text.includes('still open'), 1000);
    expect(s.state.text).toContain('still open');
    await until(() => s.state.closed, 3000);
    expect(s.state.closed).toBe(true);
    expect(s.state.closedAt - opened).toBeGreaterThanOrEqual(1400);
    expect(s.state.text).toContain('retry: ');
    expect(s.state.text).not.toContain('event: revoked');
  });
});
