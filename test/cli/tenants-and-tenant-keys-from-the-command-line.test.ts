import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { generateKeyEntry } from '../../src/store/crypto/generate-key-entry.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';

describe('pagekeeper tenants and api-keys --tenant', () => {
  it('creates, lists and deletes tenants, and makes keys that reach one tenant (and some Pages)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pk-tenants-'));
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const env = { PAGEKEEPER_DATABASE: 'sqlite:pk.db', PAGEKEEPER_KEYS: generateKeyEntry('k1') };

    const created = parseJsonOutput<{ id: string; name: string }>(await runCli(['tenants', 'create', '--id', 'acme', '--name', 'Acme Inc.', '--json'], { cwd, env }));
    expect(created).toMatchObject({ id: 'acme', name: 'Acme Inc.' });
    const again = await runCli(['tenants', 'create', '--id', 'acme', '--name', 'x'], { cwd, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('PK_TENANT_EXISTS');
    const bad = await runCli(['tenants', 'create', '--id', '../etc', '--name', 'x'], { cwd, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--id');

    const list = parseJsonOutput<{ tenants: Array<{ id: string }> }>(await runCli(['tenants', 'list', '--json'], { cwd, env }));
    expect(list.tenants.map((t) => t.id)).toEqual(['acme', 'default']);

    const key = parseJsonOutput<{ tenantId: string; pageIds: string[]; key: string }>(
      await runCli(['api-keys', 'create', '--name', 'acme-bot', '--tenant', 'acme', '--pages', '111,222', '--scopes', 'pages:read,graph:proxy', '--json'], { cwd, env }),
    );
    expect(key).toMatchObject({ tenantId: 'acme', pageIds: ['111', '222'] });
    const noTenant = await runCli(['api-keys', 'create', '--name', 'x', '--tenant', 'nope'], { cwd, env });
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toContain('PK_TENANT_NOT_FOUND');
    const pagesAlone = await runCli(['api-keys', 'create', '--name', 'x', '--pages', '111'], { cwd, env });
    expect(pagesAlone.code).toBe(2);
    expect(pagesAlone.stderr).toContain('--pages needs --tenant');

    // (That delete removes the partition is checked in test/store/tenant-partitions-on-sqlite-and-postgres.test.ts.)
    expect((await runCli(['tenants', 'delete', 'acme'], { cwd, env })).code).toBe(0);
    expect((await runCli(['tenants', 'delete', 'acme'], { cwd, env })).stderr).toContain('PK_TENANT_NOT_FOUND');
    expect(parseJsonOutput<{ tenants: Array<{ id: string }> }>(await runCli(['tenants', 'list', '--json'], { cwd, env })).tenants.map((t) => t.id)).toEqual(['default']);
    expect((await runCli(['tenants', 'delete', 'default'], { cwd, env })).code).toBe(2);
  }, 180_000);
});
