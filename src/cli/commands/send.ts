/**
 * `pagekeeper send <page-id> <psid> [text] [--tag T] [--image URL|FILE]`: sends one message now
 * (no outbox) and prints Facebook's message id. Refused locally, without a Graph call, outside
 * the Messenger window (PK_OUTSIDE_WINDOW names the HUMAN_AGENT tag when it would help).
 * `--instagram`: the recipient is an IGSID and the message goes to the Page's linked Instagram
 * account, with Instagram's limits and window (docs/instagram.md).
 * `--image FILE` (anything that is not an http(s) URL): the file is uploaded with the Attachment
 * Upload API first and sent by its attachment id (docs/messenger-profile.md).
 */
import { resolve } from 'node:path';
import { pkError } from '../../errors.js';
import { image, text } from '../../messenger/build-message.js';
import type { SendOptions } from '../../messenger/types.js';
import type { CommandContext, CommandResult } from '../context.js';
import { withPageKeeper } from '../open-page-keeper.js';

export interface SendJson {
  messageId: string;
  recipientId: string;
}

const USAGE = 'usage: pagekeeper send <page-id> <psid|igsid> [text] [--tag HUMAN_AGENT] [--image URL|FILE] [--instagram] (give text or --image)';

export async function run(ctx: CommandContext, args: string[], options: Record<string, unknown>): Promise<CommandResult<SendJson>> {
  const [pageId, psid, ...words] = args;
  const imageUrl = typeof options.image === 'string' ? options.image : undefined;
  const tag = typeof options.tag === 'string' ? options.tag : undefined;
  const body = words.join(' ');
  if (!pageId || !/^\d+$/.test(pageId) || !psid) throw pkError('PK_USAGE', { detail: USAGE });
  if ((body === '') === (imageUrl === undefined)) throw pkError('PK_USAGE', { detail: USAGE });
  const sendOptions: SendOptions = tag === undefined ? { messagingType: 'RESPONSE' } : { messagingType: 'MESSAGE_TAG', tag };
  const channel = options.instagram === true ? ('instagram' as const) : ('messenger' as const);
  const isFile = imageUrl !== undefined && !/^https?:\/\//i.test(imageUrl);
  if (isFile && channel === 'instagram') throw pkError('PK_USAGE', { detail: '--image FILE uploads through the Messenger Attachment Upload API; for --instagram give an image URL' });
  const r = await withPageKeeper(ctx, async (pk) => {
    let message = imageUrl === undefined ? text(body) : image(imageUrl);
    if (isFile) {
      // Uploaded once, then sent by id: the id can be sent again without uploading (Attachment Upload API).
      const { attachmentId } = await pk.page(pageId).uploadAttachment({ file: resolve(ctx.cwd, imageUrl), type: 'image' });
      message = image({ attachmentId });
    }
    return pk.messenger.send(pageId, psid, message, { ...sendOptions, signal: ctx.signal, channel });
  });
  return { data: { messageId: r.messageId, recipientId: r.recipientId }, human: r.messageId };
}
