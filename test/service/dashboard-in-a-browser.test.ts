/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core
 * against `pagekeeper serve --emulator --dev`. Off CI the test is skipped, with the reason
 * printed, when Chromium is not installed; under CI=true a missing Chromium is a failure
 * (.ci/run installs it).
 *
 * PAGEKEEPER_SCREENSHOTS=1 also saves docs/dashboard-healthy.png and docs/dashboard-needs-reauth.png.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBrowser, skipWithoutBrowser } from '../helpers/browser.js';
import { startServeProcess } from './serve-process.js';

const screenshots = process.env.PAGEKEEPER_SCREENSHOTS === '1';
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

const skip = skipWithoutBrowser('dashboard browser test');

describe.skipIf(skip)('the dashboard in a browser', () => {
  it('connects Pages through the Login dialog, shows them healthy, and flags a Page after the password changed', async () => {
    const serve = await startServeProcess();
    const page = await openBrowser();

    await page.goto(`${serve.url}/`);
    await expect.poll(() => page.getByTestId('no-pages').isVisible()).toBe(true);
    await page.getByTestId('connect-page').click();

    // The emulator's consent page, as Facebook's Login dialog would show it.
    await page.waitForURL((u) => u.toString().startsWith(`${serve.emulatorUrl}/`));
    expect(await page.locator('#permissions').textContent()).toContain('pages_messaging');
    await page.locator('#continue').click();

    await page.waitForURL((u) => u.toString().startsWith(`${serve.url}/connect/result`));
    expect(await page.getByTestId('connect-success').textContent()).toMatch(/3 Pages connected/);
    await page.getByRole('link', { name: 'Go to the dashboard' }).click();

    const rows = page.getByTestId('page-row');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(['healthy', 'healthy', 'healthy']);
    expect(await page.getByTestId('token-expiry').allTextContents()).toEqual(['never', 'never', 'never']);
    // No token is ever rendered.
    expect(await page.content()).not.toMatch(/EAA[A-Za-z0-9]{10}/);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-healthy.png'), fullPage: true });

    // The person changes their Facebook password: every token they granted stops working.
    const users = (await (await fetch(`${serve.emulatorUrl}/_emulator/users`)).json()) as { data: { id: string }[] };
    const changed = await fetch(`${serve.emulatorUrl}/_emulator/users/${users.data[0]!.id}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'password_changed' }),
    });
    expect(changed.status).toBe(200);

    const first = rows.first();
    const pageId = await first.getAttribute('data-page-id');
    await first.getByTestId('check-page').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('Check finished');
    const flagged = page.locator(`[data-testid="page-row"][data-page-id="${pageId}"]`);
    expect(await flagged.getAttribute('data-status')).toBe('needs_reauth');
    expect(await flagged.getByTestId('page-status').textContent()).toBe('Needs reconnect');
    expect(await flagged.getByTestId('page-reason').textContent()).toMatch(/password/i);
    expect(await flagged.getByTestId('page-fix').textContent()).toMatch(/reconnect|connect/i);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-needs-reauth.png'), fullPage: true });

    const end = await serve.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);
  }, 120_000);

  it('cancelling the Login dialog says so and stores nothing', async () => {
    const serve = await startServeProcess();
    const page = await openBrowser();

    await page.goto(`${serve.url}/`);
    await page.getByTestId('connect-page').click();
    await page.waitForURL((u) => u.toString().startsWith(`${serve.emulatorUrl}/`));
    await page.locator('#cancel').click();

    await page.waitForURL((u) => u.toString().startsWith(`${serve.url}/connect/result`));
    expect(await page.getByTestId('connect-cancelled').textContent()).toMatch(/nothing was stored/);
    await page.getByRole('link', { name: 'Back to the dashboard' }).click();
    await expect.poll(() => page.getByTestId('no-pages').isVisible()).toBe(true);

    const end = await serve.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);
  }, 120_000);
});
