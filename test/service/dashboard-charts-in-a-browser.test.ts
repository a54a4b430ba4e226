/**
 * The dashboard's charts in a real browser (Debian's Chromium driven by playwright-core, as
 * dashboard-in-a-browser.test.ts): Pages connected through the Login dialog land on a result page
 * without the code or the state, then messages sent through the REST API show up in the hourly
 * chart, read from the SVG's own data and from its table, on the home page and the Page's own.
 *
 * PAGEKEEPER_SCREENSHOTS=1 also saves docs/dashboard-charts.png.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openBrowser, skipWithoutBrowser } from '../helpers/browser.js';
import { eventually, startServeProcess, type ServeProcess } from './serve-process.js';

const screenshots = process.env.PAGEKEEPER_SCREENSHOTS === '1';
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

const skip = skipWithoutBrowser('dashboard charts browser test');

const api = (s: ServeProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** The numbers of one chart, read from its SVG bars and from its table, summed over its buckets. */
async function chartSums(page: Page, chart: string, series: string): Promise<{ svg: number; table: number; desc: string }> {
  const fig = page.getByTestId(`chart-${chart}`);
  const svg = await fig.locator(`svg g[data-bucket] rect[data-series="${series}"]`).evaluateAll((rects) => rects.reduce((n, r) => n + Number(r.getAttribute('data-value')), 0));
  const table = await page.getByTestId(`chart-${chart}-table`).locator(`td[data-series="${series}"]`).evaluateAll((tds) => tds.reduce((n, td) => n + Number(td.textContent), 0));
  const desc = (await fig.locator('svg desc').textContent()) ?? '';
  return { svg, table, desc };
}

describe.skipIf(skip)('the dashboard charts in a browser', () => {
  it('show the messages just sent in the hourly chart, on the home page and on the Page', async () => {
    const serve = await startServeProcess();
    const page = await openBrowser({ width: 1180, height: 900 });

    // Connect through the Login dialog: the result is shown at an address without code or state.
    await page.goto(`${serve.url}/`);
    await page.getByTestId('connect-page').click();
    await page.waitForURL((u) => u.toString().startsWith(`${serve.emulatorUrl}/`));
    await page.locator('#continue').click();
    await page.waitForURL((u) => u.toString().startsWith(`${serve.url}/connect/result`));
    const landed = new URL(page.url());
    expect([landed.searchParams.has('code'), landed.searchParams.has('state')]).toEqual([false, false]);
    expect(await page.getByTestId('connect-success').textContent()).toMatch(/3 Pages connected/);
    // A refresh shows the same result: nothing is exchanged again.
    await page.reload();
    expect(await page.getByTestId('connect-success').textContent()).toMatch(/3 Pages connected/);

    // Before any message, the hourly chart is empty.
    await page.goto(`${serve.url}/`);
    expect((await chartSums(page, 'messages-hourly', 'sent')).svg).toBe(0);

    // A person writes to the first Page; four replies go out through the REST API. The emulator
    // counts this Page's sends against a budget of 10 a window, so its usage header reports 10% or more.
    const pages = (await (await api(serve, 'GET', '/v1/pages')).json()) as { pages: { id: string; name: string }[] };
    const target = pages.pages[0]!;
    const limits = await fetch(`${serve.emulatorUrl}/_emulator/limits`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: target.id, pageCallsPerWindow: 10 }) });
    expect(limits.status).toBe(200);
    const inbound = (await (await fetch(`${serve.emulatorUrl}/_emulator/pages/${target.id}/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) })).json()) as { psid: string };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const body = { recipient: { id: inbound.psid }, messaging_type: 'RESPONSE', message: { text: `reply ${i}` } };
      ids.push(
        await eventually(async () => {
          const r = await api(serve, 'POST', `/v1/pages/${target.id}/messages`, body, { 'idempotency-key': `chart-${i}` });
          return r.status === 202 ? ((await r.json()) as { id: string }).id : undefined;
        }, 'the messaging window to open'),
      );
    }
    for (const id of ids) {
      await eventually(async () => (((await (await api(serve, 'GET', `/v1/messages/${id}`)).json()) as { status: string }).status === 'sent' ? true : undefined), 'the message to be sent');
    }

    await page.goto(`${serve.url}/`);
    const home = await chartSums(page, 'messages-hourly', 'sent');
    expect(home).toMatchObject({ svg: 4, table: 4 });
    expect(home.desc).toMatch(/\b4 sent\b/);
    // The bar that carries them is drawn (a height above zero), in the hour they went out.
    const bar = page.getByTestId('chart-messages-hourly').locator('svg g[data-bucket] rect[data-series="sent"]:not([data-value="0"])');
    expect(Number(await bar.last().getAttribute('height'))).toBeGreaterThan(0);
    expect(Date.now() - Date.parse((await bar.last().locator('xpath=..').getAttribute('data-bucket'))!)).toBeLessThan(2 * 3_600_000);
    expect((await chartSums(page, 'messages-daily', 'sent')).table).toBe(4);
    // Pages by status: this hour shows the three Pages as they are now.
    const statuses = page.getByTestId('chart-statuses-hourly-table').locator('tbody tr').last();
    expect(await statuses.locator('td[data-series="healthy"]').textContent()).toBe('3');
    // The rate-budget peaks are written every few seconds: the chart shows this hour's once they are.
    await expect
      .poll(
        async () => {
          await page.goto(`${serve.url}/`);
          return page.getByTestId('chart-usage-hourly-table').locator('tbody tr').last().locator('td[data-series="percent"]').textContent();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toMatch(/^([1-9]\d|100)%$/);
    if (screenshots) await page.getByTestId('home-charts').screenshot({ path: join(docs, 'dashboard-charts.png') });

    // The Page's own charts carry them too; another Page's do not.
    await page.locator(`[data-testid="page-activity-link"][href="/pages/${target.id}/activity"]`).click();
    await page.waitForURL(`${serve.url}/pages/${target.id}/activity`);
    expect(await chartSums(page, `page-${target.id}-messages-hourly`, 'sent')).toMatchObject({ svg: 4, table: 4 });
    // And the Page's detail page, in its charts section.
    await page.goto(`${serve.url}/pages/${target.id}`);
    expect(await page.getByTestId('page-charts').getByTestId(`chart-page-${target.id}-messages-hourly-table`).count()).toBe(1);
    expect(await chartSums(page, `page-${target.id}-messages-hourly`, 'sent')).toMatchObject({ svg: 4, table: 4 });
    await page.goto(`${serve.url}/pages/${pages.pages[1]!.id}/activity`);
    expect(await chartSums(page, `page-${pages.pages[1]!.id}-messages-hourly`, 'sent')).toMatchObject({ svg: 0, table: 0 });

    const end = await serve.terminate();
    expect([end.code, end.signal]).toEqual([0, null]);
  }, 120_000);
});
