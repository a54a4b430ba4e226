/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests. Without
 * Chromium a test is skipped with a warning, except on CI (`CI=true`), where .ci/run installs it
 * and a missing browser fails the test instead of passing silently.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

export const CHROMIUM = process.env.PAGEKEEPER_CHROMIUM ?? '/usr/bin/chromium';
const onCi = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);

/** True when the browser tests named `what` cannot run here (and says so once). */
export function skipWithoutBrowser(what: string): boolean {
  const skip = !haveChromium && !onCi;
  if (skip) console.warn(`${what} skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PAGEKEEPER_CHROMIUM)`);
  return skip;
}

/**
 * A page in a fresh browser (playwright-core gives it a temporary profile of its own), closed when
 * the test finishes. The flags keep Chromium off the network but for the pages it is sent to.
 */
export async function openBrowser(viewport: { width: number; height: number } = { width: 1180, height: 760 }): Promise<Page> {
  if (!haveChromium) throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install chromium`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  onTestFinished(async () => {
    await browser.close();
  });
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(15_000);
  return page;
}
