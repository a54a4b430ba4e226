/**
 * Signals that a scenario cannot run because the pagekeeper API it measures does not exist yet.
 * The harness turns it into rows marked "not available", pass = false.
 */
export class NotAvailable extends Error {
  constructor(
    /** The API the scenario waits for, e.g. "createPageKeeper().check()". */
    readonly waitsFor: string,
    detail?: string,
  ) {
    super(`not available: waits for ${waitsFor}${detail ? ` (${detail})` : ''}`);
    this.name = 'NotAvailable';
  }
}
