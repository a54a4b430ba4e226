/**
 * Graph calls by outcome for /metrics, counted by the Graph client's call observer
 * (src/graph/observe-calls.ts), so rewording a log line changes nothing here.
 *
 * A call is counted once, when it finishes: as `ok`, or under the kind of the error it ended
 * with (token_invalid, rate_limited, transient, ...). Attempts that failed and were retried are
 * counted separately, by kind.
 */
import type { GraphCallObserver } from '../graph/observe-calls.js';
import type { MetricSample } from './deps.js';

export interface GraphCallCounter {
  /** Pass this to createPageKeeper as `graph: { observer }`. */
  observer: GraphCallObserver;
  samples(): MetricSample[];
}

const OUTCOME_HELP = 'Graph API calls by final outcome (ok, or the error kind)';
const RETRY_HELP = 'Graph API attempts that failed and were retried, by error kind';

/** A label value from an error kind: known-shaped or `unknown`, never arbitrary text. */
const labelOf = (kind: string) => (/^[a-z_]{1,40}$/.test(kind) ? kind : 'unknown');

export function createGraphCallCounter(): GraphCallCounter {
  const outcomes = new Map<string, number>();
  const retries = new Map<string, number>();
  const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

  return {
    observer: {
      onAttempt(e) {
        if (e.next === 'retry' && e.error) bump(retries, labelOf(e.error.kind));
      },
      onResult(e) {
        bump(outcomes, labelOf(e.outcome));
      },
    },
    samples() {
      const out: MetricSample[] = [];
      // ok is always present so dashboards see the series from the first scrape.
      if (!outcomes.has('ok')) out.push({ name: 'pagekeeper_graph_calls_total', help: OUTCOME_HELP, type: 'counter', labels: { outcome: 'ok' }, value: 0 });
      for (const [outcome, value] of outcomes) out.push({ name: 'pagekeeper_graph_calls_total', help: OUTCOME_HELP, type: 'counter', labels: { outcome }, value });
      for (const [kind, value] of retries) out.push({ name: 'pagekeeper_graph_retries_total', help: RETRY_HELP, type: 'counter', labels: { kind }, value });
      return out;
    },
  };
}
