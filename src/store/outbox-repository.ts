/**
 * The `outbox` table: durable Messenger sends. Every state change a worker makes is guarded by
 * its claim (`claimed_by`), so an instance that lost its claim (it stalled past the lease and
 * another instance recovered the row) cannot overwrite what happened since.
 *
 * Claiming: only the head of a recipient's queue is claimable:
 * the oldest (lowest `seq`) message of a (page_id, psid) that is not final. A held or retrying
 * head therefore blocks the person's later messages, which keeps their order. The claim is one
 * `UPDATE ... WHERE seq IN (SELECT ...) RETURNING` statement: on SQLite a write statement takes
 * the write lock before it reads, so two processes cannot claim the same row; on PostgreSQL the
 * inner SELECT uses `FOR UPDATE SKIP LOCKED`, so concurrent instances skip each other's rows.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { createActivityRollupRepository, type OutcomeCount } from './activity-rollup-repository.js';
import type { Dialect } from './open-database.js';
import type { Database, OutboxStatusColumn, OutboxTable } from './schema.js';

export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'held', 'unknown', 'cancelled'] as const;
export type OutboxStatus = OutboxStatusColumn;
/**
 * Statuses after which a message is never sent again (unknown may still learn it was sent; a
 * sent message moves on to delivered and read when the person's Messenger says so).
 */
export const FINAL_STATUSES: readonly OutboxStatus[] = ['sent', 'delivered', 'read', 'failed', 'unknown', 'cancelled'];
/**
 * A read watermark is Facebook's time of the newest message read; pagekeeper's `sent_at` is when
 * Facebook's answer came back, a round trip later. Messages sent up to this long after the
 * watermark count as covered by it.
 */
export const RECEIPT_SLACK_MS = 2_000;
/** Statuses that keep a recipient's later messages waiting. */
const BLOCKING_STATUSES: OutboxStatus[] = ['queued', 'sending', 'held'];

export interface OutboxError {
  /** Graph's error code; null for local refusals and network failures. */
  code: number | null;
  subcode: number | null;
  message: string | null;
}

/**
 * One stored outbox message. The payload is the Send API body without `recipient` (the person
 * lives in `psid`), kept as the JSON text it was stored as; turning it back into a body is the
 * messenger's job (src/messenger/outbox-body.ts).
 */
