/**
 * Cursor paging as Graph does it: `paging.cursors.{before,after}`, absolute `next`/`previous`
 * URLs carrying the whole query of the request, `previous` absent on the first page and `next` on the last.
 */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;

const enc = (id: string) => Buffer.from(`id:${id}`).toString('base64url');
const dec = (cursor: string) => {
  const s = Buffer.from(cursor, 'base64url').toString();
  return s.startsWith('id:') ? s.slice(3) : undefined;
};

export function paginate<T extends { id: string }>(
  items: T[],
  params: Record<string, unknown>,
  baseUrl: string,
): { data: T[]; paging?: Record<string, unknown> } {
  const rawLimit = Number.parseInt(String(params.limit ?? ''), 10);
  const limit = Number.isFinite(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, MAX_LIMIT) : DEFAULT_LIMIT;
  let start = 0;
  if (typeof params.after === 'string') {
    const id = dec(params.after);
    const idx = id === undefined ? -1 : items.findIndex((i) => i.id === id);
    start = idx + 1;
  } else if (typeof params.before === 'string') {
    const id = dec(params.before);
    const idx = id === undefined ? 0 : Math.max(0, items.findIndex((i) => i.id === id));
    start = Math.max(0, idx - limit);
  }
  const data = items.slice(start, start + limit);
  if (data.length === 0) return { data };
  const first = data[0]!;
  const last = data[data.length - 1]!;
  const cursors = { before: enc(first.id), after: enc(last.id) };
  const link = (key: 'after' | 'before', cursor: string) => {
    // Facebook's links keep the whole query the request was made with (fields, filters, proof, ...), only
    // the cursor and limit change (docs/emulator.md "Paging links").
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (k === 'limit' || k === 'after' || k === 'before') continue;
      for (const one of Array.isArray(v) ? (v as unknown[]) : [v]) {
        if (typeof one === 'string' || typeof one === 'number' || typeof one === 'boolean') q.append(k, String(one));
      }
    }
    q.set('limit', String(limit));
    q.set(key, cursor);
    return `${baseUrl}?${q.toString()}`;
  };
  const paging: Record<string, unknown> = { cursors };
  if (start > 0) paging.previous = link('before', cursors.before);
  if (start + limit < items.length) paging.next = link('after', cursors.after);
  return { data, paging };
}
