import type { AuditEntry } from '../../store/types.js';
import type { ConnectOutcome, PageView } from '../deps.js';
import { pageJson } from '../routes/api-routes.js';
import { html, type SafeHtml } from './html.js';

/**
 * Server-rendered pages. No script at all; stable `data-testid` attributes for the browser
 * test. No token is ever passed to these functions, so none can be rendered.
 */

export function layout(title: string, body: SafeHtml, options: { signedIn?: boolean; csrf?: string; nav?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · pagekeeper</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<a class="visually-hidden" href="#main">Skip to content</a>
<header role="banner"><h1><a href="/">pagekeeper</a></h1>${
    options.nav ? html`<nav aria-label="Console"><ul class="nav"><li><a href="/">Pages</a></li><li><a href="/messages" data-testid="nav-messages">Messages</a></li><li><a href="/events" data-testid="nav-events">Events</a></li></ul></nav>` : ''
  }${
    options.signedIn && options.csrf
      ? html`<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="${options.csrf}"><button class="secondary" type="submit" data-testid="logout">Sign out</button></form>`
      : ''
  }</header>
<main id="main">
${body}
</main>
<footer role="contentinfo" class="muted">pagekeeper · <a href="/openapi.json">API</a></footer>
</body>
</html>
`.value;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** "in 3 days", "in 5 hours", "lapsed 2 days ago". */
export function countdown(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const text = abs >= DAY_MS ? `${Math.floor(abs / DAY_MS)} day${Math.floor(abs / DAY_MS) === 1 ? '' : 's'}` : `${Math.max(1, Math.floor(abs / 3_600_000))} hour(s)`;
  return ms >= 0 ? `in ${text}` : `lapsed ${text} ago`;
}

export const STATUS_LABELS: Record<string, string> = { healthy: 'Healthy', expiring: 'Expiring', needs_reauth: 'Needs reconnect', missing_permission: 'Missing permission' };

export function time(d: Date | null, fallback: string): SafeHtml {
  return d === null ? html`<span class="muted">${fallback}</span>` : html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 16)} UTC</time>`;
}

export interface DashboardModel {
  pages: PageView[];
  events: AuditEntry[];
  outboxCounts: Record<string, number>;
  now: Date;
  canConnect: boolean;
  signedIn: boolean;
  csrf: string;
  canCheck: boolean;
  notice?: string;
  /** The pinned Graph version ends within 90 days (or has ended): what to do, shown above everything. */
  versionWarning?: string;
  /** The activity charts (charts-activity.ts), shown after the outbox counts. */
  charts?: SafeHtml;
}

/** The Page's Instagram inbox (docs/instagram.md): shown when an account is linked or a permission is missing. */
export function instagramLine(p: PageView): SafeHtml | string {
  const ig = p.instagram;
  if (!ig || (ig.id === null && ig.messaging === 'not_linked')) return '';
  const name = ig.username === null ? 'Instagram' : html`Instagram @${ig.username}`;
  return html`<br><span data-testid="page-instagram" data-messaging="${ig.messaging}">${name}${
    ig.messaging === 'ok' ? html` <span class="muted">messaging ok</span>` : html` <span class="badge missing_permission">${ig.messaging.replace('_', ' ')}</span>${ig.fix ? html`<p class="problem muted">Fix: ${ig.fix}</p>` : ''}`
  }</span>`;
}

function pageRow(p: PageView, m: DashboardModel): SafeHtml {
  const j = pageJson(p);
  const expiry = j.tokenExpiresAt === null ? html`<span class="muted">no valid token</span>` : j.tokenExpiresAt === 'never' ? html`never` : time(new Date(j.tokenExpiresAt), '');
  const dataAccess = j.dataAccessExpiresAt === null ? html`<span class="muted">unknown</span>` : html`${countdown(new Date(j.dataAccessExpiresAt), m.now)}`;
  return html`<tr data-testid="page-row" data-page-id="${p.id}" data-status="${p.status}">
<th scope="row"><a href="/pages/${p.id}" data-testid="page-name">${p.name}</a><br><span class="muted">${p.id}</span>${instagramLine(p)}</th>
<td><span class="badge ${p.status}" data-testid="page-status">${STATUS_LABELS[p.status] ?? p.status}</span>${
    p.status !== 'healthy' && (p.reason || p.fix)
      ? html`<p class="problem" data-testid="page-reason">${p.reason ?? ''}</p>${p.fix ? html`<p class="problem muted" data-testid="page-fix">Fix: ${p.fix}</p>` : ''}`
      : ''
  }${p.warning ? html`<p class="problem muted" data-testid="page-warning">${p.warning}</p>` : ''}</td>
<td data-testid="token-expiry">${expiry}</td>
<td data-testid="data-access">${dataAccess}</td>
<td data-testid="last-check">${time(p.lastCheckedAt, 'not yet')}</td>
<td data-testid="page-subscription" data-subscribed="${p.subscription.subscribed ? 'true' : 'false'}">${
    p.subscription.subscribed
      ? html`subscribed<br><span class="muted">${p.subscription.fields.join(', ')}</span>`
      : html`<span class="badge missing_permission">not subscribed</span>${p.subscription.reason ? html`<p class="problem" data-testid="subscription-reason">${p.subscription.reason}</p>` : ''}${p.subscription.fix ? html`<p class="problem muted" data-testid="subscription-fix">Fix: ${p.subscription.fix}</p>` : ''}`
  }</td>
<td>${
    m.canCheck
      ? html`<form class="inline" method="post" action="/pages/${p.id}/check"><input type="hidden" name="csrf" value="${m.csrf}"><button class="secondary" type="submit" data-testid="check-page">Check now<span class="visually-hidden"> ${p.name}</span></button></form>`
      : ''
  }</td>
</tr>`;
}

export function dashboardPage(m: DashboardModel): string {
  const pages = m.pages.filter((p) => p.removedAt === null);
  const counts = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'held', 'unknown', 'cancelled'];
  return layout(
    'Dashboard',
    html`${m.versionWarning ? html`<p class="notice error" role="alert" data-testid="version-banner">${m.versionWarning}</p>` : ''}${m.notice ? html`<p class="notice" role="status" data-testid="notice">${m.notice}</p>` : ''}
<section aria-labelledby="pages-heading">
<h2 id="pages-heading">Pages</h2>
<p>${m.canConnect ? html`<a class="button" href="/connect" data-testid="connect-page">Connect a Page</a>` : html`<span class="muted">Set PAGEKEEPER_APP_ID, PAGEKEEPER_APP_SECRET and PAGEKEEPER_PUBLIC_URL to connect Pages here.</span>`}</p>
${
  pages.length === 0
    ? html`<p data-testid="no-pages">No Page is connected yet.</p>`
    : html`<table data-testid="pages-table">
<caption>Connected Pages and the health of their tokens</caption>
<thead><tr><th scope="col">Page</th><th scope="col">Status</th><th scope="col">Token expires</th><th scope="col">Data access</th><th scope="col">Last check</th><th scope="col">Webhooks</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${pages.map((p) => pageRow(p, m))}</tbody>
</table>`
}
</section>
<section aria-labelledby="outbox-heading">
<h2 id="outbox-heading">Outbox</h2>
<ul class="counts" data-testid="outbox-counts">${counts.map((s) => html`<li data-status="${s}"><a href="/messages?status=${s}"><strong>${m.outboxCounts[s] ?? 0}</strong> ${s}</a></li>`)}</ul>
</section>
${m.charts ?? ''}
<section aria-labelledby="events-heading">
<h2 id="events-heading">Recent events</h2>
<p><a href="/events" data-testid="all-events">The whole audit log</a></p>
${
  m.events.length === 0
    ? html`<p class="muted">Nothing has happened yet.</p>`
    : html`<table data-testid="events-table">
<caption>The latest entries of the audit log</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Page</th><th scope="col">Change</th><th scope="col">Reason</th></tr></thead>
<tbody>${m.events.map(
        (e) => html`<tr data-testid="event-row"><td>${time(e.at, '')}</td><td>${e.event}</td><td>${e.pageId ?? ''}</td><td>${e.oldState || e.newState ? `${e.oldState ?? '-'} → ${e.newState ?? '-'}` : ''}</td><td>${e.reason ?? ''}</td></tr>`,
      )}</tbody>
</table>`
}
</section>`,
    { signedIn: m.signedIn, csrf: m.csrf, nav: true },
  );
}

