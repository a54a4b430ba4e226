import type { MetricSample } from '../deps.js';

/**
 * A tiny Prometheus registry: counters kept in memory, gauges computed at scrape time.
 * Enough for /metrics without a dependency; text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
export interface MetricsRegistry {
  inc(name: string, help: string, labels: Record<string, string>, by?: number): void;
  /** The increment of one counter cell, for hot paths that keep it (same counter as `inc`). */
  counter(name: string, help: string, labels: Record<string, string>): () => void;
  render(extra: readonly MetricSample[]): string;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export function createMetricsRegistry(): MetricsRegistry {
  const counters = new Map<string, { help: string; values: Map<string, { labels: Record<string, string>; value: number }> }>();
  const cell = (name: string, help: string, labels: Record<string, string>) => {
    let family = counters.get(name);
    if (!family) counters.set(name, (family = { help, values: new Map() }));
    const key = labelText(labels);
    let cur = family.values.get(key);
    if (!cur) family.values.set(key, (cur = { labels, value: 0 }));
    return cur;
  };
  return {
    inc(name, help, labels, by = 1) {
      cell(name, help, labels).value += by;
    },
    counter(name, help, labels) {
      const cur = cell(name, help, labels);
      return () => {
        cur.value += 1;
      };
    },
    render(extra) {
      const lines: string[] = [];
      for (const [name, family] of counters) {
        lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} counter`);
        for (const { labels, value } of family.values.values()) lines.push(`${name}${labelText(labels)} ${value}`);
      }
      const byName = new Map<string, MetricSample[]>();
      for (const s of extra) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
      for (const [name, samples] of byName) {
        const first = samples[0]!;
        lines.push(`# HELP ${name} ${first.help}`, `# TYPE ${name} ${first.type}`);
        for (const s of samples) lines.push(`${name}${labelText(s.labels)} ${Number.isFinite(s.value) ? s.value : 0}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
