import { describe, expect, it, onTestFinished } from 'vitest';
import { createService } from '../../src/service/create-service.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { emulatorServiceConfig } from './service-harness.js';

async function service(publicUrl: string | undefined) {
  const emu = await startTestEmulator();
  const svc = await createService({
    config: emulatorServiceConfig(emu, { publicUrl }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  onTestFinished(() => svc.close(2_000));
  return svc;
}

async function redirectUriOf(url: string): Promise<string | null> {
  const res = await fetch(`${url}/connect`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!).searchParams.get('redirect_uri');
}

describe('createService', () => {
  it('without PAGEKEEPER_PUBLIC_URL, Facebook Login comes back to where the service listens', async () => {
    const svc = await service(undefined);
    expect(svc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await redirectUriOf(svc.url!)).toBe(`${svc.url}/oauth/callback`);
    expect(svc.deps.config.publicUrl).toBe(svc.url);
  });

  it('with PAGEKEEPER_PUBLIC_URL, to that address, and the outbox worker runs beside the server', async () => {
    const svc = await service('https://pk.example.com');
    expect(await redirectUriOf(svc.url!)).toBe('https://pk.example.com/oauth/callback');
    expect(svc.workers.map((w) => w.name)).toEqual(['outbox', 'health']);
    await svc.startWorkers();
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
