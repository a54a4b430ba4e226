import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import { newKey, openKeeper, tempDir } from './setup.js';

function sql(dbFile: string, fn: (db: BetterSqlite3.Database) => void) {
  const db = new BetterSqlite3(dbFile);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

describe('a stored token is only ever handed out as it was stored, with the right key', () => {
  it('a ciphertext altered in the database is refused with PK_DECRYPT_FAILED', async () => {
    const emu = await startTestEmulator();
    const { pk, dbFile } = await openKeeper(emu);
    const [page] = emu.users[0]!.pages;
    await pk.connect(emu.users[0]!.shortLivedToken);
    sql(dbFile, (db) => {
      const row = db.prepare('select token_ciphertext as c from page_tokens where page_id = ?').get(page!.id) as { c: string };
      const bytes = Buffer.from(row.c, 'base64');
      bytes[bytes.length - 1]! ^= 0x01;
      db.prepare('update page_tokens set token_ciphertext = ? where page_id = ?').run(bytes.toString('base64'), page!.id);
    });
    const e = await pk.page(page!.id).token().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PK_DECRYPT_FAILED' });
    expect((e as Error).message).toMatch(/altered|moved|key/);
  });

  it("a ciphertext moved to another page's row is refused", async () => {
    const emu = await startTestEmulator();
    const { pk, dbFile } = await openKeeper(emu);
    const [a, b] = emu.users[0]!.pages;
    await pk.connect(emu.users[0]!.shortLivedToken);
    sql(dbFile, (db) => {
      const row = db.prepare('select token_ciphertext as c from page_tokens where page_id = ?').get(a!.id) as { c: string };
      db.prepare('update page_tokens set token_ciphertext = ? where page_id = ?').run(row.c, b!.id);
    });
    await expect(pk.page(b!.id).token()).rejects.toMatchObject({ code: 'PK_DECRYPT_FAILED' });
    // The row it came from is still fine.
    await expect(pk.page(a!.id).token()).resolves.toMatch(/\S+/);
  });

  it('opening the database with another key is a clear error, not garbage', async () => {
    const emu = await startTestEmulator();
    const first = await openKeeper(emu);
    const page = emu.users[0]!.pages[0]!;
    await first.pk.connect(emu.users[0]!.shortLivedToken);
    await first.pk.close();

    const sameIdOtherKey = await openKeeper(emu, { dbFile: first.dbFile, keys: newKey('k1') });
    await expect(sameIdOtherKey.pk.page(page.id).token()).rejects.toMatchObject({ code: 'PK_DECRYPT_FAILED' });

    const otherId = await openKeeper(emu, { dbFile: first.dbFile, keys: newKey('k9') });
    const e = await otherId.pk.page(page.id).token().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PK_KEY_UNKNOWN', message: expect.stringContaining('"k1"') });
  });

  it('without a key, createPageKeeper fails closed before creating the database', async () => {
    const emu = await startTestEmulator();
    const dbFile = join(tempDir(), 'never.db');
    await expect(openKeeper(emu, { dbFile, keys: undefined as unknown as string })).rejects.toMatchObject({ code: 'PK_KEYS_MISSING' });
    await expect(openKeeper(emu, { dbFile, keys: 'k1:tooshort' })).rejects.toMatchObject({ code: 'PK_KEYS_INVALID' });
    expect(existsSync(dbFile)).toBe(false);
  });
});