export function loginPage(error: string | null): string {
  return layout(
    'Sign in',
    html`<h2>Sign in</h2>
${error ? html`<p class="notice error" role="alert" data-testid="login-error">${error}</p>` : ''}
<form method="post" action="/login" data-testid="login-form">
<label for="admin-key">Admin key</label>
<p class="muted" id="admin-key-help">The value of PAGEKEEPER_ADMIN_KEY on the server.</p>
<input id="admin-key" name="adminKey" type="password" autocomplete="current-password" required aria-describedby="admin-key-help" data-testid="admin-key">
<p><button type="submit" data-testid="login-submit">Sign in</button></p>
</form>`,
  );
}

export function messagePage(title: string, message: string, options: { testid: string; fix?: string; error?: boolean }): string {
  return layout(
    title,
    html`<h2>${title}</h2>
<div class="notice${options.error ? ' error' : ''}" role="${options.error ? 'alert' : 'status'}" data-testid="${options.testid}"><p>${message}</p>${options.fix ? html`<p>${options.fix}</p>` : ''}</div>
<p><a href="/">Back to the dashboard</a></p>`,
  );
}

export function connectResultPage(outcome: ConnectOutcome): string {
  return layout(
    'Connected',
    html`<h2>Connected${outcome.userName ? html` as ${outcome.userName}` : ''}</h2>
<div class="notice" role="status" data-testid="connect-success"><p>${outcome.pages.length} Page${outcome.pages.length === 1 ? '' : 's'} connected.</p></div>
${
  outcome.pages.length > 0
    ? html`<table data-testid="connected-pages"><caption>Pages connected now</caption><thead><tr><th scope="col">Page</th><th scope="col">Status</th><th scope="col">Note</th></tr></thead><tbody>${outcome.pages.map(
        (p) => html`<tr data-page-id="${p.id}"><th scope="row">${p.name}</th><td><span class="badge ${p.status}">${STATUS_LABELS[p.status] ?? p.status}</span></td><td>${p.reason ?? ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p>No Page was shared. Start again and tick at least one Page in the dialog.</p>`
}
${outcome.problems.length > 0 ? html`<h3>Problems found</h3><ul data-testid="connect-problems">${outcome.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
<p><a class="button" href="/">Go to the dashboard</a></p>`,
  );
}

export function dataDeletionPage(status: { code: string; status: string; requestedAt: Date; completedAt: Date | null } | null): string {
  if (status === null) return messagePage('Deletion request not found', 'No data deletion request has this confirmation code.', { testid: 'deletion-unknown', error: true });
  return layout(
    'Data deletion',
    html`<h2>Data deletion request</h2>
<dl data-testid="deletion-status">
<dt>Confirmation code</dt><dd>${status.code}</dd>
<dt>Status</dt><dd>${status.status === 'completed' ? 'Completed: every token and record for this user was deleted.' : status.status}</dd>
<dt>Requested</dt><dd>${time(status.requestedAt, '')}</dd>
<dt>Completed</dt><dd>${time(status.completedAt, 'not yet')}</dd>
</dl>`,
  );
}
