/**
 * Facebook answers a call to an ended Graph version with the oldest version still usable and
 * says so in Facebook-API-Version (https://developers.facebook.com/docs/apps/versions); the
 * emulator does the same by its own clock, from the same version table pagekeeper uses.
 */
import { describe, expect, it } from 'vitest';
import { GRAPH_VERSIONS, NEWEST_GRAPH_VERSION } from '../../src/core/graph-versions.js';
import { EMULATED_VERSIONS } from '../../src/emulator/versions.js';
import { graph, startTestEmulator } from '../helpers/emulator.js';

const DAY_S = 86_400;

describe('Graph versions in the emulator', () => {
  it('serves the versions pagekeeper knows, with the same end dates', () => {
    expect(EMULATED_VERSIONS).toEqual(GRAPH_VERSIONS);
  });

  it('an unversioned call is answered by the newest version', async () => {
    const emu = await startTestEmulator({ now: () => Date.parse('2026-12-02T12:00:00Z') });
    const r = await graph(emu, 'me');
    expect(r.headers.get('facebook-api-version')).toBe(NEWEST_GRAPH_VERSION);
  });

  it('v21.0 is served through its last day and answered by v22.0 the day after', async () => {
    const emu = await startTestEmulator({ now: () => Date.parse('2027-01-21T23:00:00Z') });
    // The app token never expires, so only the version changes as the clock moves.
    const token = encodeURIComponent(`${emu.appId}|${emu.appSecret}`);
    const before = await graph(emu, `v21.0/${emu.appId}?access_token=${token}`);
    expect(before.status).toBe(200);
    expect(before.headers.get('facebook-api-version')).toBe('v21.0');
    await emu.control.advanceClock(2 * 3600);
    const after = await graph(emu, `v21.0/${emu.appId}?access_token=${token}`);
    // The call still succeeds: Facebook upgrades it, it does not refuse it.
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ id: emu.appId });
    expect(after.headers.get('facebook-api-version')).toBe('v22.0');
    await emu.control.advanceClock(300 * DAY_S); // 2027-11-18: v22.0 and v23.0 have ended too
    expect((await graph(emu, `v21.0/${emu.appId}?access_token=${token}`)).headers.get('facebook-api-version')).toBe('v24.0');
  });
});
