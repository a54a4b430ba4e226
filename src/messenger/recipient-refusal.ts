/**
 * Send API refusals that are about one recipient (or one message), not about the Page's token:
 * they fail that message only, with a plain reason and what to do, and the Page's other
 * messages keep going. Everything else about permissions (bare 10, 200-299, 230) means the
 * token lost what sending needs and holds the Page (retry-policy.ts).
 *
 * Sources: https://developers.facebook.com/docs/messenger-platform/error-codes and
 * https://developers.facebook.com/docs/messenger-platform/send-messages (standard window). The
 * development-mode refusal is recorded as code 10 without a subcode, and listed in the table
 * as 200/2018028; both carry the same sentence, which is how a bare 10 is told apart.
 */
export interface RecipientRefusal {
  reason: string;
  fix: string;
}

const NOT_A_TESTER = /not admins, developers or testers of the app/i;

export const DEVELOPMENT_MODE_FIX = 'add the person as a tester in App Roles, or take the app live after App Review of pages_messaging';

/** Is this refusal about the recipient or the message (fail it alone)? null: it is not. Pure. */
export function recipientRefusal(code: number | null, subcode: number | null, message = ''): RecipientRefusal | null {
  if ((code === 10 || code === 200) && (subcode === 2018028 || (subcode === null && NOT_A_TESTER.test(message)))) {
    return {
      reason:
        'Facebook refused the message because the app may only message people with a role on it (admins, developers, testers) while it is in development mode or pages_messaging is not approved',
      fix: DEVELOPMENT_MODE_FIX,
    };
  }
  if (code === 551 || subcode === 1545041) {
    return {
      reason: "This person isn't available right now: they blocked the Page or cannot receive messages from it",
      fix: 'Nothing to change on your side; the person can message the Page again when they want to hear from it.',
    };
  }
  if (code === 10 && subcode === 2018108) {
    return { reason: "Facebook says this person can't receive the Page's messages right now", fix: 'Nothing to change on your side; try again only after the person writes to the Page.' };
  }
  if (code === 100 && subcode === 2018109) {
    return { reason: 'Facebook refused the attachment for this person (attachment size exceeds the allowed limit)', fix: 'Send a smaller file (images 8 MB, other files 25 MB) or a link.' };
  }
  if (code === 100 && subcode === 2018001) {
    return {
      reason: 'Facebook found no person with this id for this Page (the PSID is wrong or belongs to another Page)',
      fix: 'Use the PSID from a webhook or conversation of this Page; PSIDs differ per Page.',
    };
  }
  if (code === 10 && (subcode === 2018278 || subcode === 2534022)) {
    return {
      reason: 'Facebook refused the message because it was sent outside the allowed window (more than 24 hours after the person last wrote; the HUMAN_AGENT tag allows 7 days)',
      fix: 'Wait until the person writes again, or, if a person on your team is answering, send with the HUMAN_AGENT tag within 7 days.',
    };
  }
  if (code === 100 && subcode === 2534014) return { reason: 'Facebook found no Instagram user with this id for this account', fix: 'Use the IGSID from a webhook of this account.' };
  return null;
}
