/**
 * `pagekeeper doctor`'s going-live checklist against the emulator: the app's roles through the
 * app token, each stored token's permissions, the public URL, the pinned version's end, and the
 * app mode as Facebook's refusals reveal it (the API itself does not tell the mode), with the
 * emulator's app in development and in live mode.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run as doctor, type DoctorJson } from '../../src/cli/commands/doctor.js';
import { graph, GRAPH_VERSION } from '../helpers/emulator.js';
import { startMessengerWorld, textBody, waitFor, type MessengerWorld } from '../helpers/messenger.js';

async function runDoctor(w: MessengerWorld, dir: string, extraEnv: Record<string, string> = {}, now?: number): Promise<DoctorJson> {
  const env = { PAGEKEEPER_APP_ID: w.emu.appId, PAGEKEEPER_APP_SECRET: w.emu.appSecret, PAGEKEEPER_GRAPH_URL: w.emu.url, PAGEKEEPER_KEYS: w.keys, PAGEKEEPER_DATABASE: w.database, ...extraEnv };
  const ctx = { cwd: dir, env, stdin: new PassThrough(), stderr: new PassThrough(), json: true, color: false, signal: new AbortController().signal, ...(now === undefined ? {} : { now: () => now }) };
  return (await doctor(ctx)).data;
}

const item = (j: DoctorJson, name: string) => j.live.find((i) => i.name === name);

async function world(): Promise<{ w: MessengerWorld; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pk-doctor-live-'));
  return { w: await startMessengerWorld({ database: `sqlite:${join(dir, 'pk.db')}` }), dir };
}

describe('pagekeeper doctor: going live', { timeout: 120_000 }, () => {
  it('development mode: names who has a role and says the app is not live once Facebook refused a person without one', async () => {
    const { w, dir } = await world();
    await w.emu.control.setAppMode('development');
    const { psid: tester } = await w.emu.control.inbound(w.pageId, { text: 'hi', role: 'tester' });
    const { psid: stranger } = await w.emu.control.inbound(w.pageId, { text: 'hello' });
    for (const p of [tester, stranger]) await w.pk.messenger.recordInbound(w.pageId, p, Date.now());
    w.pk.messenger.startWorker({ pollMs: 20 });
    const m = await w.pk.messenger.enqueue(w.pageId, textBody(stranger, 'thanks for writing'));
    await waitFor(() => w.pk.messenger.getMessage(m.id), (x) => x?.status === 'failed');

    const j = await runDoctor(w, dir);
    expect(item(j, 'app roles')).toMatchObject({ status: 'ok', detail: expect.stringContaining('1 person has a role on the app (1 testers)') });
    expect(item(j, 'app mode')).toMatchObject({ status: 'todo', detail: expect.stringContaining('1 send was refused because the person has no role on the app') });
    expect(item(j, 'app mode')?.where).toContain('App roles');
    expect(item(j, 'permissions')).toMatchObject({ status: 'ok', detail: expect.stringContaining('pages_manage_metadata') });
    expect(item(j, 'public URL')?.status).toBe('todo');
    expect(j.liveReady).toBe(false);
    // What the API cannot tell comes with where to look.
    for (const name of ['advanced access', 'app review', 'business verification', 'human agent', 'privacy policy and data deletion']) {
      expect(item(j, name)).toMatchObject({ status: 'look', where: expect.stringMatching(/App Dashboard/) });
    }
  });

  it('live mode: no refusal, so the mode is a place to look; roles still listed', async () => {
    const { w, dir } = await world();
    await w.emu.control.setAppMode('live');
    w.pk.messenger.startWorker({ pollMs: 20 });
    const m = await w.pk.messenger.enqueue(w.pageId, textBody(w.psid, 'hello back'));
    await waitFor(() => w.pk.messenger.getMessage(m.id), (x) => x?.status === 'sent');
    const j = await runDoctor(w, dir);
    expect(item(j, 'app mode')).toMatchObject({ status: 'look', where: expect.stringContaining('App Mode') });
    expect(item(j, 'app roles')).toMatchObject({ status: 'ok', detail: expect.stringContaining('0 people have a role') });
  });

  it('a stored token without pages_manage_metadata fails the permissions item and names what is missing', async () => {
    const { w, dir } = await world();
    const user = w.emu.users[0]!;
    const r = await graph(w.emu, `${GRAPH_VERSION}/me/permissions/pages_manage_metadata?access_token=${encodeURIComponent(user.shortLivedToken)}`, { method: 'DELETE' });
    expect(r.status).toBe(200);
    const j = await runDoctor(w, dir);
    expect(item(j, 'permissions')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`Page ${w.pageId} (user ${user.id}) lacks pages_manage_metadata`) });
  });

  it('an https public URL that does not answer is a failure; the version item follows the table', async () => {
    const { w, dir } = await world();
    const j = await runDoctor(w, dir, { PAGEKEEPER_PUBLIC_URL: 'https://127.0.0.1:9' });
    expect(item(j, 'public URL')).toMatchObject({ status: 'fail', detail: expect.stringContaining('did not answer') });
    expect(item(j, 'graph version')).toMatchObject({ status: 'ok' });
  });

  it('a pinned version warns from 90 days before its end: not on the 91st day, yes on the 89th, fails once ended', async () => {
    const { w, dir } = await world();
    const pin = { PAGEKEEPER_GRAPH_VERSION: 'v22.0' }; // served until 2027-05-20
    const early = await runDoctor(w, dir, pin, Date.parse('2027-02-18T12:00:00Z'));
    expect(early.warnings.find((x) => x.name === 'version')).toBeUndefined();
    expect(item(early, 'graph version')?.status).toBe('ok');
    const late = await runDoctor(w, dir, pin, Date.parse('2027-02-21T12:00:00Z'));
    expect(late.warnings.find((x) => x.name === 'version')?.detail).toMatch(/v22\.0 ends on 2027-05-20 \(in 88 days\)/);
    expect(item(late, 'graph version')).toMatchObject({ status: 'todo' });
    expect(late.checks.find((c) => c.name === 'version')?.ok).toBe(true);
    const ended = await runDoctor(w, dir, pin, Date.parse('2027-05-21T12:00:00Z'));
    expect(ended.checks.find((c) => c.name === 'version')).toMatchObject({ ok: false, fix: expect.stringContaining(GRAPH_VERSION) });
  });
});
