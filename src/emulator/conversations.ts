/**
 * The Conversations API of a Page (https://developers.facebook.com/docs/messenger-platform/conversations):
 * `GET /{page-id}/conversations?platform=messenger[&user_id=<PSID>][&fields=...]` with the Page
 * token. Every person who wrote to the Page (POST /_emulator/pages/{id}/inbound) has a thread;
 * what the Page sent them joins the same thread.
 *
 * As Facebook answers:
 * - without `fields`: `{"data":[{"id":"t_..."}]}` with `user_id`, `{"data":[{"id","updated_time"}],"paging"}` without;
 * - `updated_time` is the last message in either direction, as `2012-04-10T17:41:10+0000`;
 * - `messages` (`fields=messages.limit(20){created_time,from}`) lists newest first, and only the
 *   20 most recent messages of a thread can be read in detail;
 * - 2 calls per second per Page; more answer the rate-limit error (code 613);
 * - a Page token of that Page with pages_messaging and pages_manage_metadata is required.
 */
import type { GraphErrorSpec } from './graph-error.js';
import { MSG, fail } from './graph-error.js';
import { paginate } from './paging.js';

export const MESSAGES_KEPT_PER_THREAD = 50;
/** Only the 20 most recent messages of a conversation can be read in detail. */
export const READABLE_MESSAGES = 20;
export const CONVERSATION_CALLS_PER_SECOND = 2;
const THREAD_FIELDS = new Set(['id', 'updated_time', 'messages', 'message_count', 'participants', 'senders', 'snippet', 'can_reply', 'link', 'name']);
const MESSAGE_FIELDS = new Set(['id', 'created_time', 'from', 'to', 'message']);

export interface ThreadMessage {
  id: string;
  createdMs: number;
  fromPerson: boolean;
  text: string | null;
}

export interface Thread {
  id: string;
  psid: string;
  /** Oldest first, bounded. */
  messages: ThreadMessage[];
  updatedMs: number;
}

