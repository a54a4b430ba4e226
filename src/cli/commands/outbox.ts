/** `pagekeeper outbox [--status S]`: the outbox's messages (oldest first) and counts by status. */
import { pkError } from '../../errors.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../store/outbox-repository.js';
import type { MessageView } from '../../messenger/outbox.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';
import { iso, paint, table } from '../output.js';

export const OUTBOX_LIST_LIMIT = 1000;

export interface OutboxJson {
  messages: Array<{
    id: string;
    pageId: string;
    psid: string;
    status: OutboxStatus;
    attempts: number;
    messageId: string | null;
    error: { code: number | null; subcode: number | null; message: string | null } | null;
    createdAt: string;
    updatedAt: string;
  }>;
  counts: Record<OutboxStatus, number>;
}

export async function run(ctx: CommandContext, _args: string[], options: Record<string, unknown>): Promise<CommandResult<OutboxJson>> {
  const status = options.status;
  if (status !== undefined && !(OUTBOX_STATUSES as readonly unknown[]).includes(status)) {
    throw pkError('PK_USAGE', { detail: `--status must be one of ${OUTBOX_STATUSES.join(', ')}` });
  }
  const { messages, counts } = await withPageKeeper(ctx, async (pk) => ({
    messages: await pk.messenger.list({ ...(status === undefined ? {} : { status: status as OutboxStatus }), limit: OUTBOX_LIST_LIMIT }),
    counts: await pk.messenger.counts(),
  }));
  const data: OutboxJson = {
    messages: messages.map((m) => ({
      id: m.id,
      pageId: m.pageId,
      psid: m.psid,
      status: m.status,
      attempts: m.attempts,
      messageId: m.messageId,
      error: m.error,
      createdAt: iso(m.createdAt) ?? '',
      updatedAt: iso(m.updatedAt) ?? '',
    })),
    counts,
  };
  return { data, human: human(messages, counts, ctx.color) };
}

function human(messages: MessageView[], counts: Record<OutboxStatus, number>, color: boolean): string {
  const summary = OUTBOX_STATUSES.map((s) => `${s} ${counts[s]}`).join(', ');
  if (messages.length === 0) return `No messages. (${summary})`;
  const p = paint(color);
  const rows = messages.map((m) => [m.id, m.pageId, m.psid, m.status, String(m.attempts), m.messageId ?? m.error?.message ?? '']);
  return `${table(['ID', 'PAGE', 'PSID', 'STATUS', 'ATTEMPTS', 'MESSAGE ID / ERROR'], rows, p)}\n\n${summary}`;
}
