/**
 * Additional authenticated data for each kind of stored secret. It names the row, so a
 * ciphertext moved to another row (another page or user) fails authentication instead of
 * handing one customer's token to another. Ids are Facebook numeric ids, so `:` cannot be
 * part of them.
 */
export function pageTokenAad(pageId: string, userId: string): string {
  return `pagekeeper:page_token:${pageId}:${userId}`;
}

export function userTokenAad(userId: string): string {
  return `pagekeeper:user_token:${userId}`;
}
