/**
 * The Facebook Login dialog (docs/graph-api.md "Login: a short-lived user token"): a consent page showing the app, the
 * requested permissions, who is logged in and the pages to grant, with Continue and Cancel.
 * Continue redirects with `code` and `state`; Cancel with the user_denied parameters.
 */
import type { EmulatorState, User } from './state.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface DialogQuery {
  client_id?: string;
  redirect_uri?: string;
  state?: string;
  scope?: string;
  response_type?: string;
  auth_type?: string;
  /** Facebook Login for Business: the configuration that replaces `scope` (business.ts). */
  config_id?: string;
  /** Emulator extension: which seeded user is "logged in" (defaults to the first one). */
  as?: string;
}

export function renderDialog(state: EmulatorState, q: DialogQuery, version: string, actionUrl: string): { status: number; html: string } {
  if (q.client_id !== state.app.id) return { status: 400, html: page('Error', '<p>Invalid App ID: The provided app ID does not look like a valid app ID.</p>') };
  if (!q.redirect_uri) return { status: 400, html: page('Error', '<p>The parameter redirect_uri is required.</p>') };
  const user: User | undefined = state.users.get(q.as ?? '') ?? state.users.get(state.userOrder[0] ?? '');
  if (!user) return { status: 400, html: page('Error', '<p>No user is logged in to the emulator.</p>') };
  const scopes = (q.scope ?? '').split(/[ ,]+/).filter(Boolean);
  const hidden = (name: string, value: string | undefined) => (value === undefined ? '' : `<input type="hidden" name="${name}" value="${esc(value)}">`);
  const others = state.userOrder
    .filter((id) => id !== user.id)
    .map((id) => {
      const u = state.users.get(id)!;
      const params = new URLSearchParams({ ...(q as Record<string, string>), as: id });
      return `<li><a href="/${version}/dialog/oauth?${esc(params.toString())}">${esc(u.name)}</a></li>`;
    })
    .join('');
  const pages = [...user.roles.keys()]
    .map((id) => state.pages.get(id)!)
    .map((p) => `<li><label><input type="checkbox" name="page" value="${esc(p.id)}" checked> ${esc(p.name)}</label></li>`)
    .join('');
  const body = `
<h1>${esc(state.app.name)} is requesting access</h1>
<p id="logged-in">Logged in as <strong>${esc(user.name)}</strong> (id ${esc(user.id)})</p>
${others ? `<details><summary>Not you? Log in as someone else</summary><ul id="users">${others}</ul></details>` : ''}
<form method="post" action="${esc(actionUrl)}">
${hidden('client_id', q.client_id)}${hidden('redirect_uri', q.redirect_uri)}${hidden('state', q.state)}${hidden('scope', scopes.join(','))}${hidden('config_id', q.config_id)}${hidden('user_id', user.id)}
<h2>Permissions requested</h2>
<ul id="permissions">${scopes.map((s) => `<li>${esc(s)}</li>`).join('') || '<li>public_profile</li>'}</ul>
<h2>Pages to grant</h2>
<ul id="pages">${pages || '<li>(no pages)</li>'}</ul>
<button type="submit" name="action" value="continue" id="continue">Continue as ${esc(user.name.split(' ')[0] ?? user.name)}</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form>`;
  return { status: 200, html: page(`Log in with Facebook | ${state.app.name}`, body) };
}

/** A plain page with one message, like Facebook's dialog errors ("It looks like this app isn't available"). */
export function messagePage(title: string, text: string): string {
  return page(title, `<p id="dialog-error">${esc(text)}</p>`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;color:#1c1e21}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}#continue{background:#1877f2;color:#fff;border:0;border-radius:6px}</style>
</head><body>${body}</body></html>`;
}

/** Where the browser goes after the person answered. */
export function dialogRedirect(redirectUri: string, params: Record<string, string>): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
