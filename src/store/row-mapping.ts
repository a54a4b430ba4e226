import type { Kysely } from 'kysely';

/** Small converters shared by the row <-> domain mappers. */

export function toMillis(d: Date): number;
export function toMillis(d: Date | null): number | null;
export function toMillis(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

export function toDate(ms: number): Date;
export function toDate(ms: number | null): Date | null;
export function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}

export function parseStringArray(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.map(String) : [];
}

export function parseJsonObject(json: string | null): Record<string, unknown> | null {
  if (json === null) return null;
  const value: unknown = JSON.parse(json);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Runs `fn` in a transaction, or directly when `db` already is one (so repositories compose). */
export async function inTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
