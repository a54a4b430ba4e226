/**
 * `pagekeeper messages [--status S] [--page ID] [--since WHEN] [--limit N] [--before ID]`: the outbox
 * browser of the dashboard (/messages) on the command line, newest first, with a short preview
 * of each text and the error Facebook gave.
 */
import { pkError } from '../../errors.js';
import type { ConsoleMessageView } from '../../messenger/outbox-console.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../store/outbox-repository.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';
import { iso, paint, table } from '../output.js';
import { showInvisible } from '../../core/visible-text.js';

export interface MessagesJson {
  messages: Array<{
    id: string;
    pageId: string;
    psid: string;
    status: OutboxStatus;
    attempts: number;
    preview: string;
    retryOf: string | null;
    messageId: string | null;
    error: { code: number | null; subcode: number | null; message: string | null } | null;
    createdAt: string;
    sentAt: string | null;
  }>;
  /** The --before value of the next (older) page; null at the end. */
  next: string | null;
}

const RELATIVE = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: an ISO time or a span back from now (`90m`, `24h`, `7d`). */
export function parseSince(value: string, now: number): Date {
  const rel = RELATIVE.exec(value);
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw pkError('PK_USAGE', { detail: `--since must be an ISO time (2026-01-31T12:00:00Z) or a span back from now such as 90m, 24h or 7d; got ${JSON.stringify(value.slice(0, 40))}` });
  return new Date(t);
}

export async function run(ctx: CommandContext, _args: string[], options: Record<string, unknown>): Promise<CommandResult<MessagesJson>> {
  const status = options.status;
  if (status !== undefined && !(OUTBOX_STATUSES as readonly unknown[]).includes(status)) {
    throw pkError('PK_USAGE', { detail: `--status must be one of ${OUTBOX_STATUSES.join(', ')}` });
  }
  const page = options.page;
  if (page !== undefined && (typeof page !== 'string' || !/^\d{1,32}$/.test(page))) throw pkError('PK_USAGE', { detail: '--page must be a numeric Page id (see `pagekeeper pages`)' });
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw pkError('PK_USAGE', { detail: '--limit must be a whole number from 1 to 500' });
  const before = options.before;
  if (before !== undefined && (typeof before !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(before))) throw pkError('PK_USAGE', { detail: '--before must be a message id (the `next` of the previous page)' });
  const since = typeof options.since === 'string' ? parseSince(options.since, Date.now()) : undefined;

  const messages = await withPageKeeper(ctx, async (pk) => {
    const beforeSeq = before === undefined ? undefined : (await pk.context.store.outboxConsole.get(before))?.seq;
    if (before !== undefined && beforeSeq === undefined) throw pkError('PK_NOT_FOUND', { what: `Message ${before}` });
    return pk.messenger.console.browse({
      ...(status === undefined ? {} : { status: status as OutboxStatus }),
      ...(page === undefined ? {} : { pageId: page }),
      ...(since === undefined ? {} : { since: since.getTime() }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
      limit,
    });
  });
  const data: MessagesJson = {
    messages: messages.map((m) => ({
      id: m.id,
      pageId: m.pageId,
      psid: m.psid,
      status: m.status,
      attempts: m.attempts,
      preview: m.preview,
      retryOf: m.retryOf,
      messageId: m.messageId,
      error: m.error,
      createdAt: iso(m.createdAt) ?? '',
      sentAt: iso(m.sentAt),
    })),
    next: messages.length === limit ? (messages[messages.length - 1]?.id ?? null) : null,
  };
  return { data, human: human(messages, data.next, ctx.color) };
}

function human(messages: ConsoleMessageView[], next: string | null, color: boolean): string {
  if (messages.length === 0) return 'No message matches.';
  const p = paint(color);
  const rows = messages.map((m) => [
    m.id,
    m.pageId,
    m.psid,
    m.status,
    String(m.attempts),
    showInvisible(m.preview),
    m.error ? `${m.error.code === null ? '' : `#${m.error.code} `}${showInvisible(m.error.message ?? '')}` : m.retryOf ? `retry of ${m.retryOf}` : '',
  ]);
  const out = table(['ID', 'PAGE', 'PSID', 'STATUS', 'ATTEMPTS', 'TEXT', 'ERROR'], rows, p);
  return next ? `${out}\n\nOlder: pagekeeper messages --before ${next}` : out;
}
