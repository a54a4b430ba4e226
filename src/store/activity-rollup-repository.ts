/**
 * The counts behind the dashboard's charts (migration 0010, docs/dashboard-charts.md): outbox
 * outcomes per Page per hour and per day, each Page's highest rate-budget use per hour, and how
 * many Pages were in each status per hour. Writes are upserts that add to (or raise) one row per
 * bucket, so a batch of outcomes costs one statement whatever its size; storage is bounded by
 * `prune` (hours kept 48 h, days and statuses 31 days) and by the number of Pages (times
 * POSTGRES_SHARDS on PostgreSQL).
 */
import { randomInt } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './open-database.js';
import { inTransaction } from './row-mapping.js';
import type { Database } from './schema.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Hourly message and usage buckets kept (the charts show the last 24). */
export const HOURLY_KEEP_MS = 48 * HOUR_MS;
/** Daily message buckets and hourly status snapshots kept (the charts show the last 30 days). */
export const DAILY_KEEP_MS = 31 * DAY_MS;
/** Buckets written per statement: bounded so the parameters stay well under SQLite's limit. */
const UPSERT_CHUNK = 200;
/**
 * Rows per bucket on PostgreSQL: each statement picks one at random, so instances recording the
 * same Page's hour at once rarely wait for each other's row lock (held until their transaction
 * commits). SQLite has one writer at a time and uses one row.
 */
export const POSTGRES_SHARDS = 4;

export type RollupSpan = 'hour' | 'day';

/** Outcomes of one Page at one moment (any number of messages). */
export interface OutcomeCount {
  pageId: string;
  /** ms */
  at: number;
  sent?: number;
  failed?: number;
  held?: number;
  unknown?: number;
}

/** One bucket's counts; `pageId` null when summed over every Page. */
export interface MessageBucket {
  bucket: number;
  sent: number;
  failed: number;
  held: number;
  unknown: number;
}

export interface UsageBucket {
  bucket: number;
  maxPercent: number;
}

export interface StatusBucket {
  bucket: number;
  /** Pages per status at the last look in that bucket. */
  pages: Record<string, number>;
}

