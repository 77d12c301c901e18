/**
 * Reading an SMS reply. Tolerant of spaces anywhere and of letter case (" 3 # 1 ", "21*1"); the
 * codes are per program, so "3#1" sent to a food case is unrecognised. Anything else is
 * unrecognised: recorded, and the case stays open (the citizen may still answer properly).
 */
export type ReplyInterpretation = 'yes' | 'no' | 'unrecognised';

/**
 * What of a reply is kept in the (immutable) event: only the characters a code is made of
 * ([0-9*#], spaces dropped), and only when there are at most this many of them — enough to audit a
 * near-miss ("21*3", "3#1#"), too few to hold an IIN (12 digits) or a phone number (10–11). Free
 * text (names, IINs, phones) is never kept; the event records its length instead.
 */
export const MAX_REPLY_KEPT_CHARS = 8;

/** The redacted form of a reply kept for audit (see MAX_REPLY_KEPT_CHARS). */
export function redactReply(text: string): string {
  const kept = text.replace(/[^0-9*#]/g, '');
  return kept.length <= MAX_REPLY_KEPT_CHARS ? kept : '';
}

const normalise = (text: string) => text.replace(/\s+/g, '').toLowerCase();

export function interpretReply(text: string, codes: { readonly yes: string; readonly no: string }): ReplyInterpretation {
  const reply = normalise(text);
  if (reply === normalise(codes.yes)) return 'yes';
  if (reply === normalise(codes.no)) return 'no';
  return 'unrecognised';
}
