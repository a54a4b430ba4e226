import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, type GraphClient } from '../../src/graph/create-graph-client.js';
import type { GraphError } from '../../src/graph/graph-error.js';
import type { GraphAttemptEvent, GraphResultEvent } from '../../src/graph/observe-calls.js';
import { createGraphCallCounter } from '../../src/service/graph-call-counter.js';
import { APP_ID, APP_SECRET, USER_TOKEN, captureLogger, recordSleeps, sendJson, startStub, type StubServer } from '../graph/stub-server.js';

const call = { method: 'GET', url: 'https://graph.facebook.com/v25.0/me', ms: 1 };
const failed = (kind: string) => ({ kind }) as GraphError;
const attempt = (n: number, status: number | null, error: GraphError | null, next: GraphAttemptEvent['next']): GraphAttemptEvent => ({ ...call, attempt: n, status, error, next });
const result = (attempts: number, outcome: string): GraphResultEvent => ({ ...call, attempts, outcome: outcome as GraphResultEvent['outcome'], error: outcome === 'ok' ? null : failed(outcome) });

/** The Graph client's events for one call each (src/graph/create-graph-client.ts). */
const calls: Record<string, Array<GraphAttemptEvent | GraphResultEvent>> = {
  ok: [attempt(1, 200, null, 'done'), result(1, 'ok')],
  'token refused': [attempt(1, 400, failed('token_invalid'), 'give_up'), result(1, 'token_invalid')],
  'ok after one retry': [attempt(1, 503, failed('transient'), 'retry'), attempt(2, 200, null, 'done'), result(2, 'ok')],
  'network failure, retried, then given up': [attempt(1, null, failed('network'), 'retry'), attempt(2, null, failed('network'), 'give_up'), result(2, 'network')],
};

const of = (samples: ReturnType<ReturnType<typeof createGraphCallCounter>['samples']>, metric: string, label: string) =>
  Object.fromEntries(samples.filter((s) => s.name === metric).map((s) => [s.labels![label], s.value]));

describe('Graph calls by outcome', () => {
  it.each([
    ['ok', { ok: 1 }, {}],
    ['token refused', { ok: 0, token_invalid: 1 }, {}],
    ['ok after one retry', { ok: 1 }, { transient: 1 }],
    ['network failure, retried, then given up', { ok: 0, network: 1 }, { network: 1 }],
  ])('%s', (name, outcomes, retries) => {
    const counter = createGraphCallCounter();
    for (const e of calls[name]!) {
      if ('outcome' in e) counter.observer.onResult?.(e);
      else counter.observer.onAttempt?.(e);
    }
    const samples = counter.samples();
    expect(of(samples, 'pagekeeper_graph_calls_total', 'outcome')).toEqual(outcomes);
    expect(of(samples, 'pagekeeper_graph_retries_total', 'kind')).toEqual(retries);
  });

  it('keeps a kind it does not recognise out of the label values', () => {
    const counter = createGraphCallCounter();
    counter.observer.onResult?.(result(1, 'x"}\nevil 1'));
    expect(counter.samples().find((s) => s.labels?.outcome !== 'ok')?.labels).toEqual({ outcome: 'unknown' });
  });
});

describe('a real Graph client feeding the counter and the log', () => {
  const stubs: StubServer[] = [];
  const clients: GraphClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(stubs.splice(0).map((s) => s.stop()));
  });

  const temporary = { error: { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1, fbtrace_id: 'A1' } };
  const refused = { error: { message: 'Error validating access token', type: 'OAuthException', code: 190, error_subcode: 460, fbtrace_id: 'A2' } };

  it.each([
    ['ok', [200], { ok: 1 }, {}, ['debug graph call']],
    ['token refused', [400], { ok: 0, token_invalid: 1 }, {}, ['debug graph call', 'debug graph call failed']],
    ['ok after one retry', [500, 200], { ok: 1 }, { transient: 1 }, ['debug graph call', 'warn graph call failed, retrying', 'debug graph call']],
  ] as const)('%s: counted once by outcome, and logged as before', async (_name, statuses, outcomes, retries, lines) => {
    const stub = await startStub((_req, res, n) => {
      const status = statuses[n - 1] ?? 200;
      sendJson(res, status, status === 200 ? { id: '42' } : status === 400 ? refused : temporary);
    });
    stubs.push(stub);
    const counter = createGraphCallCounter();
    const log = captureLogger();
    const client = createGraphClient({ graphUrl: stub.url, appId: APP_ID, appSecret: APP_SECRET, logger: log.logger, observer: counter.observer, sleep: recordSleeps().sleep, random: () => 0.5 });
    clients.push(client);
    await client.get('me', {}, { token: USER_TOKEN }).catch(() => undefined);
    expect(stub.requests).toHaveLength(statuses.length);
    expect(of(counter.samples(), 'pagekeeper_graph_calls_total', 'outcome')).toEqual(outcomes);
    expect(of(counter.samples(), 'pagekeeper_graph_retries_total', 'kind')).toEqual(retries);
    expect(log.lines.map((l) => JSON.parse(l) as { level: string; msg: string }).map((l) => `${l.level} ${l.msg}`)).toEqual(lines);
    // The observer sees the redacted URL only: the token never reaches metrics or logs.
    expect(log.lines.join('\n')).not.toContain(USER_TOKEN);
  });

  it('a refused connection, retried then given up, is one call of its kind and one retry', async () => {
    const stub = await startStub(() => undefined);
    await stub.stop();
    const counter = createGraphCallCounter();
    const events: string[] = [];
    const client = createGraphClient({
      graphUrl: stub.url,
      appId: APP_ID,
      appSecret: APP_SECRET,
      maxRetries: 1,
      observer: { onAttempt: (e) => (counter.observer.onAttempt?.(e), events.push(`attempt ${e.attempt} ${e.next} ${e.status}`)), onResult: (e) => (counter.observer.onResult?.(e), events.push(`result ${e.outcome} after ${e.attempts}`)) },
      sleep: recordSleeps().sleep,
      random: () => 0.5,
    });
    clients.push(client);
    await expect(client.get('me', {}, { token: USER_TOKEN })).rejects.toMatchObject({ kind: 'transient', delivery: 'not_sent' });
    expect(events).toEqual(['attempt 1 retry null', 'attempt 2 give_up null', 'result transient after 2']);
    expect(of(counter.samples(), 'pagekeeper_graph_calls_total', 'outcome')).toEqual({ ok: 0, transient: 1 });
    expect(of(counter.samples(), 'pagekeeper_graph_retries_total', 'kind')).toEqual({ transient: 1 });
  });
});
