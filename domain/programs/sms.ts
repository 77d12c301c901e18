/**
 * The SMS texts of the orders' annexes, verbatim, as program data (seed 000 annex to appendix 1;
 * seed 004 annex in Russian, seed 003 annex in Kazakh). A text is a template: `{recipientName}`
 * and `{pupilName}` are the parent's and the child's full names, filled from the vault when the
 * gateway pulls the message (names are personal data: never in an event); a program-level blank of
 * the seed (the food annex's «по номеру телефона _________») is filled when the program is defined.
 * domain/programs/sms-texts.test.ts compares every configured text with the seed's own words
 * (whitespace normalised), so a drift from the order fails.
 */
export type SmsLanguage = 'ru' | 'kk';
export const SMS_LANGUAGES: readonly SmsLanguage[] = ['ru', 'kk'];

export const RECIPIENT_NAME = '{recipientName}';
export const PUPIL_NAME = '{pupilName}';

/** One language's texts. `refused` absent: the annex has no reply to a refusal, so none is sent. */
export interface SmsTemplates {
  readonly request: string;
  readonly reminder: string;
  readonly confirmed: string;
  readonly refused?: string;
}

export interface ProgramSms {
  /** The language of a recipient whose list row names none. */
  readonly defaultLanguage: SmsLanguage;
  /** A language without texts here falls back to the default language. */
  readonly byLanguage: Readonly<Partial<Record<SmsLanguage, SmsTemplates>>>;
}

/** The texts a case uses, and the language they are in (the asked one, or the default when it has none). */
export function templatesFor(sms: ProgramSms, language: SmsLanguage | undefined): { readonly language: SmsLanguage; readonly templates: SmsTemplates } {
  const asked = language !== undefined ? sms.byLanguage[language] : undefined;
  if (asked) return { language: language!, templates: asked };
  const fallback = sms.byLanguage[sms.defaultLanguage];
  if (!fallback) throw new Error(`invariant violated: no SMS texts in the default language ${sms.defaultLanguage}`);
  return { language: sms.defaultLanguage, templates: fallback };
}

/**
 * The text as sent: each name placeholder replaced by the person's full name; a name the vault
 * does not have (or a forgotten person's) leaves the greeting without it ("Уважаемый (ая)!").
 */
export function renderSms(template: string, names: { readonly recipientName?: string; readonly pupilName?: string }): string {
  const fill = (text: string, placeholder: string, value: string | undefined) =>
    text
      .split(` ${placeholder}`)
      .join(value ? ` ${value}` : '')
      .split(placeholder)
      .join(value ?? '');
  return fill(fill(template, RECIPIENT_NAME, names.recipientName?.trim()), PUPIL_NAME, names.pupilName?.trim());
}
