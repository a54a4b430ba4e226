/**
 * Counts HTTP requests this process sends to the emulator, through undici's diagnostics channel
 * (`undici:request:create`), which sees every request of every undici dispatcher, pagekeeper's
 * own pool included.
 *
 * Why not only /_emulator/stats: the emulator counts each item of a batch request as one call,
 * as Facebook's rate limits do (docs/graph-api.md "Batch requests"), so its totals cannot tell
 * 10 batch requests of 50 from 500 single calls. The call budgets ("at most 20 Graph
 * calls ... debug_token in batches of 50") count HTTP requests; rows report those, with the
 * emulator's per-endpoint counts in the note.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

interface RequestCreate {
  request: { origin: string | URL; path: string };
}

export interface HttpCounter {
  /** Requests to `origin` seen since start, control API (/_emulator) excluded. */
  count: () => number;
  stop: () => void;
}

export function countHttpRequests(origin: string): HttpCounter {
  const want = new URL(origin).origin;
  let n = 0;
  const onCreate = (message: unknown) => {
    const { request } = message as RequestCreate;
    if (new URL(String(request.origin)).origin !== want) return;
    if (request.path.startsWith('/_emulator')) return;
    n++;
  };
  subscribe('undici:request:create', onCreate);
  return { count: () => n, stop: () => unsubscribe('undici:request:create', onCreate) };
}
