/**
 * The dashboard's charts, drawn on the server as inline SVG (no script, no inline style: colours
 * come from classes in dashboard.css, so the CSP stays `style-src 'self'`). Every chart carries
 * its numbers three ways: a <title>/<desc> for screen readers, `data-*` attributes on each bar,
 * and a <table> under a <details> disclosure (docs/dashboard-charts.md).
 */
import { html, type SafeHtml } from './html.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Hours on the hourly charts, days on the daily ones. */
export const CHART_HOURS = 24;
export const CHART_DAYS = 30;

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;

export interface ChartSeries {
  key: string;
  label: string;
}

export interface ChartBucket {
  /** Start of the bucket, ms. */
  at: number;
  values: Readonly<Record<string, number>>;
}

export interface ChartSpec {
  /** Unique on the page; becomes ids and `data-testid="chart-{id}"`. */
  id: string;
  title: string;
  /** `hour` buckets are labelled HH:00, `day` buckets MM-DD (UTC). */
  span: 'hour' | 'day';
  series: readonly ChartSeries[];
  buckets: readonly ChartBucket[];
  /** Fixed top of the scale (percent charts); default: the largest stacked total. */
  max?: number;
  /** Unit after numbers in the text alternative, e.g. "%". */
  unit?: string;
}

export const MESSAGE_SERIES: readonly ChartSeries[] = [
  { key: 'sent', label: 'sent' },
  { key: 'failed', label: 'failed' },
  { key: 'held', label: 'held' },
  { key: 'unknown', label: 'unknown' },
];
export const STATUS_SERIES: readonly ChartSeries[] = [
  { key: 'healthy', label: 'healthy' },
  { key: 'expiring', label: 'expiring' },
  { key: 'needs_reauth', label: 'needs reconnect' },
  { key: 'missing_permission', label: 'missing permission' },
];
export const USAGE_SERIES: readonly ChartSeries[] = [{ key: 'percent', label: 'of the rate budget' }];

/** The bucket starts of the last `n` hours (or days) up to and including the one holding `now`. */
export function bucketStarts(span: 'hour' | 'day', n: number, now: number): number[] {
  const size = span === 'hour' ? HOUR_MS : DAY_MS;
  const last = Math.floor(now / size) * size;
  return Array.from({ length: n }, (_, i) => last - (n - 1 - i) * size);
}

/** Rows keyed by bucket start placed on every bucket of the range (missing ones are zeros). */
export function fillBuckets<T extends { bucket: number }>(starts: readonly number[], rows: readonly T[], values: (row: T) => Record<string, number>): ChartBucket[] {
  const byStart = new Map(rows.map((r) => [r.bucket, r]));
  return starts.map((at) => {
    const row = byStart.get(at);
    return { at, values: row === undefined ? {} : values(row) };
  });
}

function label(span: 'hour' | 'day', at: number): string {
  const iso = new Date(at).toISOString();
  return span === 'hour' ? `${iso.slice(11, 16)}` : iso.slice(5, 10);
}

function longLabel(span: 'hour' | 'day', at: number): string {
  const iso = new Date(at).toISOString();
  return span === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
}

const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 0 : v);

/** One chart: a figure with the SVG, a caption, and its numbers as a table. */
export function renderChart(spec: ChartSpec): SafeHtml {
  const { id, span, series, buckets } = spec;
  const unit = spec.unit ?? '';
  const totals = buckets.map((b) => series.reduce((s, x) => s + num(b.values[x.key]), 0));
  const max = Math.max(1, spec.max ?? 0, ...totals);
  const plotW = WIDTH - LEFT - 4;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const sums = series.map((x) => ({ ...x, total: buckets.reduce((s, b) => s + num(b.values[x.key]), 0) }));
  const first = buckets[0];
  const lastB = buckets[buckets.length - 1];
  const range = first && lastB ? `${longLabel(span, first.at)} to ${longLabel(span, lastB.at)}` : 'no data';
  const desc =
    spec.max === 100 && series.length === 1
      ? `Highest per ${span} from ${range}: ${Math.max(0, ...totals)}${unit}.`
      : `Totals from ${range}: ${sums.map((s) => `${s.total}${unit} ${s.label}`).join(', ')}.`;
  const labelEvery = span === 'hour' ? 6 : 5;

  const bars = buckets.map((b, i) => {
    let base = 0;
    const x = LEFT + i * slot + (slot - barW) / 2;
    const rects = series.map((s) => {
      const v = num(b.values[s.key]);
      const top = y(base + v);
      const h = y(base) - top;
      base += v;
      return html`<rect class="series-${s.key}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" data-series="${s.key}" data-value="${v}"><title>${longLabel(span, b.at)}: ${v}${unit} ${s.label}</title></rect>`;
    });
    const tick = i % labelEvery === 0 ? html`<text class="axis" x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${label(span, b.at)}</text>` : '';
    return html`<g data-bucket="${new Date(b.at).toISOString()}" data-total="${totals[i] ?? 0}">${rects}${tick}</g>`;
  });

  return html`<figure class="chart" data-testid="chart-${id}" data-span="${span}">
<figcaption id="chart-${id}-title">${spec.title}</figcaption>
<svg role="img" aria-labelledby="chart-${id}-svg-title chart-${id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet">
<title id="chart-${id}-svg-title">${spec.title}</title>
<desc id="chart-${id}-desc">${desc}</desc>
<line class="axis-line" x1="${LEFT}" y1="${TOP + plotH}" x2="${WIDTH - 4}" y2="${TOP + plotH}"/>
<text class="axis" x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${max}${unit}</text>
<text class="axis" x="${LEFT - 6}" y="${TOP + plotH}" text-anchor="end">0</text>
${bars}
</svg>
<ul class="legend">${series.map((s) => html`<li><span class="swatch series-${s.key}" aria-hidden="true"></span>${s.label}</li>`)}</ul>
<details><summary>Numbers<span class="visually-hidden"> for ${spec.title}</span></summary>
<table data-testid="chart-${id}-table">
<caption>${spec.title}</caption>
<thead><tr><th scope="col">${span === 'hour' ? 'Hour (UTC)' : 'Day (UTC)'}</th>${series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
<tbody>${buckets.map(
    (b) => html`<tr data-bucket="${new Date(b.at).toISOString()}"><th scope="row">${longLabel(span, b.at)}</th>${series.map((s) => html`<td data-series="${s.key}">${num(b.values[s.key])}${unit}</td>`)}</tr>`,
  )}</tbody>
</table>
</details>
</figure>`;
}
