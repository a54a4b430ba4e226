/**
 * Opening every contender of a comparison (pagekeeper, the bare undici loop, the peers) with
 * failures recorded instead of thrown, so one library that cannot do the job does not hide the
 * others' numbers.
 */
import type { Summary } from './measure.js';

export class ContenderSet<T extends { close: () => Promise<void> }> {
  readonly opened = new Map<string, T | Error>();
  constructor(private readonly log: (m: string) => void) {}

  async open(name: string, make: () => Promise<T>): Promise<void> {
    try {
      this.opened.set(name, await make());
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.opened.set(name, err);
      this.log(`  ${name}: ${err.message}`);
    }
  }

  ready(): Array<[string, T]> {
    return [...this.opened].filter((e): e is [string, T] => !(e[1] instanceof Error));
  }

  outcome(name: string, results: Map<string, Summary | Error>, missing = 'this library cannot do this'): Summary | Error {
    const s = this.opened.get(name);
    if (s === undefined) return new Error(missing);
    if (s instanceof Error) return s;
    return results.get(name) ?? new Error('not measured');
  }

  async closeAll(): Promise<void> {
    for (const [, c] of this.ready()) await c.close().catch(() => {});
  }
}
