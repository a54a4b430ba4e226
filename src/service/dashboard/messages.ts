/**
 * `/messages`: the outbox browser (filter by status, Page and time; newest first, paged) and
 * `/messages/{id}`: one message with its whole history, its retry links and the actions retry
 * (failed or unknown) and cancel (queued or held), each confirmed on a page of its own first.
 * Only a short preview of the text is shown; never a token.
 */
import type { ConsoleMessageDetail, ConsoleMessageView } from '../../messenger/outbox-console.js';
import { OUTBOX_STATUSES } from '../../store/outbox-repository.js';
import { CANCELLABLE_STATUSES, RETRYABLE_STATUSES } from '../../store/outbox-console-repository.js';
import { html, type SafeHtml } from './html.js';
import { layout, time } from './pages.js';

/** The time filter's choices: created within the last ... */
export const WITHIN = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Within = keyof typeof WITHIN;
const WITHIN_LABELS: Record<Within, string> = { '1h': 'the last hour', '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };

export interface MessagesModel {
  messages: ConsoleMessageView[];
  /** Names of people where known, by `pageId psid`. */
  names: Map<string, string>;
  pages: Array<{ id: string; name: string }>;
  filter: { status?: string; pageId?: string; within?: Within };
  /** The `before` id of the next (older) page; null at the end. */
  next: string | null;
  csrf: string;
  signedIn: boolean;
  notice?: string;
}

export const nameKey = (pageId: string, psid: string) => `${pageId} ${psid}`;

function errorText(e: ConsoleMessageView['error']): SafeHtml | string {
  if (!e) return '';
  return html`${e.code !== null ? html`<span data-testid="message-error-code">#${e.code}${e.subcode !== null ? `/${e.subcode}` : ''}</span> ` : ''}${e.message ?? ''}`;
}

function recipient(m: ConsoleMessageView, names: Map<string, string>): SafeHtml {
  const name = names.get(nameKey(m.pageId, m.psid));
  return html`${name ? html`<span data-testid="recipient-name">${name}</span><br>` : ''}<span class="muted">${m.psid}</span>${m.channel === 'instagram' ? html` <span class="muted">(Instagram)</span>` : ''}`;
}

function query(filter: MessagesModel['filter'], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export function messagesPage(m: MessagesModel): string {
  const f = m.filter;
  const pageName = new Map(m.pages.map((p) => [p.id, p.name]));
  return layout(
    'Messages',
    html`${m.notice ? html`<p class="notice" role="status" data-testid="notice">${m.notice}</p>` : ''}
<h2>Messages</h2>
<form method="get" action="/messages" class="filters" data-testid="messages-filter">
<label for="f-status">Status</label>
<select id="f-status" name="status" data-testid="filter-status"><option value="">any</option>${OUTBOX_STATUSES.map((s) => html`<option value="${s}"${s === f.status ? html` selected` : ''}>${s}</option>`)}</select>
<label for="f-page">Page</label>
<select id="f-page" name="pageId" data-testid="filter-page"><option value="">any</option>${m.pages.map((p) => html`<option value="${p.id}"${p.id === f.pageId ? html` selected` : ''}>${p.name}</option>`)}</select>
<label for="f-within">Created within</label>
<select id="f-within" name="within" data-testid="filter-within"><option value="">any time</option>${(Object.keys(WITHIN) as Within[]).map((w) => html`<option value="${w}"${w === f.within ? html` selected` : ''}>${WITHIN_LABELS[w]}</option>`)}</select>
<button type="submit" data-testid="filter-apply">Show</button>
</form>
${
  m.messages.length === 0
    ? html`<p data-testid="no-messages">No message matches.</p>`
    : html`<table data-testid="messages-table">
<caption>Outbox messages, newest first${f.status ? `, ${f.status}` : ''}${f.pageId ? `, of ${pageName.get(f.pageId) ?? f.pageId}` : ''}</caption>
<thead><tr><th scope="col">Message</th><th scope="col">Recipient</th><th scope="col">Page</th><th scope="col">Text</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Error</th></tr></thead>
<tbody>${m.messages.map(
        (x) => html`<tr data-testid="message-row" data-message-id="${x.id}" data-status="${x.status}">
<th scope="row"><a href="/messages/${x.id}" data-testid="message-link">${x.id}</a><br>${time(x.createdAt, '')}</th>
<td>${recipient(x, m.names)}</td>
<td>${pageName.get(x.pageId) ?? x.pageId}</td>
<td data-testid="message-preview">${x.preview}</td>
<td><span class="badge outbox-${x.status}" data-testid="message-status">${x.status}</span>${x.retryOf ? html`<br><span class="muted">retry of <a href="/messages/${x.retryOf}">${x.retryOf}</a></span>` : ''}</td>
<td>${x.attempts}</td>
<td data-testid="message-error">${errorText(x.error)}</td>
</tr>`,
      )}</tbody>
</table>`
}
${m.next ? html`<p><a href="/messages${query(f, { before: m.next })}" data-testid="older-messages">Older messages</a></p>` : ''}`,
    { signedIn: m.signedIn, csrf: m.csrf, nav: true },
  );
}

export interface MessageDetailModel {
  message: ConsoleMessageDetail;
  pageName: string | undefined;
  name: string | undefined;
  csrf: string;
  signedIn: boolean;
  notice?: string;
}

export function messageDetailPage(m: MessageDetailModel): string {
  const x = m.message;
  const canRetry = RETRYABLE_STATUSES.includes(x.status) && x.retriedAs.length === 0;
  const canCancel = CANCELLABLE_STATUSES.includes(x.status);
  return layout(
    `Message ${x.id}`,
    html`${m.notice ? html`<p class="notice" role="status" data-testid="notice">${m.notice}</p>` : ''}
<h2 data-testid="message-detail" data-message-id="${x.id}" data-status="${x.status}">Message ${x.id}</h2>
<dl>
<dt>Status</dt><dd><span class="badge outbox-${x.status}" data-testid="message-status">${x.status}</span></dd>
<dt>Page</dt><dd><a href="/pages/${x.pageId}">${m.pageName ?? x.pageId}</a></dd>
<dt>Recipient</dt><dd>${m.name ? html`${m.name} ` : ''}<span class="muted">${x.psid}</span>${x.channel === 'instagram' ? ' (Instagram)' : ''}</dd>
<dt>Text</dt><dd data-testid="message-preview">${x.preview || html`<span class="muted">no text</span>`}</dd>
<dt>Attempts</dt><dd>${x.attempts}</dd>
<dt>Facebook message id</dt><dd>${x.messageId ?? html`<span class="muted">none</span>`}</dd>
${x.error ? html`<dt>Last error</dt><dd data-testid="message-error">${errorText(x.error)}</dd>` : ''}
${x.retryOf ? html`<dt>Retry of</dt><dd><a href="/messages/${x.retryOf}" data-testid="retry-of">${x.retryOf}</a></dd>` : ''}
${x.retriedAs.length > 0 ? html`<dt>Retried as</dt><dd>${x.retriedAs.map((id) => html`<a href="/messages/${id}" data-testid="retried-as">${id}</a> `)}</dd>` : ''}
</dl>
${x.status === 'queued' || x.status === 'sending' ? html`<p><a href="/messages/${x.id}" data-testid="refresh-message">Refresh</a> <span class="muted">to see whether it was sent.</span></p>` : ''}
<p class="actions">${canRetry ? html`<a class="button" href="/messages/${x.id}/retry" data-testid="retry-message">Retry…</a> ` : ''}${canCancel ? html`<a class="button secondary" href="/messages/${x.id}/cancel" data-testid="cancel-message">Cancel…</a>` : ''}</p>
<section aria-labelledby="history-heading">
<h3 id="history-heading">History</h3>
<table data-testid="message-history">
<caption>What happened to this message, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Status</th><th scope="col">Error</th><th scope="col">Note</th></tr></thead>
<tbody>${x.history.map((h) => html`<tr data-testid="history-row" data-status="${h.status}"><td>${time(h.at, '')}</td><td>${h.status}</td><td>${errorText(h.error)}</td><td>${h.note ?? ''}</td></tr>`)}</tbody>
</table>
</section>
<p><a href="/messages?pageId=${x.pageId}">More messages of this Page</a></p>`,
    { signedIn: m.signedIn, csrf: m.csrf, nav: true },
  );
}