export interface ActivityRollupRepository {
  /** Adds outcomes to their Pages' hour and day buckets, in one statement per 200 buckets. */
  addOutcomes(counts: readonly OutcomeCount[]): Promise<void>;
  /** Raises each Page's hourly usage bucket to `percent` when higher. */
  addUsage(samples: ReadonlyArray<{ pageId: string; at: number; percent: number }>): Promise<void>;
  /** How many Pages are in each status now (removed Pages excluded). */
  countPageStatuses(): Promise<Record<string, number>>;
  /** Writes the current count of Pages per status (removed Pages excluded) into the hour of `at`. */
  recordPageStatuses(at: number): Promise<void>;
  /** Buckets of `span` from `since` (ms) on, oldest first; one Page, or summed over every Page. */
  messages(span: RollupSpan, since: number, pageId?: string): Promise<MessageBucket[]>;
  /** Hourly peaks from `since` on, oldest first; one Page, or the highest of any Page. */
  usage(since: number, pageId?: string): Promise<UsageBucket[]>;
  /** Hourly status snapshots from `since` on, oldest first. */
  pageStatuses(since: number): Promise<StatusBucket[]>;
  /** Deletes buckets past their keep time. @returns the rows deleted. */
  prune(now: number): Promise<number>;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

export function createActivityRollupRepository(db: Kysely<Database>, dialect: Dialect): ActivityRollupRepository {
  const greatest = dialect === 'postgres' ? sql.raw('greatest') : sql.raw('max');
  async function countPageStatuses(): Promise<Record<string, number>> {
    const rows = await db.selectFrom('pages').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('removed_at', 'is', null).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
  return {
    async addOutcomes(counts) {
      const rows = new Map<string, { page_id: string; span: RollupSpan; bucket: number; sent: number; failed: number; held: number; unknown: number }>();
      for (const c of counts) {
        for (const [span, bucket] of [
          ['hour', hourOf(c.at)],
          ['day', dayOf(c.at)],
        ] as const) {
          const key = `${c.pageId}\u0000${span}\u0000${bucket}`;
          const row = rows.get(key) ?? { page_id: c.pageId, span, bucket, sent: 0, failed: 0, held: 0, unknown: 0 };
          row.sent += c.sent ?? 0;
          row.failed += c.failed ?? 0;
          row.held += c.held ?? 0;
          row.unknown += c.unknown ?? 0;
          rows.set(key, row);
        }
      }
      // One order for every writer, so two transactions never take the same rows' locks crosswise.
      const values = [...rows.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, r]) => r)
        .filter((r) => r.sent + r.failed + r.held + r.unknown > 0);
      for (let i = 0; i < values.length; i += UPSERT_CHUNK) {
        const shard = dialect === 'postgres' ? randomInt(POSTGRES_SHARDS) : 0;
        await db
          .insertInto('message_rollups')
          .values(values.slice(i, i + UPSERT_CHUNK).map((r) => ({ ...r, shard })))
          .onConflict((oc) =>
            oc.columns(['page_id', 'span', 'bucket', 'shard']).doUpdateSet({
              sent: sql`message_rollups.sent + excluded.sent`,
              failed: sql`message_rollups.failed + excluded.failed`,
              held: sql`message_rollups.held + excluded.held`,
              unknown: sql`message_rollups.unknown + excluded.unknown`,
            }),
          )
          .execute();
      }
    },

    async addUsage(samples) {
      const rows = new Map<string, { page_id: string; bucket: number; max_percent: number }>();
      // (Usage rows are written every few seconds per process, outside the outbox's transactions.)
      for (const s of samples) {
        const bucket = hourOf(s.at);
        const key = `${s.pageId}\u0000${bucket}`;
        const percent = Math.max(0, Math.round(s.percent));
        const row = rows.get(key);
        if (row === undefined) rows.set(key, { page_id: s.pageId, bucket, max_percent: percent });
        else row.max_percent = Math.max(row.max_percent, percent);
      }
      const values = [...rows.values()];
      for (let i = 0; i < values.length; i += UPSERT_CHUNK) {
        await db
          .insertInto('page_usage_rollups')
          .values(values.slice(i, i + UPSERT_CHUNK))
          .onConflict((oc) => oc.columns(['page_id', 'bucket']).doUpdateSet({ max_percent: sql`${greatest}(page_usage_rollups.max_percent, excluded.max_percent)` }))
          .execute();
      }
    },

    countPageStatuses,

    async recordPageStatuses(at) {
      const bucket = hourOf(at);
      const counts = Object.entries(await countPageStatuses());
      await inTransaction(db, async (trx) => {
        // The latest look in the hour replaces the earlier ones (a status nobody has any more drops out).
        await trx.deleteFrom('page_status_rollups').where('bucket', '=', bucket).execute();
        if (counts.length > 0) await trx.insertInto('page_status_rollups').values(counts.map(([status, pages]) => ({ bucket, status, pages }))).execute();
      });
    },

    async messages(span, since, pageId) {
      let q = db
        .selectFrom('message_rollups')
        .select((eb) => [
          'bucket',
          eb.fn.sum<number>('sent').as('sent'),
          eb.fn.sum<number>('failed').as('failed'),
          eb.fn.sum<number>('held').as('held'),
          eb.fn.sum<number>('unknown').as('unknown'),
        ])
        .where('span', '=', span)
        .where('bucket', '>=', since);
      if (pageId !== undefined) q = q.where('page_id', '=', pageId);
      const rows = await q.groupBy('bucket').orderBy('bucket').execute();
      return rows.map((r) => ({ bucket: Number(r.bucket), sent: Number(r.sent), failed: Number(r.failed), held: Number(r.held), unknown: Number(r.unknown) }));
    },

    async usage(since, pageId) {
      let q = db
        .selectFrom('page_usage_rollups')
        .select((eb) => ['bucket', eb.fn.max('max_percent').as('max_percent')])
        .where('bucket', '>=', since);
      if (pageId !== undefined) q = q.where('page_id', '=', pageId);
      const rows = await q.groupBy('bucket').orderBy('bucket').execute();
      return rows.map((r) => ({ bucket: Number(r.bucket), maxPercent: Number(r.max_percent) }));
    },

    async pageStatuses(since) {
      const rows = await db.selectFrom('page_status_rollups').selectAll().where('bucket', '>=', since).orderBy('bucket').orderBy('status').execute();
      const out: StatusBucket[] = [];
      for (const r of rows) {
        const bucket = Number(r.bucket);
        let last = out[out.length - 1];
        if (last === undefined || last.bucket !== bucket) out.push((last = { bucket, pages: {} }));
        last.pages[r.status] = Number(r.pages);
      }
      return out;
    },

    async prune(now) {
      const hourCut = hourOf(now) - HOURLY_KEEP_MS;
      const dayCut = dayOf(now) - DAILY_KEEP_MS;
      const a = await db.deleteFrom('message_rollups').where('span', '=', 'hour').where('bucket', '<', hourCut).executeTakeFirst();
      const b = await db.deleteFrom('message_rollups').where('span', '=', 'day').where('bucket', '<', dayCut).executeTakeFirst();
      const c = await db.deleteFrom('page_usage_rollups').where('bucket', '<', hourCut).executeTakeFirst();
      const d = await db.deleteFrom('page_status_rollups').where('bucket', '<', hourOf(now) - DAILY_KEEP_MS).executeTakeFirst();
      return [a, b, c, d].reduce((n, r) => n + Number(r.numDeletedRows), 0);
    },
  };
}
