/**
 * Who a PSID is: the User Profile API (`GET /{PSID}?fields=first_name,last_name,profile_pic` with
 * the Page token, https://developers.facebook.com/docs/messenger-platform/identity/user-profile),
 * behind a bounded in-memory cache with a TTL. Names are personal data: they are kept in memory
 * only, never written to the database and never logged (the Graph client logs the URL, which holds
 * the PSID, not the answer).
 *
 * Facebook answers only for people who wrote to that Page (or otherwise opted in); any other PSID
 * is 100/33 "Unsupported get request", which becomes PK_PERSON_NOT_FOUND here.
 */
import { z } from 'zod';
import { pkError } from '../errors.js';
import { isGraphError } from '../graph/graph-error.js';

/** Defaults: up to 5,000 people for an hour. A changed name shows within the TTL. */
export const DEFAULT_PEOPLE_CACHE_SIZE = 5_000;
export const DEFAULT_PEOPLE_TTL_MS = 60 * 60_000;
/** How long `nameIfKnown` lets a first lookup hold a page render back. */
export const DEFAULT_NAME_WAIT_MS = 150;
/** A failed lookup is not repeated for this long (a PSID without a profile stays without one). */
const FAILURE_TTL_MS = 5 * 60_000;
/** Name and picture only: locale, timezone and gender need permissions most apps do not have. */
export const PROFILE_FIELDS = 'first_name,last_name,profile_pic';

export interface PersonProfile {
  psid: string;
  pageId: string;
  firstName: string | null;
  lastName: string | null;
  /** First and last name joined; null when Facebook gave neither. */
  name: string | null;
  /** Facebook's CDN URL of the picture; it expires after a while, so it is not for storing. */
  profilePic: string | null;
}

// Graph's wire names until processed (style: oauth4webapi).
const ProfileAnswer = z.object({
  id: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  profile_pic: z.string().optional(),
});

/** Turns Facebook's answer into a PersonProfile; pure. */
export function toPersonProfile(pageId: string, psid: string, answer: unknown): PersonProfile {
  const parsed = ProfileAnswer.safeParse(answer);
  if (!parsed.success) throw pkError('PK_GRAPH_BAD_RESPONSE', { detail: `the User Profile answer for a PSID is not an object with first_name, last_name, profile_pic: ${parsed.error.issues[0]?.message ?? 'unreadable'}` });
  const a = parsed.data;
  const name = [a.first_name, a.last_name].filter((s): s is string => typeof s === 'string' && s !== '').join(' ');
  return { psid, pageId, firstName: a.first_name ?? null, lastName: a.last_name ?? null, name: name === '' ? null : name, profilePic: a.profile_pic ?? null };
}

export interface PeopleDirectoryOptions {
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export interface PeopleDirectory {
  /**
   * The person's name and picture, from the cache or Facebook; concurrent lookups of one person share one call.
   * @throws PK_PERSON_NOT_FOUND (not a person who wrote to the Page), PK_PAGE_NOT_FOUND, PK_NO_VALID_TOKEN, a GraphError
   */
  profile(pageId: string, psid: string): Promise<PersonProfile>;
  /**
   * The person's name if it is known or can be learnt within `waitMs` (default 150 ms); otherwise
   * undefined, while the lookup goes on in the background so the next render has it. Never throws.
   * For pages that list conversations or messages and must not wait on Facebook.
   */
  nameIfKnown(pageId: string, psid: string, waitMs?: number): Promise<string | undefined>;
  /** Forgets everything (for example after a data deletion request). */
  clear(): void;
  readonly size: number;
}

type Entry = { value: PersonProfile; expiresAt: number } | { failed: unknown; expiresAt: number };

/** Builds the directory over a fetch of `GET /{psid}` with the Page's token. */
export function createPeopleDirectory(fetchProfile: (pageId: string, psid: string) => Promise<unknown>, options: PeopleDirectoryOptions = {}): PeopleDirectory {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_PEOPLE_CACHE_SIZE);
  const ttlMs = options.ttlMs ?? DEFAULT_PEOPLE_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<PersonProfile>>();

  function remember(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
    // Oldest first in a Map: drop from the front until within bounds.
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  }

  function lookup(pageId: string, psid: string): Promise<PersonProfile> {
    const key = `${pageId}\u0000${psid}`;
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now()) {
      // Recently used moves to the back (LRU).
      entries.delete(key);
      entries.set(key, hit);
      return 'value' in hit ? Promise.resolve(hit.value) : Promise.reject(hit.failed);
    }
    if (hit) entries.delete(key);
    const running = inFlight.get(key);
    if (running) return running;
    const p = fetchProfile(pageId, psid)
      .then(
        (answer) => {
          const value = toPersonProfile(pageId, psid, answer);
          remember(key, { value, expiresAt: now() + ttlMs });
          return value;
        },
        (e: unknown) => {
          const failure = notFound(e, pageId, psid) ?? e;
          // Only answers about the person are remembered; a network or token problem is tried again next time.
          if (failure !== e) remember(key, { failed: failure, expiresAt: now() + Math.min(ttlMs, FAILURE_TTL_MS) });
          throw failure;
        },
      )
      .finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  }

  return {
    profile: lookup,
    async nameIfKnown(pageId, psid, waitMs = DEFAULT_NAME_WAIT_MS) {
      const p = lookup(pageId, psid).then(
        (v) => v.name ?? undefined,
        () => undefined,
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((r) => (timer = setTimeout(r, Math.max(0, waitMs), undefined)));
      try {
        return await Promise.race([p, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** 100/33 (no such object for this token) and 100/2018218 (no profile) mean: Facebook will not say who this is. */
function notFound(e: unknown, pageId: string, psid: string): Error | undefined {
  if (!isGraphError(e) || e.code !== 100 || (e.subcode !== 33 && e.subcode !== 2018218)) return undefined;
  return pkError('PK_PERSON_NOT_FOUND', { pageId, psid }, { cause: e, details: { graphCode: e.code, graphSubcode: e.subcode } });
}
