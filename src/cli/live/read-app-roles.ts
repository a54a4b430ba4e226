/**
 * `GET /{app-id}/roles` with the app token: everyone with a role on the app. While the app is in
 * development mode only these people can log in through it and be messaged by its Pages
 * (https://developers.facebook.com/docs/graph-api/reference/app/roles/,
 * https://developers.facebook.com/docs/development/build-and-test/app-roles).
 */
import { z } from 'zod';
import type { GraphClient } from '../../graph/create-graph-client.js';

const rolesSchema = z.object({
  data: z.array(z.object({ user: z.union([z.string(), z.number()]).transform(String), role: z.string() }).passthrough()),
});

export interface AppRoles {
  /** "administrators", "developers", "testers", "analytics users" (as Facebook spells them), with how many people hold each. */
  counts: Record<string, number>;
  total: number;
}

export async function readAppRoles(graph: GraphClient, appId: string): Promise<AppRoles> {
  const token = graph.appToken();
  const res = await graph.request({ method: 'GET', path: `${appId}/roles`, params: { limit: 500 }, token, schema: rolesSchema });
  const counts: Record<string, number> = {};
  for (const r of res.data.data) counts[r.role] = (counts[r.role] ?? 0) + 1;
  return { counts, total: res.data.data.length };
}
