/**
 * `GET /v1/pages`, `GET /v1/pages/{id}` and the dashboard show each Page's webhook subscription
 * (`"subscription":{"subscribed","fields",...}`), and why a Page is not subscribed.
 */
import { describe, expect, it } from 'vitest';
import { startService } from './service-harness.js';

const ADMIN = 'admin-key-for-tests-0123456789';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

function cookieOf(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return (first ?? '').split(';')[0]!;
}

describe('Pages show their webhook subscription', () => {
  it('in the REST API and on the dashboard, subscribed or not with the reason', async () => {
    const h = await startService();
    const [subscribedId, secondId] = await h.connectFirstUser();
    // A Page connected by a person without pages_manage_metadata: connected, but not subscribed.
    const other = await h.emu.control.createUser({ name: 'No Metadata', pages: [{ name: 'Side Shop', subscribed: false }], scopes: ['pages_show_list', 'pages_messaging'] });
    await h.pk.connect(other.shortLivedToken);
    const sideId = other.pages[0]!.id;
    const key = await h.key(['pages:read']);

    const list = await h.server.app.inject({ url: '/v1/pages', headers: auth(key) });
    expect(list.statusCode).toBe(200);
    const pages = (list.json() as { pages: { id: string; subscription: Record<string, unknown> }[] }).pages;
    const byId = new Map(pages.map((p) => [p.id, p.subscription]));
    expect(byId.get(subscribedId!)).toMatchObject({ subscribed: true, fields: ['messages', 'messaging_postbacks', 'message_deliveries', 'message_reads', 'messaging_referrals'], reason: null, fix: null });
    expect(byId.get(secondId!)).toMatchObject({ subscribed: true });
    expect(byId.get(sideId)).toMatchObject({ subscribed: false, fields: [], reason: expect.stringMatching(/pages_manage_metadata/), fix: expect.stringMatching(/connect again/i) });

    const one = await h.server.app.inject({ url: `/v1/pages/${sideId}`, headers: auth(key) });
    expect(one.json()).toMatchObject({ id: sideId, subscription: { subscribed: false, checkedAt: expect.any(String) } });

    const login = await h.server.app.inject({ method: 'POST', url: '/login', payload: `adminKey=${ADMIN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const page = await h.server.app.inject({ url: '/', headers: { cookie: cookieOf(login.headers['set-cookie']) } });
    expect(page.statusCode).toBe(200);
    const row = (id: string) => page.body.split('data-testid="page-row"').find((r) => r.includes(`data-page-id="${id}"`)) ?? '';
    expect(row(subscribedId!)).toMatch(/data-testid="page-subscription" data-subscribed="true">subscribed/);
    expect(row(sideId)).toMatch(/data-subscribed="false"/);
    expect(row(sideId)).toMatch(/data-testid="subscription-reason">[^<]*pages_manage_metadata/);
  });

  it('a data deletion unsubscribes the Pages that go with the person, while their token still works', async () => {
    const h = await startService();
    const pageIds = await h.connectFirstUser();
    for (const id of pageIds) expect((await h.emu.control.pageSubscription(id)).subscribedFields).toContain('messages');
    await h.deps.deleteUserData(h.emu.users[0]!.id, 'code-123');
    for (const id of pageIds) expect((await h.emu.control.pageSubscription(id)).subscribedFields).toBeNull();
    expect((await h.deps.pages.list()).filter((p) => p.removedAt === null)).toEqual([]);
  });
});
