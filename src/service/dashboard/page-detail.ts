/**
 * `/pages/{id}`: one Page for an operator: every stored token with whose it is, its status,
 * expiry, data access end, the permissions and tasks that matter, and its last check; the webhook
 * subscription; how many people are inside the 24-hour window; the Page's recent events; and the
 * actions check now, re-subscribe and remove (remove asks for confirmation first).
 * No token is ever passed here, so none can be rendered.
 */
import type { AuditEntry } from '../../store/types.js';
import type { PageView } from '../deps.js';
import { html, SafeHtml } from './html.js';
import { countdown, instagramLine, layout, STATUS_LABELS, time } from './pages.js';

/** Permissions and tasks an operator looks for on a Page token (docs/graph-api.md). */
const SCOPES_THAT_MATTER = ['pages_messaging', 'pages_manage_metadata', 'pages_show_list', 'pages_read_engagement', 'instagram_manage_messages', 'business_management'];
const TASKS_THAT_MATTER = ['MANAGE', 'MODERATE', 'MESSAGING', 'CREATE_CONTENT', 'ADVERTISE', 'ANALYZE'];

export interface PageDetailModel {
  page: PageView;
  owners: Map<string, { name: string; scopes: string[] }>;
  openWindows: number;
  events: AuditEntry[];
  now: Date;
  csrf: string;
  signedIn: boolean;
  notice?: string;
  /**
   * Markup for the Page's charts, drawn elsewhere (inline SVG with its text alternative); placed
   * in the section marked `<!-- charts -->`. Absent: the section is left out.
   */
  charts?: string;
}

const TOKEN_REASONS: Record<string, string> = {
  password_changed: 'the person changed their Facebook password',
  app_removed: 'the person removed the app',
  expired: 'it expired',
  logged_out: 'the person logged out of Facebook',
  checkpoint: 'Facebook put the account in a security checkpoint',
  page_role_removed: 'the person no longer has a role on the Page',
  unconfirmed_user: 'the person has not confirmed their Facebook account',
  invalidated: 'Facebook invalidated the session',
  invalid: 'Facebook refused it',
};

function tokenRow(t: PageView['tokens'][number], m: PageDetailModel): SafeHtml {
  const owner = m.owners.get(t.userId);
  const scopes = (owner?.scopes ?? []).filter((s) => SCOPES_THAT_MATTER.includes(s));
  const tasks = t.tasks.filter((x) => TASKS_THAT_MATTER.includes(x));
  return html`<tr data-testid="token-row" data-user-id="${t.userId}" data-token-status="${t.status}">
<th scope="row"><span data-testid="token-owner">${owner?.name ?? 'Unknown person'}</span><br><span class="muted">${t.userId}${t.kind === 'system_user' ? ' · system user' : ''}</span></th>
<td data-testid="token-status">${
    t.status === 'valid'
      ? html`<span class="badge healthy">valid</span>`
      : html`<span class="badge needs_reauth">lost</span><p class="problem">${t.invalidReason ? (TOKEN_REASONS[t.invalidReason] ?? t.invalidReason) : 'Facebook refused it'}</p>`
  }</td>
<td data-testid="token-expires">${t.expiresAt === null ? 'never' : time(t.expiresAt, '')}</td>
<td>${t.dataAccessExpiresAt === null ? html`<span class="muted">unknown</span>` : html`${countdown(t.dataAccessExpiresAt, m.now)}`}</td>
<td data-testid="token-grants">${scopes.length > 0 ? scopes.join(', ') : html`<span class="muted">none known</span>`}<br><span class="muted">tasks: ${tasks.length > 0 ? tasks.join(', ') : 'none'}${t.messagingGranted ? '' : ' · no messaging'}</span></td>
<td>${time(t.lastCheckedAt, 'not yet')}</td>
</tr>`;
}

