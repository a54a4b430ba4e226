/**
 * What the dashboard charts: messages sent, failed, held (and unknown) per hour over the last
 * 24 hours and per day over the last 30 days, the rate-budget use reported by Facebook's usage
 * headers per hour, and Pages by status. The numbers come from the store's rollups
 * (migration 0010); rendering is charts.ts.
 */
import type { ActivityReader } from '../deps.js';
import {
  bucketStarts,
  CHART_DAYS,
  CHART_HOURS,
  DAY_MS,
  fillBuckets,
  HOUR_MS,
  MESSAGE_SERIES,
  renderChart,
  STATUS_SERIES,
  USAGE_SERIES,
  type ChartBucket,
} from './charts.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './pages.js';

export interface PageChartsModel {
  pageId: string;
  hourly: ChartBucket[];
  daily: ChartBucket[];
  usage: ChartBucket[];
}

export interface HomeChartsModel extends Omit<PageChartsModel, 'pageId'> {
  statusHourly: ChartBucket[];
  statusDaily: ChartBucket[];
}

const messageValues = (r: { sent: number; failed: number; held: number; unknown: number }) => ({ sent: r.sent, failed: r.failed, held: r.held, unknown: r.unknown });

async function messagesAndUsage(activity: ActivityReader, now: number, pageId?: string): Promise<Omit<PageChartsModel, 'pageId'>> {
  const hours = bucketStarts('hour', CHART_HOURS, now);
  const days = bucketStarts('day', CHART_DAYS, now);
  const [hourly, daily, usage] = await Promise.all([activity.messages('hour', hours[0]!, pageId), activity.messages('day', days[0]!, pageId), activity.usage(hours[0]!, pageId)]);
  return {
    hourly: fillBuckets(hours, hourly, messageValues),
    daily: fillBuckets(days, daily, messageValues),
    usage: fillBuckets(hours, usage, (r) => ({ percent: r.maxPercent })),
  };
}

/** The numbers behind one Page's charts. */
export async function loadPageCharts(activity: ActivityReader, pageId: string, now: number): Promise<PageChartsModel> {
  return { pageId, ...(await messagesAndUsage(activity, now, pageId)) };
}

/** The numbers behind the home page's charts (every Page together). */
export async function loadHomeCharts(activity: ActivityReader, now: number): Promise<HomeChartsModel> {
  const hours = bucketStarts('hour', CHART_HOURS, now);
  const days = bucketStarts('day', CHART_DAYS, now);
  const [base, snapshots, current] = await Promise.all([messagesAndUsage(activity, now), activity.pageStatuses(days[0]! - DAY_MS), activity.countPageStatuses()]);
  // The current hour shows the Pages as they are now (the snapshots are taken every few minutes).
  const thisHour = hours[hours.length - 1]!;
  const statuses = [...snapshots.filter((s) => s.bucket !== thisHour), { bucket: thisHour, pages: current }];
  // A day shows its last snapshot; an hour without a snapshot (nobody looked) stays empty.
  const lastOfDay = new Map<number, Record<string, number>>();
  for (const s of statuses) lastOfDay.set(Math.floor(s.bucket / DAY_MS) * DAY_MS, s.pages);
  const recent = statuses.filter((s) => s.bucket >= hours[0]! - HOUR_MS);
  return {
    ...base,
    statusHourly: fillBuckets(hours, recent, (s) => s.pages),
    statusDaily: days.map((at) => ({ at, values: lastOfDay.get(at) ?? {} })),
  };
}

/**
 * One Page's charts (messages per hour and per day, rate-budget use per hour), for the Page's
 * own view. Load the model with `loadPageCharts(deps.activity, pageId, Date.now())`.
 */
export function renderPageCharts(m: PageChartsModel): SafeHtml {
  const id = (name: string) => `page-${m.pageId}-${name}`;
  return html`<section class="charts" aria-labelledby="${id('charts-heading')}" data-testid="page-charts" data-page-id="${m.pageId}">
<h3 id="${id('charts-heading')}">Activity</h3>
${renderPageChartFigures(m)}
</section>`;
}

/** The figures of renderPageCharts without their section and heading (for a page that has its own, like `/pages/{id}`). */
export function renderPageChartFigures(m: PageChartsModel): SafeHtml {
  const id = (name: string) => `page-${m.pageId}-${name}`;
  return html`<div class="charts">
${renderChart({ id: id('messages-hourly'), title: 'Messages per hour, last 24 hours', span: 'hour', series: MESSAGE_SERIES, buckets: m.hourly })}
${renderChart({ id: id('messages-daily'), title: 'Messages per day, last 30 days', span: 'day', series: MESSAGE_SERIES, buckets: m.daily })}
${renderChart({ id: id('usage-hourly'), title: 'Highest rate-budget use per hour (X-Business-Use-Case-Usage), last 24 hours', span: 'hour', series: USAGE_SERIES, buckets: m.usage, max: 100, unit: '%' })}
</div>`;
}

/** The home page's charts: every Page together; `pages` get a link to their own charts. */
export function renderHomeCharts(m: HomeChartsModel, pages: ReadonlyArray<{ id: string; name: string }> = []): SafeHtml {
  return html`<section class="charts" aria-labelledby="charts-heading" data-testid="home-charts">
<h2 id="charts-heading">Activity</h2>
${pages.length > 0 ? html`<p>Per Page: ${pages.map((p, i) => html`${i > 0 ? ', ' : ''}<a href="/pages/${p.id}/activity" data-testid="page-activity-link">${p.name}</a>`)}</p>` : ''}
${renderChart({ id: 'messages-hourly', title: 'Messages per hour, last 24 hours', span: 'hour', series: MESSAGE_SERIES, buckets: m.hourly })}
${renderChart({ id: 'messages-daily', title: 'Messages per day, last 30 days', span: 'day', series: MESSAGE_SERIES, buckets: m.daily })}
${renderChart({ id: 'usage-hourly', title: 'Highest rate-budget use of any Page per hour, last 24 hours', span: 'hour', series: USAGE_SERIES, buckets: m.usage, max: 100, unit: '%' })}
${renderChart({ id: 'statuses-hourly', title: 'Pages by status per hour, last 24 hours', span: 'hour', series: STATUS_SERIES, buckets: m.statusHourly })}
${renderChart({ id: 'statuses-daily', title: 'Pages by status per day, last 30 days', span: 'day', series: STATUS_SERIES, buckets: m.statusDaily })}
</section>`;
}

/** A page of its own for one Page's charts (`/pages/{id}/activity`). */
export function pageActivityPage(page: { id: string; name: string }, m: PageChartsModel, signedIn: { signedIn: boolean; csrf: string }): string {
  return layout(
    `Activity of ${page.name}`,
    html`<h2>${page.name} <span class="muted">${page.id}</span></h2>
${renderPageCharts(m)}
<p><a href="/">Back to the dashboard</a></p>`,
    signedIn,
  );
}
