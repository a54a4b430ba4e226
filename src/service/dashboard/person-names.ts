/**
 * Names beside PSIDs on dashboard pages that list conversations or messages: `namesOf` looks up
 * every distinct person at once, each for at most `waitMs`, so a render waits at most about
 * `waitMs` however many rows it has; people not known by then show their PSID alone and are
 * known at the next render (the lookup goes on in the background, cached in memory). At most
 * `maxLookups` people are asked about per render, to spare the Page's Graph budget.
 * Names are personal data: rendered (escaped) into the page, never logged.
 */
import type { PeoplePort } from '../deps.js';

export const NAME_WAIT_MS = 150;
export const MAX_NAME_LOOKUPS = 50;

/** `${pageId}:${psid}` -> name, for the people whose name is known within the wait. */
export async function namesOf(
  people: PeoplePort | undefined,
  rows: ReadonlyArray<{ pageId: string; psid: string }>,
  options: { waitMs?: number; maxLookups?: number } = {},
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (!people) return names;
  const distinct = [...new Map(rows.map((r) => [`${r.pageId}:${r.psid}`, r])).entries()].slice(0, options.maxLookups ?? MAX_NAME_LOOKUPS);
  const found = await Promise.all(distinct.map(async ([key, r]) => [key, await people.nameIfKnown(r.pageId, r.psid, options.waitMs ?? NAME_WAIT_MS)] as const));
  for (const [key, name] of found) if (name !== undefined) names.set(key, name);
  return names;
}
