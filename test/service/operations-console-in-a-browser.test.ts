/**
 * The operations console in a real browser (Debian's Chromium driven by playwright-core, against
 * `pagekeeper serve --emulator --dev`): a Page's detail after two admins connected it shows both
 * tokens, one lost after that person changed their password; a message Facebook refused is found
 * by filter on /messages, retried after a confirmation, and seen sent; the audit log at /events
 * filters by kind. Off CI the test is skipped, with the reason printed, when Chromium is not
 * installed; under CI=true a missing Chromium is a failure.
 *
 * PAGEKEEPER_SCREENSHOTS=1 also saves docs/dashboard-page-detail.png, docs/dashboard-messages.png,
 * docs/dashboard-message-detail.png and docs/dashboard-events.png.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openBrowser, skipWithoutBrowser } from '../helpers/browser.js';
import { startServeProcess } from './serve-process.js';

const screenshots = process.env.PAGEKEEPER_SCREENSHOTS === '1';
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

const skip = skipWithoutBrowser('operations console browser test');

async function emulator(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${base}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(r.status, `${method} /_emulator/${path}`).toBe(200);
  return r.json();
}

/** Through the emulator's Login dialog, as the person named (the dialog's "Log in as someone else"). */
async function connectAs(page: Page, serveUrl: string, emulatorUrl: string, name: string | null): Promise<void> {
  await page.goto(`${serveUrl}/`);
  await page.getByTestId('connect-page').click();
  await page.waitForURL((u) => u.toString().startsWith(`${emulatorUrl}/`));
  if (name !== null) {
    await page.locator('details summary').click();
    await page.locator('#users').getByRole('link', { name }).click();
    await expect.poll(() => page.locator('#logged-in').textContent()).toContain(name);
  }
  await page.locator('#continue').click();
  await page.waitForURL((u) => u.toString().startsWith(`${serveUrl}/connect/result`));
  expect(await page.getByTestId('connect-success').isVisible()).toBe(true);
}

