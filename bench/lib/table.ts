/** The one table `npm run bench` prints. */
import { formatNumber } from './measure.js';
import type { Row } from './types.js';

function cell(v: number | null, unit?: string): string {
  if (v === null) return 'n/a';
  return unit ? `${formatNumber(v)} ${unit}` : formatNumber(v);
}

function spreadText(r: Row): string {
  return r.spread && r.spread.samples > 1 ? ` [${formatNumber(r.spread.min)}-${formatNumber(r.spread.max)}]` : '';
}

/** Two decimals, or three when two would round onto a `>= Nx` target and hide which side it is. */
function ratioText(r: Row): string {
  if (r.ratio === null) return '-';
  const min = />= ([\d.]+)x/.exec(r.target);
  const close = min !== null && Math.abs(r.ratio - Number(min[1])) < 0.005;
  return `${r.ratio.toFixed(close ? 3 : 2)}x`;
}

export function renderTable(rows: Row[]): string {
  const header = ['scenario', 'pagekeeper', 'yardstick', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.name,
    r.value === null ? 'not available' : `${cell(r.value, r.unit)}${spreadText(r)}`,
    `${r.yardstick}: ${cell(r.yardstickValue)}`,
    ratioText(r),
    r.target,
    r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = rows
    .map((r, i) => (r.note ? `  ${i + 1}. ${r.name}: ${r.note}` : ''))
    .filter(Boolean)
    .join('\n');
  return [line(header), sep, ...body.map(line), notes ? `\nnotes:\n${notes}` : ''].join('\n');
}
