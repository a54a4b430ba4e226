/**
 * The outbox stores a Send API body without `recipient` (the person has a column of their own,
 * which orders their messages); these two turn a body into that payload and back.
 */
import type { SendBody } from './types.js';

/** The stored payload: the body without `recipient`, as JSON text. */
export function payloadOf(body: SendBody): string {
  const { recipient: _recipient, ...rest } = body;
  return JSON.stringify(rest);
}

/** The Send API body again, for the person `psid`. */
export function bodyOf(psid: string, payload: string): SendBody {
  return { recipient: { id: psid }, ...(JSON.parse(payload) as object) } as SendBody;
}