describe.skipIf(skip)('the operations console in a browser', () => {
  it("shows a Page's two admins' tokens, one lost after a password change; finds a failed message by filter, retries it and sees it sent", async () => {
    const serve = await startServeProcess();
    const page = await openBrowser();

    // The first admin connects their Pages; a second admin of the first Page connects too.
    await connectAs(page, serve.url, serve.emulatorUrl, null);
    await page.goto(`${serve.url}/`);
    const pageId = (await page.getByTestId('page-row').first().getAttribute('data-page-id'))!;
    const users = (await emulator(serve.emulatorUrl, 'GET', 'users')) as { data: { id: string; name: string }[] };
    const first = users.data[0]!;
    const second = (await emulator(serve.emulatorUrl, 'POST', 'users', { name: 'Sam Second', pages: [{ id: pageId }] })) as { id: string };
    await connectAs(page, serve.url, serve.emulatorUrl, 'Sam Second');

    // The first admin changes their Facebook password: their token stops working.
    await emulator(serve.emulatorUrl, 'POST', `users/${first.id}/events`, { type: 'password_changed' });
    await page.goto(`${serve.url}/`);
    await page.locator(`[data-testid="page-row"][data-page-id="${pageId}"]`).getByTestId('page-name').click();
    await page.waitForURL(`${serve.url}/pages/${pageId}`);
    await page.getByTestId('check-page').click();
    await page.waitForURL(`${serve.url}/pages/${pageId}?checked=1`);
    expect(await page.getByTestId('notice').textContent()).toContain('Check finished');
    const tokens = page.getByTestId('token-row');
    await expect.poll(() => tokens.count()).toBe(2);
    const byOwner = Object.fromEntries(
      await tokens.evaluateAll((rows) => rows.map((r) => [r.querySelector('[data-testid=token-owner]')?.textContent ?? '', r.getAttribute('data-token-status')])),
    ) as Record<string, string>;
    expect(byOwner).toEqual({ [first.name]: 'invalid', 'Sam Second': 'valid' });
    const lost = page.locator(`[data-testid="token-row"][data-user-id="${first.id}"]`);
    expect(await lost.getByTestId('token-status').textContent()).toMatch(/lost.*changed their Facebook password/);
    expect(await page.locator(`[data-testid="token-row"][data-user-id="${second.id}"]`).getByTestId('token-expires').textContent()).toBe('never');
    // The second admin's token holds the Page up.
    expect(await page.getByTestId('page-detail').getAttribute('data-status')).toBe('healthy');
    expect(await page.getByTestId('page-subscription').getAttribute('data-subscribed')).toBe('true');
    expect(await page.content()).not.toMatch(/EAA[A-Za-z0-9]{10}/);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-page-detail.png'), fullPage: true });

    // In development mode Facebook refuses a message to someone without a role on the app.
    await emulator(serve.emulatorUrl, 'PUT', 'app', { mode: 'development' });
    const inbound = (await emulator(serve.emulatorUrl, 'POST', `pages/${pageId}/inbound`, { text: 'where is my order?' })) as { psid: string; delivered: boolean };
    expect(inbound.delivered).toBe(true);
    const api = (path: string, init: RequestInit = {}) => fetch(`${serve.url}${path}`, { ...init, headers: { authorization: `Bearer ${serve.apiKey}`, 'content-type': 'application/json' } });
    // The webhook opened the window (the inbound write is batched): the send is accepted once it has.
    let queued: Response | undefined;
    await expect
      .poll(async () => {
        queued = await api(`/v1/pages/${pageId}/messages`, { method: 'POST', headers: {}, body: JSON.stringify({ recipient: { id: inbound.psid }, messaging_type: 'RESPONSE', message: { text: 'It ships on Monday' } }) });
        return queued.status;
      })
      .toBe(202);
    const failedId = ((await queued!.json()) as { id: string }).id;
    await expect.poll(async () => ((await (await api(`/v1/messages/${failedId}`)).json()) as { status: string }).status, { timeout: 15_000 }).toBe('failed');

    // Found by filter.
    await page.getByTestId('nav-messages').click();
    await page.getByTestId('filter-status').selectOption('failed');
    await page.getByTestId('filter-page').selectOption(pageId);
    await page.getByTestId('filter-apply').click();
    await page.waitForURL((u) => u.searchParams.get('status') === 'failed');
    const rows = page.getByTestId('message-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-message-id')).toBe(failedId);
    expect(await rows.first().getByTestId('message-preview').textContent()).toBe('It ships on Monday');
    expect(await rows.first().getByTestId('message-error').textContent()).toMatch(/#10.*development mode/);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-messages.png'), fullPage: true });

    // The app goes live; the operator retries after confirming.
    await emulator(serve.emulatorUrl, 'PUT', 'app', { mode: 'live' });
    await rows.first().getByTestId('message-link').click();
    await page.waitForURL(`${serve.url}/messages/${failedId}`);
    expect(await page.getByTestId('message-history').getByTestId('history-row').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-status')))).toEqual(['queued', 'failed']);
    await page.getByTestId('retry-message').click();
    expect(await page.getByTestId('confirm-retry').textContent()).toMatch(/new message .*new idempotency key/);
    await page.getByTestId('confirm-action').click();
    await page.waitForURL((u) => u.pathname.startsWith('/messages/msg_') && u.searchParams.get('retried') === '1');
    const retryId = new URL(page.url()).pathname.split('/')[2]!;
    expect(retryId).not.toBe(failedId);
    expect(await page.getByTestId('retry-of').textContent()).toBe(failedId);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId('message-detail').getAttribute('data-status');
        },
        { timeout: 15_000 },
      )
      .toBe('sent');
    const sent = (await emulator(serve.emulatorUrl, 'GET', `pages/${pageId}/messages`)) as { data: { message?: { text?: string } }[] };
    expect(sent.data.filter((m) => m.message?.text === 'It ships on Monday').length).toBe(1);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-message-detail.png'), fullPage: true });

    // The old message links to its retry, and can no longer be retried.
    await page.getByTestId('retry-of').click();
    expect(await page.getByTestId('retried-as').textContent()).toBe(retryId);
    expect(await page.getByTestId('retry-message').count()).toBe(0);

    // The audit log, filtered by kind.
    await page.getByTestId('nav-events').click();
    await page.getByTestId('filter-kind').selectOption('message_retried');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL((u) => u.searchParams.get('event') === 'message_retried');
    const audit = page.getByTestId('audit-row');
    await expect.poll(() => audit.count()).toBe(1);
    expect(await audit.first().textContent()).toContain(retryId);
    await page.getByTestId('filter-kind').selectOption('');
    await page.getByTestId('filter-apply').click();
    await expect.poll(() => page.locator('[data-testid="audit-row"][data-event="token_invalidated"]').count()).toBeGreaterThan(0);
    if (screenshots) await page.screenshot({ path: join(docs, 'dashboard-events.png'), fullPage: true });

    const end = await serve.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);
  }, 180_000);
});
