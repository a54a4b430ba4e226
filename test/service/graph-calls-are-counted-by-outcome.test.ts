import { describe, expect, it } from 'vitest';
import { createGraphCallCounter } from '../../src/service/graph-call-counter.js';
import type { Logger } from '../../src/core/logger.js';

/** The Graph client's log lines for one call each (src/graph/create-graph-client.ts). */
const calls: Record<string, Array<['debug' | 'warn', object, string]>> = {
  ok: [['debug', { status: 200, attempt: 1 }, 'graph call']],
  'token refused': [
    ['debug', { status: 400, attempt: 1 }, 'graph call'],
    ['debug', { kind: 'token_invalid', code: 190 }, 'graph call failed'],
  ],
  'ok after one retry': [
    ['debug', { status: 503, attempt: 1 }, 'graph call'],
    ['warn', { kind: 'transient', attempt: 1 }, 'graph call failed, retrying'],
    ['debug', { status: 200, attempt: 2 }, 'graph call'],
  ],
  'network failure, retried, then given up': [
    ['warn', { kind: 'network', attempt: 1 }, 'graph call failed, retrying'],
    ['debug', { kind: 'network', attempt: 2 }, 'graph call failed'],
  ],
};

describe('Graph calls by outcome', () => {
  it.each([
    ['ok', { ok: 1 }, {}],
    ['token refused', { ok: 0, token_invalid: 1 }, {}],
    ['ok after one retry', { ok: 1 }, { transient: 1 }],
    ['network failure, retried, then given up', { ok: 0, network: 1 }, { network: 1 }],
  ])('%s', (name, outcomes, retries) => {
    const seen: string[] = [];
    const inner: Logger = { debug: (_o, m) => seen.push(`debug ${m}`), info() {}, warn: (_o, m) => seen.push(`warn ${m}`), error() {} };
    const counter = createGraphCallCounter(inner);
    for (const [level, obj, msg] of calls[name]!) counter.logger[level](obj, msg);
    const samples = counter.samples();
    const of = (metric: string, label: string) =>
      Object.fromEntries(samples.filter((s) => s.name === metric).map((s) => [s.labels![label], s.value]));
    expect(of('pagekeeper_graph_calls_total', 'outcome')).toEqual(outcomes);
    expect(of('pagekeeper_graph_retries_total', 'kind')).toEqual(retries);
    // Every line still reaches the real logger, unchanged.
    expect(seen).toEqual(calls[name]!.map(([level, , msg]) => `${level} ${msg}`));
  });

  it('keeps a kind it does not recognise out of the label values', () => {
    const counter = createGraphCallCounter({ debug() {}, info() {}, warn() {}, error() {} });
    counter.logger.debug({ kind: 'x"}\nevil 1' }, 'graph call failed');
    expect(counter.samples().find((s) => s.labels?.outcome !== 'ok')?.labels).toEqual({ outcome: 'unknown' });
  });
});
