import { sql, type Kysely } from 'kysely';
import type { Dialect } from './open-database.js';
import type { Database } from './schema.js';

/** Keys per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

/** Reserve `span` µs of a key's schedule, starting no earlier than `floor` (µs since the epoch). */
export interface SlotRequest {
  key: string;
  floorUs: number;
  spanUs: number;
}

/**
 * Each Page's send schedule shared by every instance (the `outbox_page_slots` table, migration
 * 0015), used by src/messenger/page-slots.ts. One upsert per 200 keys reserves a stretch of
 * each key's schedule: it starts at max(the key's next free slot, the request's floor) and
 * pushes the next free slot past it, so two instances never get the same stretch.
 */
export interface OutboxSlotRepository {
  /** @returns each key's reserved stretch's start (µs); keys in the order given, each once. */
  reserve(requests: readonly SlotRequest[]): Promise<Map<string, number>>;
  /** Deletes keys whose schedule ended before `beforeUs` (quiet Pages). */
  prune(beforeUs: number): Promise<void>;
}

export function createOutboxSlotRepository(db: Kysely<Database>, dialect: Dialect): OutboxSlotRepository {
  // The larger of two values: a scalar MAX in SQLite, GREATEST in PostgreSQL.
  const greatest = dialect === 'postgres' ? sql.raw('GREATEST') : sql.raw('MAX');
  return {
    async reserve(requests) {
      const starts = new Map<string, number>();
      // Sorted, so two instances reserving the same Pages lock their rows in the same order
      // (PostgreSQL takes each row's lock as it upserts it; opposite orders could deadlock).
      const sorted = [...requests].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (let i = 0; i < sorted.length; i += CHUNK) {
        const part = sorted.slice(i, i + CHUNK);
        const rows = await db
          .insertInto('outbox_page_slots')
          .values(part.map((r) => ({ page_key: r.key, next_us: r.floorUs + r.spanUs, floor_us: r.floorUs, span_us: r.spanUs })))
          .onConflict((oc) =>
            oc.column('page_key').doUpdateSet({
              next_us: sql`${greatest}(outbox_page_slots.next_us, excluded.floor_us) + excluded.span_us`,
              floor_us: sql`excluded.floor_us`,
              span_us: sql`excluded.span_us`,
            }),
          )
          .returning(['page_key', 'next_us', 'span_us'])
          .execute();
        for (const r of rows) starts.set(r.page_key, Number(r.next_us) - Number(r.span_us));
      }
      return starts;
    },

    async prune(beforeUs) {
      await db.deleteFrom('outbox_page_slots').where('next_us', '<', beforeUs).execute();
    },
  };
}
