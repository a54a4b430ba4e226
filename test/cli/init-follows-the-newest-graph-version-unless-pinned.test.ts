/**
 * `pagekeeper init` leaves the Graph version unset, so a later pagekeeper moves to the newest
 * version Meta lists; `--pin-version` writes one. The template keeps the database password out
 * of the URL.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GRAPH_VERSION, loadConfig } from '../../src/config/load-config.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';

describe('pagekeeper init and the Graph version', { timeout: 60_000 }, () => {
  it('without --pin-version writes no PAGEKEEPER_GRAPH_VERSION, and the config falls to the newest version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-init-'));
    const r = await runCli(['init', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(parseJsonOutput<{ pinnedVersion: string | null }>(r).pinnedVersion).toBeNull();
    const text = readFileSync(join(dir, '.env'), 'utf8');
    expect(parseEnv(text).PAGEKEEPER_GRAPH_VERSION).toBeUndefined();
    expect(text).not.toMatch(/^PAGEKEEPER_GRAPH_VERSION=/m);
    expect(loadConfig({ cwd: dir, env: {} }).graphVersion).toBe(DEFAULT_GRAPH_VERSION);
    // No password inside an example database URL.
    expect(text).not.toMatch(/postgres(ql)?:\/\/[^\s@/]+:[^\s@/]+@/);
  });

  it('--pin-version writes today\'s default; --pin-version v23.0 writes that one', async () => {
    const a = mkdtempSync(join(tmpdir(), 'pk-init-'));
    expect((await runCli(['init', '--pin-version'], { cwd: a })).code).toBe(0);
    expect(parseEnv(readFileSync(join(a, '.env'), 'utf8')).PAGEKEEPER_GRAPH_VERSION).toBe(DEFAULT_GRAPH_VERSION);
    const b = mkdtempSync(join(tmpdir(), 'pk-init-'));
    expect((await runCli(['init', '--pin-version', 'v23.0'], { cwd: b })).code).toBe(0);
    expect(loadConfig({ cwd: b, env: {} }).graphVersion).toBe('v23.0');
  });

  it('--pin-version with something that is not a version exits 2 and says what it takes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-init-'));
    const r = await runCli(['init', '--pin-version', 'latest'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pin-version takes a Graph version');
  });
});
