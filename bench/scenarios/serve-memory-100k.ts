/**
 * Issue 8 item 3: peak RSS of `pagekeeper serve` holding 100,000 stored pages after a full sweep
 * (<= 250 MB), and connect and sweep time for 100,000 pages with Graph call counts.
 */
import { pendingScenario } from '../lib/pending.js';

export const scenario = pendingScenario({
  id: 'serve-memory-100k',
  issue: 8,
  rows: [
    { name: 'serve with 100,000 pages after a sweep: peak RSS', unit: 'MB', yardstick: 'target', target: '<= 250 MB' },
    { name: 'connect 100,000 pages (200 users x 500)', unit: 's', yardstick: 'reported', target: 'none (reported)' },
    { name: 'sweep 100,000 pages: time and HTTP requests', unit: 's', yardstick: 'reported', target: '<= 2,000 calls' },
  ],
  waitsFor: 'pagekeeper serve with its health scheduler (issue 6) and a sweep trigger (POST /v1/pages/{id}/check or check on start)',
  plan: 'connect 200 users of 500 pages into a SQLite file through the library (count HTTP requests with bench/lib/http-counter.ts), start serve as a child process on that file, trigger a full sweep, sample /proc/<pid>/status VmHWM',
});
