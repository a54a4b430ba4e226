/**
 * Facebook's deauthorize and data-deletion callbacks: a validly signed value is accepted only
 * when it was issued within the hour (a year-2000 value must not delete anyone's data), never
 * when it carries a Login `code`, and a replay gets the first answer without acting again, on
 * any instance (the memory is in the database).
 */
import { describe, expect, it } from 'vitest';
import { makeSignedRequest } from '../../src/service/security/parse-signed-request.js';
import { buildServer } from '../../src/service/server/build-server.js';
import { startService } from '../service/service-harness.js';

const nowS = () => Math.floor(Date.now() / 1000);
const post = (url: string, value: string) => ({ method: 'POST' as const, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `signed_request=${encodeURIComponent(value)}` });

describe('signed_request callbacks', () => {
  it('refuse values that are old, from the future, undated or made for Login, and delete nothing', async () => {
    const h = await startService();
    await h.connectFirstUser();
    const userId = h.emu.users[0]!.id;
    const sign = (extra: Record<string, unknown>) => makeSignedRequest({ user_id: userId, algorithm: 'HMAC-SHA256', ...extra }, h.emu.appSecret);
    const cases: [string, string, RegExp][] = [
      ['a value from the year 2000', sign({ issued_at: 946684800 }), /more than an hour old/],
      ['a value issued 61 minutes ago', sign({ issued_at: nowS() - 61 * 60 }), /more than an hour old/],
      ['a value from an hour in the future', sign({ issued_at: nowS() + 3600 }), /in the future/],
      ['a value without issued_at', sign({}), /issued_at is missing/],
      ['a Facebook Login value', sign({ issued_at: nowS(), code: 'AQD-login-code' }), /Login code/],
    ];
    for (const [what, value, detail] of cases) {
      for (const url of ['/facebook/data-deletion', '/facebook/deauthorize']) {
        const res = await h.server.app.inject(post(url, value));
        expect([what, url, res.statusCode, res.json().error.code]).toEqual([what, url, 400, 'PK_SIGNED_REQUEST_INVALID']);
        expect(res.json().error.message).toMatch(detail);
      }
    }
    expect(await h.pk.context.store.db.selectFrom('users').select('id').execute()).toEqual([{ id: userId }]);
    expect(await h.pk.context.store.db.selectFrom('data_deletions').selectAll().execute()).toEqual([]);
    const page = (await h.deps.pages.list())[0]!;
    expect(page.tokens.every((t) => t.status === 'valid')).toBe(true);

    // Within the clock skew and within the hour, a value is accepted.
    expect((await h.server.app.inject(post('/facebook/deauthorize', sign({ issued_at: nowS() + 120 })))).statusCode).toBe(200);
    expect((await h.server.app.inject(post('/facebook/deauthorize', sign({ issued_at: nowS() - 50 * 60, user_id: '1' })))).statusCode).toBe(200);
  });

  it('answer a replayed data deletion with the first answer and delete once, on any instance', async () => {
    const h = await startService({ publicUrl: 'https://pk.example.com' });
    await h.connectFirstUser();
    const userId = h.emu.users[0]!.id;
    let deletions = 0;
    let deauthorizations = 0;
    const counted = {
      ...h.deps,
      deleteUserData: async (u: string, code: string) => (deletions++, h.deps.deleteUserData(u, code)),
      handleDeauthorize: async (u: string) => (deauthorizations++, h.deps.handleDeauthorize?.(u)),
    };
    // Two instances over one database: the replay memory must be shared, not per process.
    const one = await buildServer(counted);
    const two = await buildServer(counted);
    try {
      const value = makeSignedRequest({ user_id: userId, algorithm: 'HMAC-SHA256', issued_at: nowS(), expires: nowS() + 3600 }, h.emu.appSecret);
      const first = await one.app.inject(post('/facebook/data-deletion', value));
      expect(first.statusCode).toBe(200);
      const again = await one.app.inject(post('/facebook/data-deletion', value));
      const elsewhere = await two.app.inject(post('/facebook/data-deletion', value));
      expect(again.json()).toEqual(first.json());
      expect(elsewhere.json()).toEqual(first.json());
      expect(deletions).toBe(1);
      expect((await h.pk.context.store.db.selectFrom('data_deletions').selectAll().execute()).map((r) => r.confirmation_code)).toEqual([first.json().confirmation_code]);

      const deauth = makeSignedRequest({ user_id: '4242', algorithm: 'HMAC-SHA256', issued_at: nowS() }, h.emu.appSecret);
      for (const s of [one, two, one]) expect((await s.app.inject(post('/facebook/deauthorize', deauth))).json()).toEqual({ ok: true });
      expect(deauthorizations).toBe(1);
    } finally {
      await Promise.all([one.shutdown(1000), two.shutdown(1000)]);
    }
  });

  it('act again on a retry when the first attempt failed', async () => {
    const h = await startService();
    let calls = 0;
    const flaky = {
      ...h.deps,
      handleDeauthorize: async () => {
        calls++;
        if (calls === 1) throw new Error('database went away');
      },
    };
    const s = await buildServer(flaky);
    try {
      const value = makeSignedRequest({ user_id: '77', algorithm: 'HMAC-SHA256', issued_at: nowS() }, h.emu.appSecret);
      expect((await s.app.inject(post('/facebook/deauthorize', value))).statusCode).toBe(500);
      expect((await s.app.inject(post('/facebook/deauthorize', value))).statusCode).toBe(200);
      expect(calls).toBe(2);
    } finally {
      await s.shutdown(1000);
    }
  });
});
