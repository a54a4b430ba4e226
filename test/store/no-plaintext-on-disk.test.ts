import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a stolen SQLite file', () => {
  it('holds no token in plaintext, in the database or its write-ahead log', async () => {
    const keys = generateKeyEntry();
    const userToken = 'EAAUSERTOKENplaintextMARKER0123456789';
    const pageToken = (p: number) => `EAAPAGETOKENplaintextMARKER${p}xyz`;
    const store = await createStore({ database: `sqlite:${join(dir, 'nested', 'pk.db')}`, keys });
    await store.transaction(async (tx) => {
      await tx.users.upsert({ id: '42', name: 'Ada', token: userToken, tokenExpiresAt: null, dataAccessExpiresAt: null, scopes: ['pages_messaging'] });
      for (let p = 0; p < 20; p++) {
        await tx.pages.upsert({ id: String(1000 + p), name: `Page ${p}` });
        await tx.pageTokens.upsert({ pageId: String(1000 + p), userId: '42', token: pageToken(p), tasks: ['MESSAGING'], expiresAt: null, dataAccessExpiresAt: null, messagingGranted: true });
      }
    });

    // Read while open (WAL not yet checkpointed) and after close (checkpointed into the file).
    const scan = () => {
      const files = readdirSync(join(dir, 'nested')).filter((f) => f.startsWith('pk.db'));
      const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, 'nested', f))));
      expect(bytes.length).toBeGreaterThan(0);
      for (const marker of ['plaintextMARKER', userToken, pageToken(0), Buffer.from(userToken).toString('base64').slice(0, 20)]) {
        expect(bytes.includes(Buffer.from(marker)), marker).toBe(false);
      }
      // The scan can find what is there: the page names are stored in clear.
      expect(bytes.includes(Buffer.from('Page 19'))).toBe(true);
      return files;
    };
    expect(scan()).toContain('pk.db-wal');
    expect((await store.users.getWithToken('42'))?.token).toBe(userToken);
    await store.close();
    scan();
    expect(existsSync(join(dir, 'nested', 'pk.db'))).toBe(true);
  });
});