export function pageDetailPage(m: PageDetailModel): string {
  const p = m.page;
  const sub = p.subscription;
  const valid = p.tokens.filter((t) => t.status === 'valid').length;
  const action = (path: string, label: string, testid: string, secondary = true) =>
    html`<form class="inline" method="post" action="/pages/${p.id}/${path}"><input type="hidden" name="csrf" value="${m.csrf}"><input type="hidden" name="back" value="detail"><button class="${secondary ? 'secondary' : ''}" type="submit" data-testid="${testid}">${label}</button></form>`;
  return layout(
    p.name,
    html`${m.notice ? html`<p class="notice" role="status" data-testid="notice">${m.notice}</p>` : ''}
<h2 data-testid="page-detail" data-page-id="${p.id}" data-status="${p.status}">${p.name} <span class="muted">${p.id}</span></h2>
<p><span class="badge ${p.status}" data-testid="page-status">${STATUS_LABELS[p.status] ?? p.status}</span> ${p.category ? html`<span class="muted">${p.category}</span>` : ''}${instagramLine(p)}</p>
${p.status !== 'healthy' && (p.reason || p.fix) ? html`<p class="problem" data-testid="page-reason">${p.reason ?? ''}</p>${p.fix ? html`<p class="problem muted" data-testid="page-fix">Fix: ${p.fix}</p>` : ''}` : ''}
<p class="actions">${action('check', 'Check now', 'check-page', false)} ${action('resubscribe', 'Re-subscribe to webhooks', 'resubscribe-page')} <a class="button secondary" href="/pages/${p.id}/remove" data-testid="remove-page">Remove this Page…</a></p>

<section aria-labelledby="tokens-heading">
<h3 id="tokens-heading">Tokens <span class="muted">(${valid} of ${p.tokens.length} valid)</span></h3>
${
  p.tokens.length === 0
    ? html`<p data-testid="no-tokens">No token is stored for this Page. Connect a person who manages it.</p>`
    : html`<table data-testid="tokens-table">
<caption>One token per admin who connected the Page; pagekeeper uses the first valid one and fails over to the next</caption>
<thead><tr><th scope="col">Granted by</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col">Data access</th><th scope="col">Permissions and tasks</th><th scope="col">Last check</th></tr></thead>
<tbody>${p.tokens.map((t) => tokenRow(t, m))}</tbody>
</table>`
}
</section>

<section aria-labelledby="webhooks-heading">
<h3 id="webhooks-heading">Webhooks</h3>
<dl data-testid="page-subscription" data-subscribed="${sub.subscribed ? 'true' : 'false'}">
<dt>Subscription</dt><dd>${sub.subscribed ? 'subscribed' : html`<span class="badge missing_permission">not subscribed</span>`}</dd>
<dt>Fields</dt><dd data-testid="subscription-fields">${sub.fields.length > 0 ? sub.fields.join(', ') : html`<span class="muted">none</span>`}</dd>
<dt>Last known</dt><dd>${time(sub.checkedAt, 'never read')}</dd>
${sub.reason ? html`<dt>Why not</dt><dd class="problem" data-testid="subscription-reason">${sub.reason}</dd>` : ''}
${sub.fix ? html`<dt>Fix</dt><dd data-testid="subscription-fix">${sub.fix}</dd>` : ''}
</dl>
</section>

<section aria-labelledby="window-heading">
<h3 id="window-heading">Messaging</h3>
<p><strong data-testid="open-windows">${m.openWindows}</strong> ${m.openWindows === 1 ? 'person' : 'people'} wrote in the last 24 hours and can get a standard message now. <a href="/messages?pageId=${p.id}">This Page's messages</a></p>
</section>
${m.charts ? html`<!-- charts -->
<section aria-labelledby="charts-heading" data-testid="page-charts">
<h3 id="charts-heading">Activity</h3>
${new SafeHtml(m.charts)}
</section>
<!-- /charts -->` : ''}
<section aria-labelledby="page-events-heading">
<h3 id="page-events-heading">Recent events</h3>
${
  m.events.length === 0
    ? html`<p class="muted">Nothing has happened to this Page yet.</p>`
    : html`<table data-testid="page-events">
<caption>The latest audit log entries of this Page</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Change</th><th scope="col">Reason</th></tr></thead>
<tbody>${m.events.map((e) => html`<tr data-testid="event-row" data-event="${e.event}"><td>${time(e.at, '')}</td><td>${e.event}</td><td>${e.oldState || e.newState ? `${e.oldState ?? '-'} → ${e.newState ?? '-'}` : ''}</td><td>${e.reason ?? ''}</td></tr>`)}</tbody>
</table>
<p><a href="/events?pageId=${p.id}">Every event of this Page</a></p>`
}
</section>`,
    { signedIn: m.signedIn, csrf: m.csrf, nav: true },
  );
}

/** The confirmation step of a destructive action: says what will happen, posts only on a click. */
export function confirmPage(options: { title: string; what: SafeHtml; action: string; button: string; csrf: string; back: string; signedIn: boolean; testid: string }): string {
  return layout(
    options.title,
    html`<h2>${options.title}</h2>
<div class="notice" role="alert" data-testid="${options.testid}">${options.what}</div>
<form method="post" action="${options.action}">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="confirm" value="yes">
<p><button type="submit" data-testid="confirm-action">${options.button}</button> <a class="button secondary" href="${options.back}" data-testid="cancel-action">Keep it, go back</a></p>
</form>`,
    { signedIn: options.signedIn, csrf: options.csrf, nav: true },
  );
}
