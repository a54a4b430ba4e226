import { describe, expect, it } from 'vitest';
import { createPeopleShare } from '../../src/messenger/worker-people.js';

const PREFIX = 'outbox-worker:';
const people = Array.from({ length: 3000 }, (_, i) => ({ pageId: `10${i % 10}`, psid: `${7_000_000_000_000_000 + i * 7919}` }));

function owners(live: string[], person: { pageId: string; psid: string }): string[] {
  return live.filter((name) => {
    const share = createPeopleShare(name);
    share.setLive(live);
    return share.owns(person.pageId, person.psid);
  });
}

describe('instances sharing one outbox split its people between them', () => {
  it('gives every person exactly one owner among the live workers, and each worker a fair part', () => {
    for (const live of [[`${PREFIX}a`, `${PREFIX}b`], [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`]]) {
      const count = new Map<string, number>();
      for (const p of people) {
        const o = owners(live, p);
        expect(o).toHaveLength(1);
        count.set(o[0]!, (count.get(o[0]!) ?? 0) + 1);
      }
      // Each worker keeps its share of the people, within 10% of an even split.
      for (const name of live) expect(Math.abs((count.get(name) ?? 0) - people.length / live.length)).toBeLessThan((0.1 * people.length) / live.length);
    }
  });

  it('keeps everyone while alone, and when its own heartbeat lapsed counts itself among the others', () => {
    const alone = createPeopleShare(`${PREFIX}a`);
    expect(people.every((p) => alone.owns(p.pageId, p.psid))).toBe(true);
    // b's list without a: a still takes part, so nobody is left without an owner.
    const a = createPeopleShare(`${PREFIX}a`);
    a.setLive([`${PREFIX}b`]);
    const b = createPeopleShare(`${PREFIX}b`);
    b.setLive([`${PREFIX}a`, `${PREFIX}b`]);
    expect(people.every((p) => a.owns(p.pageId, p.psid) !== b.owns(p.pageId, p.psid))).toBe(true);
  });

  it('hands a dead worker\'s people to the survivors once it is no longer counted', () => {
    const live = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`];
    const survivors = [`${PREFIX}a`, `${PREFIX}c`];
    const ofB = people.filter((p) => owners(live, p)[0] === `${PREFIX}b`);
    expect(ofB.length).toBeGreaterThan(0);
    for (const p of ofB) expect(owners(survivors, p)).toHaveLength(1);
  });

  it("moves only the dead worker's people when one dies, and only the newcomer's when one joins", () => {
    const three = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`];
    const two = [`${PREFIX}a`, `${PREFIX}c`];
    let moved = 0;
    for (const p of people) {
      const before = owners(three, p)[0];
      const after = owners(two, p)[0];
      if (before !== `${PREFIX}b`) expect(after).toBe(before);
      else moved++;
    }
    // b's third of the people and no one else's (read backwards: b joining a and c takes only
    // people for itself). A hash modulo the count would move about half of everyone.
    expect(Math.abs(moved - people.length / 3)).toBeLessThan((0.1 * people.length) / 3);
  });
});
