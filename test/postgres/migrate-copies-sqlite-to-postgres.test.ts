/**
 * `pagekeeper migrate --from sqlite:FILE --to postgres://...`: every table
 * arrives, tokens stay encrypted and still open with the same keys, counts are verified,
 * sequences continue past the copied ids, and a non-empty target is refused without --force.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { COPIED_TABLES } from '../../src/store/copy-database.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';

const pgResult = await startPostgres();
const skipped = 'skipped' in pgResult ? pgResult.skipped : undefined;
if (skipped) console.log(`[postgres] migrate copy suite skipped: ${skipped}`);
const pgHandle = 'skipped' in pgResult ? undefined : (pgResult as PostgresHandle);

const T0 = new Date('2030-01-01T00:00:00.000Z');
const USERS = 7;
const PAGES_PER_USER = 9;
const AUDIT_ROWS = 1_234;
const OUTBOX_ROWS = 321;

describe.skipIf(skipped !== undefined)('pagekeeper migrate --from sqlite --to postgres', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-copy-'));
  const sqliteUrl = `sqlite:${join(dir, 'old.db')}`;
  const keys = `${generateKeyEntry('k2')},${generateKeyEntry('k1')}`;
  const oldKeyOnly = keys.split(',')[1]!;
  let pgUrl: string;

  beforeAll(async () => {
    pgUrl = pgHandle!.url;
    // Two keys: some tokens written under the old one, so the copy carries mixed key ids.
    const oldStore = await createStore({ database: sqliteUrl, keys: oldKeyOnly, now: () => T0 });
    await fill(oldStore, 0, 3);
    await oldStore.close();
    const store = await createStore({ database: sqliteUrl, keys, now: () => T0 });
    await fill(store, 3, USERS);
    await fillOtherTables(store);
    await store.close();
  });
  afterAll(async () => {
    await pgHandle?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies every table, verifies counts and decrypts a sample with the keys', { timeout: 90_000 }, async () => {
    const r = await runCli(['migrate', '--from', sqliteUrl, '--to', pgUrl, '--batch-size', '100', '--json'], { cwd: dir, env: { PAGEKEEPER_KEYS: keys } });
    expect(r.code, r.stderr).toBe(0);
    const out = parseJsonOutput<{ tables: Record<string, { from: number; to: number }>; ok: boolean; decrypted: { checked: number; failed: number } }>(r);
    expect(out.ok).toBe(true);
    expect(Object.keys(out.tables)).toEqual([...COPIED_TABLES]);
    expect(out.tables.users).toEqual({ from: USERS, to: USERS });
    expect(out.tables.pages).toEqual({ from: USERS * PAGES_PER_USER, to: USERS * PAGES_PER_USER });
    expect(out.tables.page_tokens).toEqual({ from: USERS * PAGES_PER_USER, to: USERS * PAGES_PER_USER });
    expect(out.tables.audit_log).toEqual({ from: AUDIT_ROWS, to: AUDIT_ROWS });
    expect(out.tables.outbox).toEqual({ from: OUTBOX_ROWS, to: OUTBOX_ROWS });
    for (const t of ['conversations', 'api_keys', 'notifications', 'data_deletions', 'meta']) {
      expect(out.tables[t]!.from, t).toBeGreaterThan(0);
      expect(out.tables[t]!.to, t).toBe(out.tables[t]!.from);
    }
    expect(out.decrypted.checked).toBeGreaterThan(0);
    expect(out.decrypted.failed).toBe(0);
  });

  it('leaves the tokens encrypted, byte for byte, and readable with the same keys', async () => {
    const source = await createStore({ database: sqliteUrl, keys });
    const target = await createStore({ database: pgUrl, keys, migrate: false });
    try {
      const a = await source.db.selectFrom('page_tokens').selectAll().orderBy('page_id').orderBy('user_id').execute();
      const b = await target.db.selectFrom('page_tokens').selectAll().orderBy('page_id').orderBy('user_id').execute();
      expect(b).toEqual(a);
      expect(JSON.stringify(b)).not.toContain('EAA');
      expect(new Set(b.map((t) => t.key_id))).toEqual(new Set(['k1', 'k2']));
      const token = await target.pageTokens.getWithToken('806008', '906');
      // k1-only tokens (users 0-2) open too: the copy keeps each row's key id.
      expect((await target.pageTokens.getWithToken('800000', '900'))?.token).toBe('EAApage-800000-secret');
      expect(token?.token).toBe('EAApage-806008-secret');
      expect((await target.users.getWithToken('900'))?.token).toBe('EAAuser-900-secret');
      expect(await target.db.selectFrom('audit_log').selectAll().orderBy('id').execute()).toEqual(await source.db.selectFrom('audit_log').selectAll().orderBy('id').execute());
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('moves PostgreSQL sequences past the copied ids', async () => {
    const target = await createStore({ database: pgUrl, keys, migrate: false });
    try {
      const id = await target.audit.append({ event: 'after_copy' });
      // AUDIT_ROWS appended, one deleted, one more appended: the highest copied id is AUDIT_ROWS + 1.
      expect(id).toBe(AUDIT_ROWS + 2);
      const [row] = await target.db
        .insertInto('outbox')
        .values({ id: 'msg_after', page_id: 'p-0-0', psid: '9', payload: '{}', status: 'queued', at_least_once: 0, attempts: 0, next_attempt_at: 1, created_at: 1, updated_at: 1 })
        .returning('seq')
        .execute();
      expect(row!.seq).toBe(OUTBOX_ROWS + 1);
      await target.db.deleteFrom('audit_log').where('id', '=', id).execute();
      await target.db.deleteFrom('outbox').where('id', '=', 'msg_after').execute();
    } finally {
      await target.close();
    }
  });

  it('refuses a target that already holds data, and replaces it with --force', { timeout: 90_000 }, async () => {
    const refused = await runCli(['migrate', '--from', sqliteUrl, '--to', pgUrl], { cwd: dir, env: {} });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error PK_DB_NOT_EMPTY: .*users.*\| fix: .*--force/);

    // Without --to the target is PAGEKEEPER_DATABASE (keeps a password off the command line).
    const forced = await runCli(['migrate', '--from', sqliteUrl, '--force'], { cwd: dir, env: { PAGEKEEPER_DATABASE: pgUrl } });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/audit_log\s+1234\s+1234\s+ok/);
    expect(forced.stdout).toContain('not test-decrypted');
    expect(forced.stdout).not.toContain('postgres@');
  });
});

async function fill(store: Store, fromUser: number, toUser: number): Promise<void> {
  for (let u = fromUser; u < toUser; u++) {
    await store.transaction(async (tx) => {
      await tx.users.upsert({ id: `90${u}`, name: `User ${u}`, token: `EAAuser-90${u}-secret`, tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: ['pages_messaging'] });
      for (let p = 0; p < PAGES_PER_USER; p++) {
        const pageId = `80${u}00${p}`;
        await tx.pages.upsert({ id: pageId, name: `Page ${pageId}`, category: 'Shop' });
        await tx.pageTokens.upsert({ pageId, userId: `90${u}`, token: `EAApage-${pageId}-secret`, tasks: ['MESSAGING'], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
      }
    });
  }
}

async function fillOtherTables(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 0; i < AUDIT_ROWS; i++) await tx.audit.append({ event: 'page_status_changed', pageId: `p-0-${i % PAGES_PER_USER}`, reason: `r${i}` });
  });
  // A gap in the serials: the copy keeps ids as they are.
  await store.db.deleteFrom('audit_log').where('id', '=', 5).execute();
  await store.audit.append({ event: 'last' });
  const rows = Array.from({ length: OUTBOX_ROWS }, (_, i) => ({
    id: `msg_${i}`,
    page_id: `p-1-${i % PAGES_PER_USER}`,
    psid: String(1000 + (i % 13)),
    payload: JSON.stringify({ message: { text: `hello ${i}` } }),
    status: i % 3 === 0 ? ('sent' as const) : ('queued' as const),
    at_least_once: 0,
    attempts: 0,
    next_attempt_at: T0.getTime(),
    created_at: T0.getTime() + i,
    updated_at: T0.getTime() + i,
  }));
  for (let i = 0; i < rows.length; i += 100) await store.db.insertInto('outbox').values(rows.slice(i, i + 100)).execute();
  await store.db.insertInto('conversations').values({ page_id: 'p-1-0', psid: '1000', last_inbound_at: T0.getTime() }).execute();
  await store.db.insertInto('api_keys').values({ id: 'key_1', name: 'ci', scopes: '["pages:read"]', key_hash: 'ab'.repeat(32), created_at: T0.getTime(), revoked_at: null, last_used_at: null }).execute();
  await store.db.insertInto('notifications').values({ event_id: 1, notifier: 'log', status: 'delivered', attempts: 1, next_attempt_at: T0.getTime(), last_error: null, delivered_at: T0.getTime(), payload: '{}' }).execute();
  await store.db.insertInto('data_deletions').values({ confirmation_code: 'c0de', user_id: '901', requested_at: T0.getTime(), completed_at: null, status: 'pending' }).execute();
  await store.db.insertInto('meta').values({ key: 'installed_by', value: 'test' }).execute();
}
