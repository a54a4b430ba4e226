/**
 * The `connect_sessions` table: single-use connect links a product hands its customer. Only
 * hashes of the link secret and of the Login `state` are stored; the outcome (Pages gained,
 * lost, problems) is secret-free JSON.
 */
import type { Kysely, Selectable } from 'kysely';
import { parseJsonObject, toDate } from './row-mapping.js';
import type { ConnectSessionStatusColumn, ConnectSessionsTable, Database } from './schema.js';

export type ConnectSessionStatus = ConnectSessionStatusColumn;

export interface StoredConnectSession {
  id: string;
  tenantId: string;
  returnUrl: string;
  pages: string[] | null;
  status: ConnectSessionStatus;
  result: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
  completedAt: Date | null;
}

export interface ConnectSessionRepository {
  insert(session: { id: string; tenantId: string; returnUrl: string; pages: readonly string[] | null; linkHash: string; createdAt: Date; expiresAt: Date }): Promise<void>;
  get(id: string): Promise<StoredConnectSession | undefined>;
  /**
   * Opens the link once: a pending, unexpired session whose link hash matches becomes `opened`
   * with this state hash. @returns the session, or undefined when the link is unknown, used or expired.
   */
  open(linkHash: string, stateHash: string, at: Date): Promise<StoredConnectSession | undefined>;
  /** The opened session this Login state belongs to. */
  findByState(stateHash: string): Promise<StoredConnectSession | undefined>;
  /**
   * Records the outcome once: only an `opened` session changes. @returns whether this call did.
   */
  complete(id: string, status: Exclude<ConnectSessionStatus, 'pending' | 'opened'>, result: Record<string, unknown>, at: Date): Promise<boolean>;
}

function sessionFromRow(row: Selectable<ConnectSessionsTable>): StoredConnectSession {
  let pages: string[] | null = null;
  if (row.pages !== null) {
    const parsed: unknown = JSON.parse(row.pages);
    pages = Array.isArray(parsed) ? parsed.map(String) : null;
  }
  return {
    id: row.id,
    tenantId: row.tenant_id,
    returnUrl: row.return_url,
    pages,
    status: row.status,
    result: parseJsonObject(row.result),
    createdAt: toDate(Number(row.created_at)),
    expiresAt: toDate(Number(row.expires_at)),
    completedAt: row.completed_at === null ? null : toDate(Number(row.completed_at)),
  };
}

export function createConnectSessionRepository(db: Kysely<Database>): ConnectSessionRepository {
  return {
    async insert(s) {
      await db
        .insertInto('connect_sessions')
        .values({
          id: s.id,
          tenant_id: s.tenantId,
          return_url: s.returnUrl,
          pages: s.pages === null ? null : JSON.stringify(s.pages),
          link_hash: s.linkHash,
          state_hash: null,
          status: 'pending',
          result: null,
          created_at: s.createdAt.getTime(),
          expires_at: s.expiresAt.getTime(),
          completed_at: null,
        })
        .execute();
    },

    async get(id) {
      const row = await db.selectFrom('connect_sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && sessionFromRow(row);
    },

    async open(linkHash, stateHash, at) {
      // One conditional write: of two browsers opening the same link at once, one wins.
      const result = await db
        .updateTable('connect_sessions')
        .set({ status: 'opened', state_hash: stateHash })
        .where('link_hash', '=', linkHash)
        .where('status', '=', 'pending')
        .where('expires_at', '>', at.getTime())
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      const row = await db.selectFrom('connect_sessions').selectAll().where('link_hash', '=', linkHash).executeTakeFirst();
      return row && sessionFromRow(row);
    },

    async findByState(stateHash) {
      const row = await db.selectFrom('connect_sessions').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
      return row && sessionFromRow(row);
    },

    async complete(id, status, result, at) {
      const r = await db
        .updateTable('connect_sessions')
        .set({ status, result: JSON.stringify(result), completed_at: at.getTime() })
        .where('id', '=', id)
        .where('status', '=', 'opened')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
