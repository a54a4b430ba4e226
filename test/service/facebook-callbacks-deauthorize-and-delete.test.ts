import { describe, expect, it } from 'vitest';
import { makeSignedRequest } from '../../src/service/security/parse-signed-request.js';
import { startService } from './service-harness.js';

const form = (_value?: string) => ({ 'content-type': 'application/x-www-form-urlencoded' });

describe("Facebook's app callbacks", () => {
  it('data deletion really deletes the user, their tokens and pages, and shows a status page', async () => {
    const h = await startService({ publicUrl: 'https://pk.example.com' });
    const pageIds = await h.connectFirstUser();
    const userId = h.emu.users[0]!.id;
    const db = h.pk.context.store.db;
    expect((await db.selectFrom('page_tokens').selectAll().execute()).length).toBe(pageIds.length);

    const signed = makeSignedRequest({ user_id: userId, algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000) }, h.emu.appSecret);
    const res = await h.server.app.inject({ method: 'POST', url: '/facebook/data-deletion', headers: form(signed), payload: `signed_request=${encodeURIComponent(signed)}` });
    expect(res.statusCode).toBe(200);
    const { url, confirmation_code } = res.json() as { url: string; confirmation_code: string };
    expect(url).toBe(`https://pk.example.com/facebook/data-deletion/${confirmation_code}`);

    expect(await db.selectFrom('users').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('page_tokens').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('audit_log').selectAll().where('user_id', '=', userId).execute()).toEqual([]);
    await expect(h.pk.page(pageIds[0]!).token()).rejects.toMatchObject({ code: expect.stringMatching(/PK_PAGE_NOT_FOUND|PK_NO_VALID_TOKEN/) });

    const page = await h.server.app.inject({ url: new URL(url).pathname });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(confirmation_code);
    expect(page.body).toContain('Completed');
    expect((await h.server.app.inject({ url: '/facebook/data-deletion/unknown-code-123' })).statusCode).toBe(404);
  });

  it('refuses a data deletion with a bad signed_request and deletes nothing', async () => {
    const h = await startService();
    await h.connectFirstUser();
    const forged = makeSignedRequest({ user_id: h.emu.users[0]!.id, algorithm: 'HMAC-SHA256' }, 'not-the-app-secret');
    for (const payload of [`signed_request=${encodeURIComponent(forged)}`, 'signed_request=', 'other=1']) {
      const res = await h.server.app.inject({ method: 'POST', url: '/facebook/data-deletion', headers: form(''), payload });
      expect([res.statusCode, res.json().error.code]).toEqual([400, 'PK_SIGNED_REQUEST_INVALID']);
    }
    expect((await h.pk.context.store.db.selectFrom('users').selectAll().execute()).length).toBe(1);
  });

  it('deauthorize marks the user tokens unusable and the pages as needing a reconnect', async () => {
    const h = await startService();
    const [pageId] = await h.connectFirstUser();
    const signed = makeSignedRequest({ user_id: h.emu.users[0]!.id, algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000) }, h.emu.appSecret);
    const res = await h.server.app.inject({ method: 'POST', url: '/facebook/deauthorize', headers: form(signed), payload: `signed_request=${encodeURIComponent(signed)}` });
    expect(res.statusCode).toBe(200);
    const page = await h.deps.pages.get(pageId!);
    expect(page?.status).toBe('needs_reauth');
    expect(page?.tokens.every((t) => t.status === 'invalid' && t.invalidReason === 'app_removed')).toBe(true);
    await expect(h.pk.page(pageId!).token()).rejects.toMatchObject({ code: 'PK_NO_VALID_TOKEN' });
  });
});
