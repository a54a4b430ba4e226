/**
 * Collects everything a run lets out (log lines, CLI output, HTTP response bodies, database
 * files) and every secret the run issued, then finds each secret in each place. A secret is
 * also searched in the forms it takes on the way out: URL-encoded, JSON-escaped, base64 of the
 * key material as written in PAGEKEEPER_KEYS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';

export interface Hit {
  secret: string;
  source: string;
  /** A few characters around the hit, with the secret itself masked. */
  context: string;
}

export interface LeakCollector {
  /** Registers a secret (a token, the app secret, a key) under a label for the report. */
  secret(label: string, value: string | undefined): void;
  /** Registers text that left the program, under a source name ("log", "cli connect stdout"). */
  add(source: string, text: string | Buffer): void;
  /** Reads a SQLite database and its -wal / -shm files as they are on disk now. */
  addDatabaseFiles(dbFile: string): void;
  /** A pino destination that records every line. */
  logStream(source?: string): Writable;
  secrets(): ReadonlyMap<string, string>;
  sources(): string[];
  /** Every place a secret appears. */
  scan(): Hit[];
}

function variants(value: string): string[] {
  const out = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  return [...out];
}

export function createLeakCollector(): LeakCollector {
  const secrets = new Map<string, string>();
  const texts: { source: string; data: Buffer }[] = [];
  const streams = new Map<string, Buffer[]>();
  return {
    secret(label, value) {
      if (value === undefined || value === '') throw new Error(`secret ${label} is empty: the test did not learn it`);
      // Short values would match by chance; every secret the run issues is far longer.
      if (value.length < 12) throw new Error(`secret ${label} is too short to search for`);
      secrets.set(value, label);
    },
    add(source, text) {
      texts.push({ source, data: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8') });
    },
    addDatabaseFiles(dbFile) {
      for (const suffix of ['', '-wal', '-shm', '-journal']) {
        const f = `${dbFile}${suffix}`;
        if (existsSync(f)) texts.push({ source: `database file ${suffix || '(main)'}`, data: readFileSync(f) });
      }
    },
    logStream(source = 'log') {
      const chunks: Buffer[] = [];
      streams.set(source, chunks);
      return new Writable({
        write(chunk: Buffer | string, _enc, cb) {
          chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
          cb();
        },
      });
    },
    secrets: () => secrets,
    sources: () => [...texts.map((t) => t.source), ...streams.keys()],
    scan() {
      const all = [...texts, ...[...streams].map(([source, chunks]) => ({ source, data: Buffer.concat(chunks) }))];
      const hits: Hit[] = [];
      for (const { source, data } of all) {
        // latin1 keeps every byte as one char, so binary database pages are searched byte for byte.
        const text = data.toString('latin1');
        for (const [value, label] of secrets) {
          for (const v of variants(value)) {
            const at = text.indexOf(v);
            if (at === -1) continue;
            const context = `${text.slice(Math.max(0, at - 40), at)}<${label}>${text.slice(at + v.length, at + v.length + 40)}`;
            hits.push({ secret: label, source, context });
            break;
          }
        }
      }
      return hits;
    },
  };
}
