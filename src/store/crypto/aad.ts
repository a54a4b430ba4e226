import { pkError } from '../../errors.js';

/**
 * Additional authenticated data for each kind of stored secret. It names the row, so a
 * ciphertext moved to another row (another page or user) fails authentication instead of
 * handing one customer's token to another. Ids must be Facebook numeric ids: with a `:` in an
 * id, page "1:2" of user "3" and page "1" of user "2:3" would share one AAD. The Graph answer
 * schemas refuse non-numeric ids; this is the last line.
 */
const NUMERIC_ID = /^\d{1,32}$/;

function numeric(id: string, what: string): string {
  if (!NUMERIC_ID.test(id)) throw pkError('PK_INTERNAL', { detail: `${what} must be a numeric Facebook id to bind a stored token` });
  return id;
}

export function pageTokenAad(pageId: string, userId: string): string {
  return `pagekeeper:page_token:${numeric(pageId, 'the page id')}:${numeric(userId, 'the user id')}`;
}

export function userTokenAad(userId: string): string {
  return `pagekeeper:user_token:${numeric(userId, 'the user id')}`;
}
