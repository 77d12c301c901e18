/**
 * Reading an SMS reply. Tolerant of spaces anywhere and of letter case (" 3 # 1 ", "21*1"); the
 * codes are per program, so "3#1" sent to a food case is unrecognised. Anything else is
 * unrecognised: recorded, and the case stays open (the citizen may still answer properly).
 */
export type ReplyInterpretation = 'yes' | 'no' | 'unrecognised';

/** Replies longer than this are not codes; they are kept (truncated) for audit only. */
export const MAX_REPLY_TEXT_CHARS = 160;

const normalise = (text: string) => text.replace(/\s+/g, '').toLowerCase();

export function interpretReply(text: string, codes: { readonly yes: string; readonly no: string }): ReplyInterpretation {
  const reply = normalise(text);
  if (reply === normalise(codes.yes)) return 'yes';
  if (reply === normalise(codes.no)) return 'no';
  return 'unrecognised';
}
