/**
 * Issue 6: `POST /webhooks/messenger` with X-Hub-Signature-256 verification sustains >= 5,000
 * events/s (autocannon with a pre-signed body; the answer must be 200, never 401/403).
 */
import { pendingScenario } from '../lib/pending.js';

export const scenario = pendingScenario({
  id: 'webhook-post',
  issue: 6,
  rows: [{ name: 'POST /webhooks/messenger (signed)', unit: 'events/s', yardstick: 'target', target: '>= 5,000 events/s' }],
  waitsFor: 'pagekeeper serve with POST /webhooks/messenger (issue 6)',
  plan: 'serve as a child process; autocannon posts one messaging event body signed with the app secret (sha256=HMAC hex of the exact bytes)',
});
