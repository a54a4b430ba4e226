/**
 * Issue 5: the outbox delivers 20,000 messages across 20 pages, the emulator limiting each page
 * to 100 sends/s (PUT /_emulator/limits {"enabled":true,"pageId":P,"sendPerSecond":100} per page),
 * within 1.15x the theoretical minimum of 10 s, with zero throttle errors surfaced and zero lost
 * (count GET /_emulator/pages/{id}/messages per page: exactly 1,000 each).
 */
import { pendingScenario } from '../lib/pending.js';

export const scenario = pendingScenario({
  id: 'outbox-20000',
  issue: 5,
  rows: [{ name: 'outbox 20,000 msgs, 20 pages at 100/s', unit: 's', yardstick: 'theoretical minimum 10 s', target: '<= 11.5 s, 0 lost' }],
  waitsFor: 'the durable outbox: enqueue(pageId, message, { idempotencyKey }) and a worker (src/messenger, issue 5)',
  plan: 'connect 20 pages, open 50 windows per page, enqueue 1,000 per page, start the worker, time until every message is sent, then count on the emulator',
});