export interface OutboxMessage {
  id: string;
  seq: number;
  pageId: string;
  psid: string;
  idempotencyKey: string | null;
  payload: string;
  /** messenger or instagram (docs/instagram.md). */
  channel: OutboxChannel;
  status: OutboxStatus;
  atLeastOnce: boolean;
  attempts: number;
  nextAttemptAt: Date;
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  /** Facebook's message id once sent. */
  messageId: string | null;
  error: OutboxError | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

export interface NewOutboxMessage {
  id: string;
  pageId: string;
  psid: string;
  /** The Send API body without `recipient`, as JSON text. */
  payload: string;
  /** Default messenger. */
  channel?: OutboxChannel;
  idempotencyKey: string | null;
  atLeastOnce: boolean;
  at: Date;
}

type Row = Selectable<OutboxTable>;

const num = (v: unknown): number => Number(v);
const dateOrNull = (v: number | null): Date | null => (v === null ? null : new Date(Number(v)));

/** Which inbox a message goes to: a Messenger person or an Instagram account (docs/instagram.md). */
export type OutboxChannel = 'messenger' | 'instagram';

export const channelOf = (v: unknown): OutboxChannel => (v === 'instagram' ? 'instagram' : 'messenger');

export function messageFromRow(r: Row): OutboxMessage {
  const hasError = r.error_code !== null || r.error_subcode !== null || r.error_message !== null;
  return {
    id: r.id,
    seq: num(r.seq),
    pageId: r.page_id,
    psid: r.psid,
    idempotencyKey: r.idempotency_key,
    payload: r.payload,
    channel: channelOf(r.channel),
    status: r.status,
    atLeastOnce: num(r.at_least_once) === 1,
    attempts: num(r.attempts),
    nextAttemptAt: new Date(num(r.next_attempt_at)),
    claimedBy: r.claimed_by,
    claimExpiresAt: dateOrNull(r.claim_expires_at),
    messageId: r.message_id,
    error: hasError ? { code: r.error_code === null ? null : num(r.error_code), subcode: r.error_subcode === null ? null : num(r.error_subcode), message: r.error_message } : null,
    createdAt: new Date(num(r.created_at)),
    updatedAt: new Date(num(r.updated_at)),
    sentAt: dateOrNull(r.sent_at),
  };
}

/** A claimed message, as the worker needs it (no full mapping on the hot path). */
export interface ClaimedMessage {
  id: string;
  seq: number;
  pageId: string;
  psid: string;
  payload: string;
  channel: 'messenger' | 'instagram';
  atLeastOnce: boolean;
  attempts: number;
}

export interface ClaimFilter {
  recipients?: ReadonlyArray<{ pageId: string; psid: string }>;
  excludePages?: readonly string[];
}

/**
 * What happened to a message claimed by claimHeads:
 * - `sent`: Facebook answered with the message id (it was marked `sending` first);
 * - `release`: never marked `sending` (stopping, the Page paused): the claim is given back, due at `at`;
 * - `requeue`: retry at `at` (the attempt counts);
 * - `finish`: final or held; `holdPage` also holds the Page's other queued messages.
 */
export type SendOutcome =
  | { kind: 'sent'; id: string; messageId: string | null }
  | { kind: 'release'; id: string; at: number }
  | { kind: 'requeue'; id: string; at: number; error: OutboxError | null }
  | { kind: 'finish'; id: string; pageId: string; status: 'failed' | 'held' | 'unknown'; error: OutboxError; holdPage?: boolean };

export interface HeldPage {
  pageId: string;
  /** ms: the latest hold of one of its messages. */
  heldAt: number;
  codes: Array<number | null>;
}

/** A message whose status changed, for outcome events (outcome-events.ts). */
export interface StatusChange {
  id: string;
  pageId: string;
  psid: string;
  status: OutboxStatus;
  messageId: string | null;
  error: OutboxError | null;
}

/** What a delivery or read webhook says about one person's messages from one Page. */
export interface Receipt {
  pageId: string;
  psid: string;
  kind: 'delivery' | 'read';
  /** ms: every message sent before it was delivered (or read). */
  watermark: number;
  /** Delivered message ids, when Facebook lists them. */
  mids?: readonly string[];
}

/** Told about changes the repository makes on its own (crash recovery). */
export interface OutboxRepositoryHooks {
  onChanges?(changes: readonly StatusChange[]): void;
}

export interface ListFilter {
  status?: OutboxStatus;
  pageId?: string;
  limit?: number;
}

export interface OutboxRepository {
  /** Inserts the message, or returns the one already stored under the same idempotency key. */
  insert(m: NewOutboxMessage): Promise<{ message: OutboxMessage; duplicate: boolean }>;
  get(id: string): Promise<OutboxMessage | undefined>;
  list(filter?: ListFilter): Promise<OutboxMessage[]>;
  counts(): Promise<Record<OutboxStatus, number>>;
  /**
   * Crash recovery: a message left `sending` by a worker whose claim expired may have reached
   * Facebook, so it becomes `unknown`, or `queued` again when it opted into at-least-once.
   * @returns how many rows changed.
   */
  recoverExpired(now: number): Promise<number>;
  /**
   * Claims held by workers outside `liveWorkers` (their heartbeat lapsed: dead, or stalled past
   * it) expire now, rather than when their own expiry comes: queued ones become claimable at once
   * and sending ones are recovered by the next recoverExpired. The claim stays in their name, so
   * a worker that was only stalled cannot mark or finish what it lost. @returns the claims expired.
   */
  expireClaimsOutside(liveWorkers: readonly string[], now: number): Promise<number>;
  /**
   * The batched claim (one statement): up to `limit` recipient heads that are due, claimed for
   * `workerId` until `now + leaseMs`. They stay `queued` (a worker that dies before sending them
   * leaves them to be taken over when the claim expires); markSendingMany commits
   * `sending` right before their POSTs. `recipients` narrows the claim to those people (the
   * follow-on claim after their previous message finished); `excludePages` skips Pages that
   * have enough in flight. `attempts` are the attempts made so far.
   */
  claimHeads(workerId: string, now: number, leaseMs: number, limit: number, filter?: ClaimFilter): Promise<ClaimedMessage[]>;
  /**
   * The people whose head is due and unclaimed, oldest head first, up to `limit`: the scan of
   * claimHeads without the claim, so it locks nothing. Several instances sharing the outbox
   * read their heads this way and claim only their own people's (claimHeads with `recipients`):
   * scans running at the same moment then cannot skip each other's locked heads.
   */
  dueHeads(now: number, limit: number, filter?: Pick<ClaimFilter, 'excludePages'>): Promise<Array<{ pageId: string; psid: string }>>;
  /**
   * Marks claimed messages `sending` and counts the attempt, in one statement, before their
   * POSTs. @returns the ids marked (a message whose claim was lost is left out).
   */
  markSendingMany(workerId: string, ids: readonly string[], now: number): Promise<Set<string>>;
  /**
   * Applies many outcomes of `workerId`'s sends at once; see SendOutcome.
   * @returns the other messages held along with a Page (`holdPage`), for outcome events.
   */
  applyOutcomes(workerId: string, outcomes: readonly SendOutcome[], now: number): Promise<StatusChange[]>;
  /** Sent messages covered by a delivery or read receipt move to `delivered` / `read`. @returns those that changed. */
  applyReceipts(receipts: readonly Receipt[], now: number): Promise<StatusChange[]>;
  /** Runs `fn` in one transaction with a repository bound to it. */
  transaction<T>(fn: (repo: OutboxRepository) => Promise<T>): Promise<T>;
  /** Extends the claims `workerId` still holds. */
  renew(workerId: string, ids: readonly string[], until: number): Promise<void>;
  /** Back to `queued`, due at `at`; `countAttempt` false when nothing was sent (a pause). */
  requeue(id: string, workerId: string, at: number, error: OutboxError | null, now: number): Promise<boolean>;
  finish(id: string, workerId: string, status: 'failed' | 'held' | 'unknown', error: OutboxError, now: number): Promise<boolean>;
  /** Holds every queued, unclaimed message of the page (its token is gone). */
  holdPage(pageId: string, error: OutboxError, now: number): Promise<number>;
  /** Pages with held messages. */
  heldPages(): Promise<string[]>;
  /** Per Page with held messages: when the latest was held, and the Graph codes they were held for (null: no valid token). */
  heldSummary(): Promise<HeldPage[]>;
  /** Held messages of the page go back to `queued`, due now. */
  resumeHeld(pageId: string, now: number): Promise<number>;
}

/** Outcomes written per statement: bounded so the statement's parameters stay well under SQLite's limit. */
const OUTCOME_CHUNK = 400;

export function createOutboxRepository(db: Kysely<Database>, dialect: Dialect, hooks: OutboxRepositoryHooks = {}): OutboxRepository {
  const byId = (id: string) => db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
  const rollups = createActivityRollupRepository(db, dialect);
  // A row's status beside `id in (...)`. Without statistics SQLite's planner prefers the
  // (status, next_attempt_at) index for `status = ?` over the unique index for the id list, and
  // so walks every queued row of the outbox for each batch of marks (3 ms a statement at 20,000
  // queued, most of a worker's time). A unary + keeps the term off any index (SQLite's query
  // optimizer overview, "Disqualifying WHERE clause terms using unary-+":
  // https://www.sqlite.org/optoverview.html);
  // PostgreSQL's planner has statistics and picks the id index by itself.
  const statusBesideIds = dialect === 'sqlite' ? sql<OutboxStatus>`+status` : sql.ref<OutboxStatus>('status');

  async function holdPageRows(pageId: string, error: OutboxError, now: number): Promise<StatusChange[]> {
    const rows = await db
      .updateTable('outbox')
      .set({ status: 'held', error_code: error.code, error_subcode: error.subcode, error_message: error.message, updated_at: now })
      .where('page_id', '=', pageId)
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('claim_expires_at', 'is', null), eb('claim_expires_at', '<=', now)]))
      .returning(['id', 'psid'])
      .execute();
    return rows.map((r) => ({ id: r.id, pageId, psid: r.psid, status: 'held' as const, messageId: null, error }));
  }

  /** @returns the Page of each message marked sent (for the activity rollups). */
  async function markSentMany(workerId: string, sent: ReadonlyArray<{ id: string; messageId: string | null }>, now: number): Promise<string[]> {
    const pages: string[] = [];
    for (let i = 0; i < sent.length; i += OUTCOME_CHUNK) {
      const chunk = sent.slice(i, i + OUTCOME_CHUNK);
      const ids = chunk.map((s) => s.id);
      // One statement for the chunk: the message id comes from a CASE over the row's id.
      const withIds = chunk.filter((s) => s.messageId !== null);
      const messageIdExpr =
        withIds.length === 0
          ? sql<string | null>`null`
          : sql<string | null>`case id ${sql.join(
              withIds.map((s) => sql`when ${s.id} then ${s.messageId}`),
              sql` `,
            )} else null end`;
      const set = { status: 'sent' as const, message_id: messageIdExpr, claimed_by: null, claim_expires_at: null, error_code: null, error_subcode: null, error_message: null, sent_at: now, updated_at: now };
      const done = await db.updateTable('outbox').set(set).where('id', 'in', ids).where('claimed_by', '=', workerId).where(statusBesideIds, '=', 'sending').returning(['id', 'page_id']).execute();
      for (const r of done) pages.push(r.page_id);
      if (done.length === chunk.length) continue;
      // Claims that expired while Facebook was answering were marked unknown by recovery: we now know better.
      const updated = new Set(done.map((r) => r.id));
      const late = ids.filter((id) => !updated.has(id));
      const lateDone = await db.updateTable('outbox').set(set).where('id', 'in', late).where(statusBesideIds, '=', 'unknown').returning('page_id').execute();
      for (const r of lateDone) pages.push(r.page_id);
    }
    return pages;
  }

  /** Queued, due, unclaimed messages that are their person's head, oldest first, up to `limit` (no columns selected yet). */
  function dueHeadRows(now: number, limit: number, excludePages: readonly string[] | undefined) {
    let heads = db
      .selectFrom('outbox as o')
      .where('o.status', '=', 'queued')
      .where('o.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('o.claim_expires_at', 'is', null), eb('o.claim_expires_at', '<=', now)]));
    if (excludePages !== undefined && excludePages.length > 0) heads = heads.where('o.page_id', 'not in', excludePages);
    if (dialect === 'postgres') {
      // Each person's oldest blocking message in one ordered pass over the recipient index
      // (DISTINCT ON), instead of an anti-join probe per queued row: half the scan's time with
      // 5,000 queued, and scans run on every instance while several share the outbox.
      const blocking = sql.join(BLOCKING_STATUSES.map((st) => sql`${st}`));
      const oldest = sql<number>`any(array(select distinct on (h.page_id, h.psid) h.seq from outbox h where h.status in (${blocking}) order by h.page_id, h.psid, h.seq))`;
      return heads.where('o.seq', '=', oldest).orderBy('o.seq').limit(limit);
    }
    return heads
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('outbox as p')
              .select(sql`1`.as('one'))
              .whereRef('p.page_id', '=', 'o.page_id')
              .whereRef('p.psid', '=', 'o.psid')
              .whereRef('p.seq', '<', 'o.seq')
              .where('p.status', 'in', BLOCKING_STATUSES),
          ),
        ),
      )
      .orderBy('o.seq')
      .limit(limit);
  }

  const repo: OutboxRepository = {
    async insert(m) {
      const at = m.at.getTime();
      const values = {
        id: m.id,
        page_id: m.pageId,
        psid: m.psid,
        idempotency_key: m.idempotencyKey,
        payload: m.payload,
        channel: m.channel ?? 'messenger',
        status: 'queued' as const,
        at_least_once: m.atLeastOnce ? 1 : 0,
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
      };
      if (m.idempotencyKey === null) {
        await db.insertInto('outbox').values(values).execute();
        const row = await byId(m.id);
        return { message: messageFromRow(row!), duplicate: false };
      }
      const inserted = await db
        .insertInto('outbox')
        .values(values)
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      const row = inserted ? await byId(m.id) : await db.selectFrom('outbox').selectAll().where('idempotency_key', '=', m.idempotencyKey).executeTakeFirst();
      return { message: messageFromRow(row!), duplicate: inserted === undefined };
    },

    async get(id) {
      const row = await byId(id);
      return row && messageFromRow(row);
    },

    async list(filter = {}) {
      let q = db.selectFrom('outbox').selectAll();
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.pageId !== undefined) q = q.where('page_id', '=', filter.pageId);
      const rows = await q.orderBy('seq').limit(filter.limit ?? 1000).execute();
      return rows.map(messageFromRow);
    },

    async counts() {
      const rows = await db.selectFrom('outbox').select(['status', db.fn.countAll<number>().as('n')]).groupBy('status').execute();
      const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
      for (const r of rows) out[r.status] = Number(r.n);
      return out;
    },

    async recoverExpired(now) {
      const rows = await db
        .updateTable('outbox')
        .set({
          status: sql<OutboxStatus>`case when at_least_once = 1 then 'queued' else 'unknown' end`,
          next_attempt_at: now,
          claimed_by: null,
          claim_expires_at: null,
          error_code: null,
          error_subcode: null,
          error_message: 'The worker sending this message stopped before Facebook answered; it may have been delivered',
          updated_at: now,
        })
        .where('status', '=', 'sending')
        .where('claim_expires_at', '<=', now)
        .returning(['id', 'page_id', 'psid', 'status', 'error_message'])
        .execute();
      if (rows.length > 0) {
        hooks.onChanges?.(rows.map((r) => ({ id: r.id, pageId: r.page_id, psid: r.psid, status: r.status, messageId: null, error: { code: null, subcode: null, message: r.error_message } })));
      }
      return rows.length;
    },

    async expireClaimsOutside(liveWorkers, now) {
      // Only active rows carry claims, and (status, next_attempt_at) finds them without the history.
      let q = db.updateTable('outbox').set({ claim_expires_at: now }).where('status', 'in', ['queued', 'sending']).where('claimed_by', 'is not', null).where('claim_expires_at', '>', now);
      if (liveWorkers.length > 0) q = q.where('claimed_by', 'not in', liveWorkers);
      const result = await q.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async renew(workerId, ids, until) {
      if (ids.length === 0) return;
      await db.updateTable('outbox').set({ claim_expires_at: until }).where('id', 'in', ids).where('claimed_by', '=', workerId).execute();
    },

    async requeue(id, workerId, at, error, now) {
      const r = await db
        .updateTable('outbox')
        .set({
          status: 'queued',
          next_attempt_at: at,
          claimed_by: null,
          claim_expires_at: null,
          ...(error === null ? {} : { error_code: error.code, error_subcode: error.subcode, error_message: error.message }),
          updated_at: now,
        })
        .where('id', '=', id)
        .where('claimed_by', '=', workerId)
        .where('status', 'in', ['queued', 'sending'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async finish(id, workerId, status, error, now) {
      const r = await db
        .updateTable('outbox')
        .set({ status, claimed_by: null, claim_expires_at: null, error_code: error.code, error_subcode: error.subcode, error_message: error.message, updated_at: now })
        .where('id', '=', id)
        .where('claimed_by', '=', workerId)
        .where('status', 'in', ['queued', 'sending'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async holdPage(pageId, error, now) {
      const held = (await holdPageRows(pageId, error, now)).length;
      if (held > 0) await rollups.addOutcomes([{ pageId, at: now, held }]);
      return held;
    },

    async heldPages() {
      const rows = await db.selectFrom('outbox').select('page_id').distinct().where('status', '=', 'held').execute();
      return rows.map((r) => r.page_id);
    },

    async heldSummary() {
      const rows = await db
        .selectFrom('outbox')
        .select(['page_id', 'error_code', (eb) => eb.fn.max('updated_at').as('held_at')])
        .where('status', '=', 'held')
        .groupBy(['page_id', 'error_code'])
        .execute();
      const out = new Map<string, HeldPage>();
      for (const r of rows) {
        const held = out.get(r.page_id) ?? { pageId: r.page_id, heldAt: 0, codes: [] };
        held.heldAt = Math.max(held.heldAt, Number(r.held_at));
        held.codes.push(r.error_code === null ? null : Number(r.error_code));
        out.set(r.page_id, held);
      }
      return [...out.values()];
    },

    async resumeHeld(pageId, now) {
      const rows = await db
        .updateTable('outbox')
        .set({ status: 'queued', next_attempt_at: now, claimed_by: null, claim_expires_at: null, updated_at: now })
        .where('page_id', '=', pageId)
        .where('status', '=', 'held')
        .returning(['id', 'psid'])
        .execute();
      if (rows.length > 0) hooks.onChanges?.(rows.map((r) => ({ id: r.id, pageId, psid: r.psid, status: 'queued' as const, messageId: null, error: null })));
      return rows.length;
    },

    async claimHeads(workerId, now, leaseMs, limit, filter = {}) {
      if (limit <= 0 || filter.recipients?.length === 0) return [];
      const claimSet = { claimed_by: workerId, claim_expires_at: now + leaseMs };
      const toClaimed = (rows: ReadonlyArray<{ id: string; seq: unknown; page_id: string; psid: string; payload: string; channel: unknown; at_least_once: unknown; attempts: unknown }>) =>
        rows
          .map((r) => ({ id: r.id, seq: num(r.seq), pageId: r.page_id, psid: r.psid, payload: r.payload, channel: channelOf(r.channel), atLeastOnce: num(r.at_least_once) === 1, attempts: num(r.attempts) }))
          .sort((a, b) => a.seq - b.seq);
      const returned = ['id', 'seq', 'page_id', 'psid', 'payload', 'channel', 'at_least_once', 'attempts'] as const;

      if (filter.recipients !== undefined) {
        // Each person's head is their oldest blocking message, found by one probe of the
        // (page_id, psid, seq) index per person, driven by a VALUES list (an OR of pairs, or a
        // head test on every queued row, scans the whole queue). It is claimed only if it is
        // queued and due. No FOR UPDATE SKIP LOCKED on PostgreSQL (it would skip a locked head and
        // pick the next message): the UPDATE waits for the head's lock and re-checks its status.
        // One head per person at most, so `limit` people bound the claim.
        const people = sql.join(filter.recipients.slice(0, limit).map((r) => sql`(${r.pageId}, ${r.psid})`));
        const head = sql<number>`(select p.seq from outbox p where p.page_id = v.column1 and p.psid = v.column2 and p.status in ('queued', 'sending', 'held') order by p.seq limit 1)`;
        const heads = sql<number>`(select ${head} from (values ${people}) v)`;
        const rows = await db
          .updateTable('outbox')
          .set(claimSet)
          // PostgreSQL plans `seq in (subquery)` as a hash join over the whole queue; an array of
          // the heads' seqs is looked up in the primary key (3 ms -> 1 ms with 5,000 queued).
          .where((eb) => (dialect === 'postgres' ? eb('seq', '=', sql<number>`any(array${heads})`) : eb('seq', 'in', heads)))
          // `status || ''` keeps the planners on the primary key: a plain `status = 'queued'`
          // makes SQLite walk every queued row through (status, next_attempt_at) instead.
          .where(sql<string>`status || ''`, '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('claim_expires_at', 'is', null), eb('claim_expires_at', '<=', now)]))
          .returning(returned)
          .execute();
        return toClaimed(rows);
      }

      // A head: no older message of the person may still be blocking. On PostgreSQL the
      // snapshot can only see MORE blocking rows than the truth (statuses move from blocking to
      // final), so SKIP LOCKED here never lets a later message jump ahead.
      const heads = dueHeadRows(now, limit, filter.excludePages).select('o.seq');
      const rows = await db
        .updateTable('outbox')
        .set(claimSet)
        .where('seq', 'in', dialect === 'postgres' ? heads.forUpdate().skipLocked() : heads)
        .returning(returned)
        .execute();
      return toClaimed(rows);
    },

    async dueHeads(now, limit, filter = {}) {
      if (limit <= 0) return [];
      const rows = await dueHeadRows(now, limit, filter.excludePages).select(['o.page_id', 'o.psid']).execute();
      return rows.map((r) => ({ pageId: r.page_id, psid: r.psid }));
    },

    async markSendingMany(workerId, ids, now) {
      const marked = new Set<string>();
      for (let i = 0; i < ids.length; i += OUTCOME_CHUNK) {
        const rows = await db
          .updateTable('outbox')
          .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
          .where('id', 'in', ids.slice(i, i + OUTCOME_CHUNK))
          .where('claimed_by', '=', workerId)
          .where(statusBesideIds, '=', 'queued')
          .returning('id')
          .execute();
        for (const r of rows) marked.add(r.id);
      }
      return marked;
    },

    async applyOutcomes(workerId, outcomes, now) {
      const sent: Array<{ id: string; messageId: string | null }> = [];
      const released = new Map<number, string[]>();
      for (const o of outcomes) {
        if (o.kind === 'sent') sent.push(o);
        else if (o.kind === 'release') released.set(o.at, [...(released.get(o.at) ?? []), o.id]);
      }
      const counts: OutcomeCount[] = [];
      if (sent.length > 0) for (const pageId of await markSentMany(workerId, sent, now)) counts.push({ pageId, at: now, sent: 1 });
      for (const [at, ids] of released) {
        for (let i = 0; i < ids.length; i += OUTCOME_CHUNK) {
          await db
            .updateTable('outbox')
            .set({ next_attempt_at: at, claimed_by: null, claim_expires_at: null, updated_at: now })
            .where('id', 'in', ids.slice(i, i + OUTCOME_CHUNK))
            .where('claimed_by', '=', workerId)
            .where(statusBesideIds, '=', 'queued')
            .execute();
        }
      }
      // The rest are rare (errors): one statement each, in the order they happened.
      const heldAlong: StatusChange[] = [];
      for (const o of outcomes) {
        if (o.kind === 'requeue') await repo.requeue(o.id, workerId, o.at, o.error, now);
        else if (o.kind === 'finish') {
          if (await repo.finish(o.id, workerId, o.status, o.error, now)) counts.push({ pageId: o.pageId, at: now, [o.status]: 1 });
          if (o.holdPage === true) heldAlong.push(...(await holdPageRows(o.pageId, o.error, now)));
        }
      }
      for (const h of heldAlong) counts.push({ pageId: h.pageId, at: now, held: 1 });
      // The dashboard's per-hour and per-day counts, in the same transaction: one upsert per batch.
      if (counts.length > 0) await rollups.addOutcomes(counts);
      return heldAlong;
    },

    async applyReceipts(receipts, now) {
      const changes: StatusChange[] = [];
      for (const r of receipts) {
        const to = r.kind === 'delivery' ? 'delivered' : 'read';
        const from: OutboxStatus[] = r.kind === 'delivery' ? ['sent'] : ['sent', 'delivered'];
        const mids = r.mids ?? [];
        const rows = await db
          .updateTable('outbox')
          .set({ status: to, updated_at: now })
          .where('page_id', '=', r.pageId)
          .where('psid', '=', r.psid)
          .where('status', 'in', from)
          .where((eb) => {
            const covered = eb('sent_at', '<=', r.watermark + RECEIPT_SLACK_MS);
            return mids.length === 0 ? covered : eb.or([covered, eb('message_id', 'in', mids)]);
          })
          .returning(['id', 'message_id'])
          .execute();
        for (const row of rows) changes.push({ id: row.id, pageId: r.pageId, psid: r.psid, status: to, messageId: row.message_id, error: null });
      }
      return changes;
    },

    async transaction(fn) {
      if (db.isTransaction) return fn(repo);
      return db.transaction().execute((trx) => fn(createOutboxRepository(trx, dialect, hooks)));
    },
  };
  return repo;
}
