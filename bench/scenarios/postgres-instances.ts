/**
 * Issue 7: outbox messages/s for one, two and three `pagekeeper serve` instances on one
 * PostgreSQL database, emulator page limits out of the way; three instances >= 0.9x one
 * instance's rate, and every message delivered once (counted on the emulator).
 */
import { pendingScenario } from '../lib/pending.js';

export const scenario = pendingScenario({
  id: 'postgres-instances',
  issue: 7,
  rows: [
    { name: 'outbox on PostgreSQL, 2 instances vs 1', unit: 'msg/s', yardstick: '1 instance', target: '>= 0.9x' },
    { name: 'outbox on PostgreSQL, 3 instances vs 1', unit: 'msg/s', yardstick: '1 instance', target: '>= 0.9x' },
  ],
  waitsFor: 'the PostgreSQL backend with claimed outbox work (issue 7) and the throwaway-cluster helper its tests use (initdb/pg_ctl)',
  plan: 'start a throwaway cluster, enqueue 5,000 messages across 10 pages, run 1, 2, 3 serve instances on PAGEKEEPER_DATABASE=postgres://..., time until all sent, count per page on the emulator',
});
