/**
 * The `page_instagram` table: which Instagram professional account each Page is linked to, and
 * which Instagram scopes its token carries for it (docs/instagram.md). Written by connect (and
 * re-judged by the health sweep), read by health views and by every Instagram send.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** How the account is linked: `business` = instagram_business_account, `connected` = connected_instagram_account only. */
export type InstagramLinkKind = 'business' | 'connected';

export interface InstagramLink {
  pageId: string;
  /** null: connect found no linked account (or the token could not see it). */
  igId: string | null;
  username: string | null;
  link: InstagramLinkKind | null;
  /** Instagram scopes granted for this account (instagram_basic, instagram_manage_messages). */
  scopes: string[];
  checkedAt: Date;
}

export interface InstagramRepository {
  /** Records what connect (or a sweep) found for the Page. */
  upsert(link: InstagramLink): Promise<void>;
  /** Updates only the scopes (a sweep that re-inspected the Page token). */
  setScopes(pageId: string, scopes: readonly string[], at: Date): Promise<void>;
  get(pageId: string): Promise<InstagramLink | undefined>;
  /** The Page linked to an Instagram account (webhooks name the account, sends name the Page). */
  pageOf(igId: string): Promise<string | undefined>;
  many(pageIds: readonly string[]): Promise<Map<string, InstagramLink>>;
}

type Row = { page_id: string; ig_id: string | null; username: string | null; link: string | null; scopes: string; checked_at: number };

function fromRow(r: Row): InstagramLink {
  let scopes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.scopes);
    if (Array.isArray(parsed)) scopes = parsed.filter((s): s is string => typeof s === 'string');
  } catch {
    scopes = [];
  }
  return { pageId: r.page_id, igId: r.ig_id, username: r.username, link: r.link === 'business' || r.link === 'connected' ? r.link : null, scopes, checkedAt: new Date(Number(r.checked_at)) };
}

export function createInstagramRepository(db: Kysely<Database>): InstagramRepository {
  const select = () => db.selectFrom('page_instagram').select(['page_id', 'ig_id', 'username', 'link', 'scopes', 'checked_at']);
  return {
    async upsert(l) {
      const values = { page_id: l.pageId, ig_id: l.igId, username: l.username, link: l.link, scopes: JSON.stringify(l.scopes), checked_at: l.checkedAt.getTime() };
      const { page_id: _id, ...rest } = values;
      await db.insertInto('page_instagram').values(values).onConflict((oc) => oc.column('page_id').doUpdateSet(rest)).execute();
    },
    async setScopes(pageId, scopes, at) {
      await db.updateTable('page_instagram').set({ scopes: JSON.stringify(scopes), checked_at: at.getTime() }).where('page_id', '=', pageId).execute();
    },
    async get(pageId) {
      const r = await select().where('page_id', '=', pageId).executeTakeFirst();
      return r && fromRow(r);
    },
    async pageOf(igId) {
      const r = await db.selectFrom('page_instagram').select('page_id').where('ig_id', '=', igId).executeTakeFirst();
      return r?.page_id;
    },
    async many(pageIds) {
      const out = new Map<string, InstagramLink>();
      if (pageIds.length === 0) return out;
      for (let i = 0; i < pageIds.length; i += 500) {
        const rows = await select().where('page_id', 'in', pageIds.slice(i, i + 500)).execute();
        for (const r of rows) out.set(r.page_id, fromRow(r));
      }
      return out;
    },
  };
}
