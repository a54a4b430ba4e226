/**
 * /metrics (Page ids, queue sizes) can be put behind PAGEKEEPER_METRICS_KEY, and an admin key,
 * metrics key or forwarding secret too short to resist guessing is refused at start.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, MIN_SECRET_LENGTH } from '../../src/config/load-config.js';
import { startService } from '../service/service-harness.js';

describe('GET /metrics', () => {
  it('needs the metrics key as a bearer token when PAGEKEEPER_METRICS_KEY is set', async () => {
    const h = await startService({ metricsKey: 'metrics-key-0123456789abcdef' });
    await h.connectFirstUser();
    for (const authorization of [undefined, 'Bearer wrong-key-0123456789abcdef', 'metrics-key-0123456789abcdef']) {
      const res = await h.server.app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('PK_UNAUTHORIZED');
      expect(res.body).not.toContain('pagekeeper_pages');
    }
    const ok = await h.server.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-key-0123456789abcdef' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('pagekeeper_pages');
  });

  it('stays open without PAGEKEEPER_METRICS_KEY (scraped on a private network)', async () => {
    const h = await startService();
    expect((await h.server.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('secrets set in the environment', () => {
  it('are refused when shorter than the minimum, naming the variable and not the value', () => {
    for (const name of ['PAGEKEEPER_ADMIN_KEY', 'PAGEKEEPER_METRICS_KEY', 'PAGEKEEPER_FORWARD_SECRET']) {
      const short = 'a'.repeat(MIN_SECRET_LENGTH - 1);
      let error: unknown;
      try {
        loadConfig({ cwd: '/nonexistent', env: { [name]: short } });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'PK_CONFIG_INVALID', message: expect.stringContaining(name) });
      expect((error as Error).message).not.toContain(short);
      expect(() => loadConfig({ cwd: '/nonexistent', env: { [name]: 'a'.repeat(MIN_SECRET_LENGTH) } })).not.toThrow();
    }
  });
});