/** "2012-04-10T17:41:10+0000", the form Graph writes times in. */
export function graphTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export function createConversationStore(now: () => number) {
  const byPage = new Map<string, Map<string, Thread>>();
  const calls = new Map<string, number[]>();
  let nextThread = 1;

  function threadFor(pageId: string, psid: string): Thread {
    let threads = byPage.get(pageId);
    if (!threads) byPage.set(pageId, (threads = new Map()));
    let t = threads.get(psid);
    if (!t) threads.set(psid, (t = { id: `t_${pageId.slice(-6)}${String(nextThread++).padStart(9, '0')}`, psid, messages: [], updatedMs: 0 }));
    return t;
  }

  function add(pageId: string, psid: string, m: ThreadMessage): void {
    const t = threadFor(pageId, psid);
    t.messages.push(m);
    if (t.messages.length > MESSAGES_KEPT_PER_THREAD) t.messages.shift();
    t.updatedMs = Math.max(t.updatedMs, m.createdMs);
  }

  return {
    recordInbound(pageId: string, psid: string, mid: string, text: string | null, at: number) {
      add(pageId, psid, { id: mid, createdMs: at, fromPerson: true, text });
    },
    recordSent(pageId: string, psid: string, mid: string, text: string | null, at: number) {
      if (!byPage.get(pageId)?.has(psid)) return;
      add(pageId, psid, { id: mid, createdMs: at, fromPerson: false, text });
    },
    thread: (pageId: string, psid: string): Thread | undefined => byPage.get(pageId)?.get(psid),
    /** A thread by its id, with its Page. */
    byId(threadId: string): { pageId: string; thread: Thread } | undefined {
      for (const [pageId, threads] of byPage) for (const t of threads.values()) if (t.id === threadId) return { pageId, thread: t };
      return undefined;
    },
    threads: (pageId: string): Thread[] => [...(byPage.get(pageId)?.values() ?? [])].sort((a, b) => b.updatedMs - a.updatedMs),
    /** Counts a call against the Page's 2/s; the error when over. */
    admit(pageId: string): GraphErrorSpec | undefined {
      const t = now();
      const recent = (calls.get(pageId) ?? []).filter((at) => t - at < 1000);
      if (recent.length >= CONVERSATION_CALLS_PER_SECOND) {
        calls.set(pageId, recent);
        return { code: 613, message: MSG.sendRate };
      }
      recent.push(t);
      calls.set(pageId, recent);
      return undefined;
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

interface FieldSpec {
  name: string;
  limit?: number;
  sub?: FieldSpec[];
}

/** `messages.limit(20){created_time,from},updated_time` -> field specs (one level of nesting is enough here). */
export function parseFields(raw: string): FieldSpec[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of raw) {
    if (ch === '{' || ch === '(') depth++;
    if (ch === '}' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^([a-z_]+)(?:\.limit\((\d+)\))?(?:\{(.*)\})?$/.exec(p);
      if (!m) return { name: p };
      return { name: m[1]!, ...(m[2] ? { limit: Number(m[2]) } : {}), ...(m[3] !== undefined ? { sub: parseFields(m[3]) } : {}) };
    });
}

export interface ConversationsCall {
  page: { id: string; name: string };
  /** The Page's linked Instagram account: `platform=instagram` lists its threads (keyed by the account id). */
  instagram?: { id: string; username: string } | undefined;
  /** The caller is a Page token of this Page. */
  pageToken: boolean;
  scopes: readonly string[];
  params: Record<string, unknown>;
  /** Absolute URL of the edge, for paging links. */
  base: string;
}

export function conversationsEdge(store: ConversationStore, call: ConversationsCall): unknown {
  const { page, params } = call;
  if (!call.pageToken) return fail({ code: 210, message: MSG.pageTokenRequired });
  for (const scope of ['pages_messaging', 'pages_manage_metadata']) {
    if (!call.scopes.includes(scope)) return fail({ code: 200, message: `(#200) Requires ${scope} permission to manage the object` });
  }
  const platform = typeof params.platform === 'string' ? params.platform : 'messenger';
  if (platform !== 'messenger' && platform !== 'instagram') return fail({ code: 100, message: '(#100) Param platform must be one of {MESSENGER, INSTAGRAM}' });
  const ig = platform === 'instagram' ? call.instagram : undefined;
  if (platform === 'instagram') {
    if (!ig) return fail({ code: 100, subcode: 2534013, message: '(#100) The page is not linked to an Instagram account' });
    if (!call.scopes.includes('instagram_manage_messages')) return fail({ code: 200, message: '(#200) Requires instagram_manage_messages permission to manage the object' });
  }
  // 2 calls per second per Page, and per Instagram account.
  const limited = store.admit(ig?.id ?? page.id);
  if (limited) return fail(limited);
  const userId = typeof params.user_id === 'string' && params.user_id !== '' ? params.user_id : undefined;
  const rawFields = typeof params.fields === 'string' && params.fields.trim() !== '' ? params.fields : undefined;
  const fields = rawFields ? parseFields(rawFields) : userId ? [{ name: 'id' }] : [{ name: 'id' }, { name: 'updated_time' }];
  for (const f of fields) if (!THREAD_FIELDS.has(f.name)) return fail({ code: 100, message: MSG.nonexistingField(f.name, 'UnifiedThread') });

  // Instagram threads live under the Instagram account's id.
  const owner = ig?.id ?? page.id;
  const threads = userId ? [store.thread(owner, userId)].filter((t): t is Thread => t !== undefined) : store.threads(owner);
  const shown = threads.map((t) => ({ id: t.id, thread: t }));
  const listed = userId ? { data: shown } : paginate(shown, params, call.base);
  return { ...listed, data: listed.data.map(({ thread }) => threadNode(thread, page, fields, ig)) };
}

function personFrom(psid: string, ig?: { id: string; username: string }) {
  // Instagram writes `from` as {username, id}.
  if (ig) return { username: `person_${psid.slice(-4)}`, id: psid };
  return { name: `Person ${psid.slice(-4)}`, email: `${psid}@facebook.com`, id: psid };
}

function threadNode(t: Thread, page: { id: string; name: string }, fields: FieldSpec[], ig?: { id: string; username: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pageFrom = ig ? { username: ig.username, id: ig.id } : { name: page.name, email: `${page.id}@facebook.com`, id: page.id };
  const personOf = (id: string) => personFrom(id, ig);
  for (const f of fields) {
    if (f.name === 'id') continue;
    if (f.name === 'updated_time') out.updated_time = graphTime(t.updatedMs);
    else if (f.name === 'message_count') out.message_count = t.messages.length;
    else if (f.name === 'can_reply') out.can_reply = true;
    else if (f.name === 'snippet') out.snippet = t.messages.at(-1)?.text ?? '';
    else if (f.name === 'link') out.link = `/${page.id}/inbox/${t.id}`;
    else if (f.name === 'name') out.name = `Person ${t.psid.slice(-4)}`;
    else if (f.name === 'participants' || f.name === 'senders') out[f.name] = { data: [personOf(t.psid), pageFrom] };
    else if (f.name === 'messages') {
      const sub = f.sub ?? [{ name: 'id' }, { name: 'created_time' }];
      for (const s of sub) if (!MESSAGE_FIELDS.has(s.name)) fail({ code: 100, message: MSG.nonexistingField(s.name, 'Message') });
      const limit = Math.min(f.limit ?? 25, READABLE_MESSAGES);
      const newest = t.messages.slice(-READABLE_MESSAGES).reverse().slice(0, limit);
      out.messages = {
        data: newest.map((m) => {
          const node: Record<string, unknown> = {};
          for (const s of sub) {
            if (s.name === 'created_time') node.created_time = graphTime(m.createdMs);
            else if (s.name === 'from') node.from = m.fromPerson ? personOf(t.psid) : pageFrom;
            else if (s.name === 'to') node.to = { data: [m.fromPerson ? pageFrom : personOf(t.psid)] };
            else if (s.name === 'message') node.message = m.text ?? '';
          }
          node.id = m.id;
          return node;
        }),
      };
    }
  }
  out.id = t.id;
  return out;
}

export interface ConversationNodeCall {
  threadId: string;
  /** The Page the caller's Page token belongs to; undefined for other tokens. */
  tokenPage: { id: string; name: string } | undefined;
  params: Record<string, unknown>;
}

/** `GET /{conversation-id}?fields=messages` -> `{"messages":{"data":[{"id","created_time"}]},"id"}`, newest first. */
export function conversationNode(store: ConversationStore, call: ConversationNodeCall): unknown {
  const found = store.byId(call.threadId);
  if (!found || call.tokenPage?.id !== found.pageId) return fail({ type: 'GraphMethodException', code: 100, subcode: 33, message: MSG.unsupported('get', call.threadId) });
  const rawFields = typeof call.params.fields === 'string' && call.params.fields.trim() !== '' ? call.params.fields : 'id';
  const fields = parseFields(rawFields);
  for (const f of fields) if (!THREAD_FIELDS.has(f.name)) return fail({ code: 100, message: MSG.nonexistingField(f.name, 'UnifiedThread') });
  return threadNode(found.thread, call.tokenPage, fields);
}
