/**
 * Graph calls by outcome for /metrics (issue 6 item 6), counted from the Graph client's own
 * log lines rather than by editing the client: it reports every answered attempt ('graph call',
 * debug, with the HTTP status), every retry ('graph call failed, retrying', with the error
 * kind) and every final failure ('graph call failed', with the kind). The counting logger sits
 * in front of the real one and forwards every line unchanged, so log levels still apply.
 *
 * A call that ends well is counted once as `ok`; a call that fails is counted once under its
 * error kind (token_invalid, rate_limited, transient, ...); retries are counted separately.
 * (A 2xx answer whose body cannot be read counts as `ok` and as `bad_response`: rare, and
 * visible rather than hidden.)
 */
import type { Logger } from '../core/logger.js';
import type { MetricSample } from './deps.js';

export interface GraphCallCounter {
  /** Pass this to createPageKeeper as its logger. */
  logger: Logger;
  samples(): MetricSample[];
}

const OUTCOME_HELP = 'Graph API calls by final outcome (ok, or the error kind)';
const RETRY_HELP = 'Graph API attempts that failed and were retried, by error kind';

export function createGraphCallCounter(inner: Logger): GraphCallCounter {
  const outcomes = new Map<string, number>();
  const retries = new Map<string, number>();
  const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const kindOf = (obj: object) => {
    const k = (obj as { kind?: unknown }).kind;
    return typeof k === 'string' && /^[a-z_]{1,40}$/.test(k) ? k : 'unknown';
  };

  const logger: Logger = {
    debug(obj, msg) {
      if (msg === 'graph call') {
        const status = (obj as { status?: unknown }).status;
        if (typeof status === 'number' && status >= 200 && status < 300) bump(outcomes, 'ok');
      } else if (msg === 'graph call failed') bump(outcomes, kindOf(obj));
      inner.debug(obj, msg);
    },
    info: (obj, msg) => inner.info(obj, msg),
    warn(obj, msg) {
      if (msg === 'graph call failed, retrying') bump(retries, kindOf(obj));
      inner.warn(obj, msg);
    },
    error: (obj, msg) => inner.error(obj, msg),
  };

  return {
    logger,
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
