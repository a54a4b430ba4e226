/**
 * `/events`: the audit log, newest first, filtered by Page, kind and time, paged by id. Entries
 * never hold a secret (the audit log's rule), so each is shown with its secret-free details.
 */
import type { AuditEntry } from '../../store/types.js';
import { html } from './html.js';
import { WITHIN, type Within } from './messages.js';
import { layout, time } from './pages.js';

const WITHIN_LABELS: Record<Within, string> = { '1h': 'the last hour', '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };

export interface EventsModel {
  events: AuditEntry[];
  kinds: string[];
  pages: Array<{ id: string; name: string }>;
  filter: { pageId?: string; event?: string; within?: Within };
  next: number | null;
  csrf: string;
  signedIn: boolean;
}

function detailText(d: Record<string, unknown> | null): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function eventsPage(m: EventsModel): string {
  const f = m.filter;
  const pageName = new Map(m.pages.map((p) => [p.id, p.name]));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  if (m.next !== null) q.set('before', String(m.next));
  return layout(
    'Events',
    html`<h2>Events</h2>
<form method="get" action="/events" class="filters" data-testid="events-filter">
<label for="e-page">Page</label>
<select id="e-page" name="pageId" data-testid="filter-page"><option value="">any</option>${m.pages.map((p) => html`<option value="${p.id}"${p.id === f.pageId ? html` selected` : ''}>${p.name}</option>`)}</select>
<label for="e-kind">Kind</label>
<select id="e-kind" name="event" data-testid="filter-kind"><option value="">any</option>${m.kinds.map((k) => html`<option value="${k}"${k === f.event ? html` selected` : ''}>${k}</option>`)}</select>
<label for="e-within">When</label>
<select id="e-within" name="within" data-testid="filter-within"><option value="">any time</option>${(Object.keys(WITHIN) as Within[]).map((w) => html`<option value="${w}"${w === f.within ? html` selected` : ''}>${WITHIN_LABELS[w]}</option>`)}</select>
<button type="submit" data-testid="filter-apply">Show</button>
</form>
${
  m.events.length === 0
    ? html`<p data-testid="no-events">No event matches.</p>`
    : html`<table data-testid="audit-table">
<caption>The audit log, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Page</th><th scope="col">Change</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead>
<tbody>${m.events.map(
        (e) => html`<tr data-testid="audit-row" data-event="${e.event}" data-event-id="${e.id}"><td>${time(e.at, '')}</td><td>${e.event}</td><td>${
          e.pageId ? html`<a href="/pages/${e.pageId}">${pageName.get(e.pageId) ?? e.pageId}</a>` : ''
        }</td><td>${e.oldState || e.newState ? `${e.oldState ?? '-'} → ${e.newState ?? '-'}` : ''}</td><td>${e.reason ?? ''}</td><td class="muted">${detailText(e.detail)}</td></tr>`,
      )}</tbody>
</table>`
}
${m.next !== null ? html`<p><a href="/events?${q.toString()}" data-testid="older-events">Older events</a></p>` : ''}`,
    { signedIn: m.signedIn, csrf: m.csrf, nav: true },
  );
}
