/**
 * The dashboard's home page shows a banner from 90 days before the pinned Graph version ends
 * (and after it ended), saying which version to move to; the default newest version shows none.
 */
import { describe, expect, it } from 'vitest';
import { judgeGraphVersion } from '../../src/core/graph-versions.js';
import { GRAPH_VERSION } from '../helpers/emulator.js';
import { startService } from './service-harness.js';

describe('the dashboard and the Graph version', () => {
  it('pinned v21.0 (served until 2027-01-21): a banner naming the end and the version to move to', async () => {
    // Within 90 days of the end since 2026-10-23; ended after 2027-01-21: a banner either way.
    expect(judgeGraphVersion('v21.0', Date.now()).state).toMatch(/^(ending|ended)$/);
    const h = await startService({ graphVersion: 'v21.0', devOpenDashboard: true });
    const page = await h.server.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    const banner = page.body.match(/<p class="notice error" role="alert" data-testid="version-banner">([^<]*)<\/p>/)?.[1];
    expect(banner).toMatch(/Graph API v21\.0 end(s|ed) on 2027-01-21/);
    expect(banner).toContain(`PAGEKEEPER_GRAPH_VERSION=${GRAPH_VERSION}`);
  });

  it('the default version: no banner', async () => {
    expect(judgeGraphVersion(GRAPH_VERSION, Date.now()).state).toBe('current');
    const h = await startService({ devOpenDashboard: true });
    const page = await h.server.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('data-testid="version-banner"');
  });
});
