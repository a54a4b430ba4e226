/**
 * The console's actions are guarded like every dashboard form: no session, no CSRF token, another
 * site's form, or a missing confirmation do nothing; hostile Page names are escaped on the Page
 * detail, and no token is rendered; a key limited to one Page neither sees nor acts on another Page's
 * messages, events or Page.
 */
import { describe, expect, it } from 'vitest';
import { startService } from '../service/service-harness.js';

const ADMIN = 'admin-key-for-tests-0123456789';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function cookieOf(setCookie: string | string[] | undefined): string {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return (first ?? '').split(';')[0]!;
}

describe('console actions', () => {
  it('remove a Page only with a session, the CSRF token, confirm=yes and a same-site request', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const tokens = () => h.pk.context.store.pageTokens.listForPage(pageId!);
    expect((await tokens()).length).toBe(1);

    const anonymous = await h.server.app.inject({ url: `/pages/${pageId}` });
    expect([anonymous.statusCode, anonymous.headers.location]).toEqual([303, '/login']);
    const noSession = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/remove`, headers: form, payload: 'confirm=yes' });
    expect(noSession.statusCode).toBe(401);

    const login = await h.server.app.inject({ method: 'POST', url: '/login', payload: `adminKey=${ADMIN}`, headers: form });
    const cookie = cookieOf(login.headers['set-cookie']);
    const detail = await h.server.app.inject({ url: `/pages/${pageId}`, headers: { cookie } });
    expect(detail.statusCode).toBe(200);
    expect(detail.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(detail.body)![1]!;

    const noCsrf = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/remove`, headers: { ...form, cookie }, payload: 'confirm=yes' });
    expect(noCsrf.statusCode).toBe(403);
    const crossSite = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/remove`, headers: { ...form, cookie, 'sec-fetch-site': 'cross-site' }, payload: `csrf=${csrf}&confirm=yes` });
    expect(crossSite.statusCode).toBe(403);
    const unconfirmed = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/remove`, headers: { ...form, cookie }, payload: `csrf=${csrf}` });
    expect([unconfirmed.statusCode, unconfirmed.headers.location]).toEqual([303, `/pages/${pageId}/remove`]);
    expect((await tokens()).length).toBe(1);

    // The confirmation page says what will happen.
    const confirm = await h.server.app.inject({ url: `/pages/${pageId}/remove`, headers: { cookie } });
    expect(confirm.body).toMatch(/data-testid="confirm-remove"[^]*delete its 1 stored token/);

    const done = await h.server.app.inject({ method: 'POST', url: `/pages/${pageId}/remove`, headers: { ...form, cookie, 'sec-fetch-site': 'same-origin' }, payload: `csrf=${csrf}&confirm=yes` });
    expect([done.statusCode, done.headers.location]).toEqual([303, `/?removed=${pageId}`]);
    expect(await tokens()).toEqual([]);
    const home = await h.server.app.inject({ url: done.headers.location as string, headers: { cookie } });
    expect(home.body).toContain(`Page ${pageId} was removed`);
    expect(home.body).not.toContain(`data-page-id="${pageId}"`);
    expect((await h.server.app.inject({ url: `/pages/${pageId}`, headers: { cookie } })).statusCode).toBe(404);
    const audit = await h.pk.context.store.audit.list({ pageId: pageId!, event: 'page_removed' });
    expect(audit.map((e) => e.reason)).toEqual(['removed by an operator']);
  });

  it('escapes hostile Page and person names on the Page detail and renders no token', async () => {
    const h = await startService({ devOpenDashboard: true });
    const user = await h.emu.control.createUser({ name: '<img src=x onerror=alert(1)>', pages: [{ name: '<script>alert("page")</script>' }] });
    await h.pk.connect(user.shortLivedToken);
    const pageId = user.pages[0]!.id;
    const detail = await h.server.app.inject({ url: `/pages/${pageId}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).not.toContain('<script>alert');
    expect(detail.body).not.toContain('<img src=x');
    expect(detail.body).toContain('&lt;script&gt;alert(&quot;page&quot;)&lt;/script&gt;');
    expect(detail.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const token = await h.pk.page(pageId).token();
    expect(detail.body).not.toContain(token);
  });

  it("a key limited to one Page neither lists nor acts on another Page's messages or events", async () => {
    const h = await startService({}, { outbox: 'library' });
    const [mine, theirs] = await h.connectFirstUser();
    const { psid } = await h.emu.control.inbound(theirs!, { text: 'hi' });
    await h.pk.messenger.recordInbound(theirs!, psid, Date.now());
    // The key's own message is older than the other Page's: a page of one must still find it.
    const { psid: minePsid } = await h.emu.control.inbound(mine!, { text: 'hi' });
    await h.pk.messenger.recordInbound(mine!, minePsid, Date.now());
    const own = await h.pk.messenger.enqueue(mine!, { recipient: { id: minePsid }, messaging_type: 'RESPONSE', message: { text: 'yours' } });
    const other = await h.pk.messenger.enqueue(theirs!, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'not yours' } });
    await h.pk.context.store.audit.append({ event: 'message_cancelled', pageId: theirs! });
    await h.pk.context.store.audit.append({ event: 'message_retried', pageId: mine! });
    const limited = (await h.deps.apiKeys.create({ name: 'one page', scopes: ['messages:write', 'events:read', 'pages:manage'], tenantId: 'default', pageIds: [mine!] })).key;
    const auth = { authorization: `Bearer ${limited}` };

    const listed = (await h.server.app.inject({ url: '/v1/messages?limit=1', headers: auth })).json() as { messages: { id: string }[]; next: string | null };
    expect(listed.messages.map((m) => m.id)).toEqual([own.id]);
    expect((await h.server.app.inject({ url: `/v1/messages?pageId=${theirs}`, headers: auth })).statusCode).toBe(404);
    for (const action of ['cancel', 'retry']) {
      expect((await h.server.app.inject({ method: 'POST', url: `/v1/messages/${other.id}/${action}`, headers: auth })).statusCode).toBe(404);
    }
    expect((await h.server.app.inject({ url: `/v1/messages/${other.id}/history`, headers: auth })).statusCode).toBe(404);
    expect((await h.pk.messenger.getMessage(other.id))?.status).toBe('queued');
    const events = (await h.server.app.inject({ url: '/v1/audit-log', headers: auth })).json() as { events: { pageId: string | null }[] };
    expect(events.events.length).toBe(1);
    expect(events.events.every((e) => e.pageId === mine)).toBe(true);
    expect((await h.server.app.inject({ method: 'DELETE', url: `/v1/pages/${theirs}`, headers: auth })).statusCode).toBe(404);
    expect((await h.server.app.inject({ method: 'POST', url: `/v1/pages/${theirs}/subscription`, headers: auth })).statusCode).toBe(404);
    expect((await h.pk.context.store.pageTokens.listForPage(theirs!)).length).toBe(1);
  });
});
