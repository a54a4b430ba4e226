/**
 * A scenario slot whose measurement is not written yet because the pagekeeper API it drives
 * did not exist (or was still changing) when the bench was written. It reports its rows as
 * "not available" (pass = false), naming the API and the plan, so the gap shows in the table
 * and whoever picks it up knows exactly what to fill in.
 */
import { NotAvailable } from './not-available.js';
import type { Row, Scenario, Subject } from './types.js';

export function pendingScenario(spec: {
  id: string;
  subject: Subject;
  rows: Array<Pick<Row, 'name' | 'unit' | 'yardstick' | 'target'>>;
  /** The API the measurement needs. */
  waitsFor: string;
  /** How to measure it once the API exists (kept in the module, printed in the note). */
  plan: string;
}): Scenario {
  return {
    id: spec.id,
    subject: spec.subject,
    rows: spec.rows,
    run: async () => {
      throw new NotAvailable(spec.waitsFor, `plan: ${spec.plan}`);
    },
  };
}
