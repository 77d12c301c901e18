/**
 * The configured SMS texts against the seeds' own words: each text is cut out of the seed file
 * (../shared/seeds, as CI has it beside the repository), its blanks replaced as the program fills
 * them, and compared with whitespace normalised. A configured text that drifts from the order fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FOOD_VOUCHERS } from './food-vouchers';
import { SCHOOL_MEALS } from './school-meals';
import { PUPIL_NAME, RECIPIENT_NAME, renderSms, templatesFor } from './sms';

const SEEDS = join(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'seeds');
const seed = (file: string) => readFileSync(join(SEEDS, file), 'utf8');
const normalised = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The seed's text from `start` to `end` (both included), first occurrence. */
function cut(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  expect(from, `seed has «${start}»`).toBeGreaterThanOrEqual(0);
  const to = text.indexOf(end, from);
  expect(to, `seed has «${end}» after «${start}»`).toBeGreaterThan(from);
  return text.slice(from, to + end.length);
}

describe('school meals: the texts of seed 000, annex to appendix 1, verbatim', () => {
  const annex = seed('000_c17c0e88db689aff.txt');
  const ru = SCHOOL_MEALS.sms.byLanguage.ru!;
  it('start SMS (1.): the names in the blanks, the consent to personal data, its duration, no third parties, the call centre', () => {
    const text = cut(annex, 'Уважаемый (ая)', 'Звонок бесплатный.')
      // The annex names what goes in each blank on the line after it.
      .replaceAll('(фамилия, имя, отчество (при его наличии)', '')
      .replace(/_{5,}/, RECIPIENT_NAME)
      .replace(/_{5,}/, PUPIL_NAME);
    expect(normalised(ru.request)).toBe(normalised(text));
  });
  it('the repeat SMS (appendix 1 p. 10) is the start SMS again', () => {
    expect(ru.reminder).toBe(ru.request);
  });
  it('reply to a refusal (2.)', () => {
    expect(normalised(ru.refused!)).toBe(normalised(cut(annex, 'Вы отказались', 'услуги.')));
  });
  it('reply to a consent (3.), with the link the annex gives', () => {
    expect(normalised(ru.confirmed)).toBe(normalised(cut(annex, 'Ваше согласие на получение бесплатного питания', 'socwallet.')));
  });
  it('has no Kazakh text (the seeds give none): a Kazakh recipient gets the Russian one', () => {
    expect(templatesFor(SCHOOL_MEALS.sms, 'kk')).toEqual({ language: 'ru', templates: ru });
  });
});

describe('food vouchers: the texts of seed 004 (Russian) and 003 (Kazakh), verbatim', () => {
  const phone = FOOD_VOUCHERS.informationPhone;
  /** The annex's SMS are in quotation marks: the text is what they enclose. */
  const quoted = (text: string) => text.replace(/^"/, '').replace(/"\.?$/, '');
  it('start SMS in Russian (004 annex, 1.), the blank phone filled with the program parameter', () => {
    const text = quoted(cut(seed('004_4960d662eea1fc2c.txt'), '"Уважаемый пользователь!', '_________"')).replace('_________', phone);
    expect(normalised(FOOD_VOUCHERS.sms.byLanguage.ru!.request)).toBe(normalised(text));
  });
  it('reply to a consent in Russian (004 annex, 2.)', () => {
    const text = quoted(cut(seed('004_4960d662eea1fc2c.txt'), '"Ваше согласие на получение ваучера', 'socwallet"'));
    expect(normalised(FOOD_VOUCHERS.sms.byLanguage.ru!.confirmed)).toBe(normalised(text));
  });
  it('start SMS in Kazakh (003 annex, 1.)', () => {
    const text = quoted(cut(seed('003_67d267d838533c0e.txt'), '"Құрметті пайдаланушы!', 'хабарласу қажет"')).replace('_________', phone);
    expect(normalised(FOOD_VOUCHERS.sms.byLanguage.kk!.request)).toBe(normalised(text));
  });
  it('reply to a consent in Kazakh (003 annex, 2.), less the quotation mark the seed puts after the link', () => {
    const text = cut(seed('003_67d267d838533c0e.txt'), '"Әлеуметтік әмияннан"', 'тіркелу қажет.').replace('socwallet"', 'socwallet');
    expect(normalised(FOOD_VOUCHERS.sms.byLanguage.kk!.confirmed)).toBe(normalised(text));
  });
  it('sends no reply to a refusal: the annex has none', () => {
    expect(FOOD_VOUCHERS.sms.byLanguage.ru!.refused).toBeUndefined();
    expect(FOOD_VOUCHERS.sms.byLanguage.kk!.refused).toBeUndefined();
  });
  it('repeats the start SMS as the reminder (p. 20)', () => {
    expect(FOOD_VOUCHERS.sms.byLanguage.ru!.reminder).toBe(FOOD_VOUCHERS.sms.byLanguage.ru!.request);
  });
});

describe('personalising a text from the vault', () => {
  it('puts the parent’s and the child’s full names in their blanks', () => {
    const text = renderSms(SCHOOL_MEALS.sms.byLanguage.ru!.request, { recipientName: 'Ахметова Айгерим Нурлановна', pupilName: 'Ахметов Арман' });
    expect(text.startsWith('Уважаемый (ая) Ахметова Айгерим Нурлановна!\nВашему ребенку Ахметов Арман полагается')).toBe(true);
    expect(text).not.toContain('{');
  });
  it('leaves the greeting without a name the vault does not have', () => {
    expect(renderSms(SCHOOL_MEALS.sms.byLanguage.ru!.request, {}).startsWith('Уважаемый (ая)!\nВашему ребенку полагается')).toBe(true);
  });
});
