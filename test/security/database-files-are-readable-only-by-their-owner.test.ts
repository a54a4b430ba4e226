/**
 * The SQLite database and its -wal and -shm files hold queued message text, API key hashes and
 * token ciphertexts: they are created 0600, and `pagekeeper doctor` warns when the database or
 * `.env` can be read by other users.
 */
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as doctor, type DoctorJson } from '../../src/cli/commands/doctor.js';
import { createStore } from '../../src/store/create-store.js';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('SQLite files', () => {
  it('are created 0600 (database, -wal, -shm), even under a permissive umask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-mode-'));
    const old = process.umask(0o022);
    try {
      const file = join(dir, 'nested', 'pagekeeper.db');
      const store = await createStore({ database: `sqlite:${file}`, keys: generateKeyEntry('m1') });
      try {
        await store.audit.append({ event: 'mode_test', detail: {} });
        for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f).toString(8)]).toEqual([f, '600']);
      } finally {
        await store.close();
      }
    } finally {
      process.umask(old);
    }
  });

  it('make doctor warn about a database or .env readable by others, and say how to fix it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-doctor-mode-'));
    const db = join(dir, 'pagekeeper.db');
    const keys = generateKeyEntry('d1');
    writeFileSync(join(dir, '.env'), `PAGEKEEPER_KEYS=${keys}\nPAGEKEEPER_DATABASE=sqlite:${db}\n`, { mode: 0o644 });
    chmodSync(join(dir, '.env'), 0o644);
    const store = await createStore({ database: `sqlite:${db}`, keys });
    await store.close();
    chmodSync(db, 0o644);
    const ctx = { cwd: dir, env: {}, json: true, color: false, signal: new AbortController().signal } as unknown as Parameters<typeof doctor>[0];
    const loose = (await doctor(ctx)).data as DoctorJson;
    const names = loose.warnings.map((w) => w.detail);
    expect(names).toEqual([expect.stringMatching(/\.env is readable by other users \(mode 644\)/), expect.stringMatching(/pagekeeper\.db is readable by other users \(mode 644\)/)]);
    expect(loose.warnings.every((w) => /chmod 600/.test(w.fix ?? ''))).toBe(true);

    chmodSync(db, 0o600);
    chmodSync(join(dir, '.env'), 0o600);
    expect(((await doctor(ctx)).data as DoctorJson).warnings).toEqual([]);
  });
});
