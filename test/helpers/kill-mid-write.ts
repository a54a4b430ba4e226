/**
 * Aiming a SIGKILL at the moment a child process is writing its SQLite database, and proving it
 * landed there: the child is frozen (SIGSTOP), the test asks SQLite for the write lock without
 * waiting, and only when the child holds it (an open write transaction) is it killed.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';

/** Whether another connection holds the database's write lock right now (an open write transaction). */
export function holdsWriteLock(dbFile: string): boolean {
  if (!existsSync(dbFile)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbFile, { fileMustExist: true, timeout: 0 });
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
    // A file still being created (not a database yet) is not being written by a transaction.
    // A WAL locking race (SQLITE_PROTOCOL) says nothing either way: the next sample decides.
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_PROTOCOL')) return false;
    throw e;
  } finally {
    db?.close();
  }
}

/**
 * Samples the child every millisecond or so; at the `nth` sample where it holds the write lock
 * it is killed while still frozen (a later sample lands deeper into the write). Resolves true
 * when the kill landed mid-write, false when the child exited (or `giveUpMs` passed) first.
 */
export async function killWhileWriting(child: ChildProcess, dbFile: string, exited: () => boolean, options: { nth?: number; giveUpMs?: number } = {}): Promise<boolean> {
  const deadline = performance.now() + (options.giveUpMs ?? 30_000);
  let seen = 0;
  while (!exited() && performance.now() < deadline) {
    const pid = child.pid!;
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      return false;
    }
    let writing = false;
    try {
      writing = holdsWriteLock(dbFile) && ++seen >= (options.nth ?? 1);
    } finally {
      if (writing) process.kill(pid, 'SIGKILL');
      process.kill(pid, 'SIGCONT');
    }
    if (writing) return true;
    // Let the child run a little between samples (it is frozen while sampled).
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}
