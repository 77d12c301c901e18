import { describe, expect, it } from 'vitest';
import type { ConsentEvent } from '../events';
import { SCHOOL_MEALS } from '../programs/school-meals';
import { FOOD_VOUCHERS } from '../programs/food-vouchers';
import { given } from '../../test/given';
import { consentCase as decider, caseIdOfMessage, createConsentDecider, MAX_SMS_ATTEMPTS, type ConsentCommand, type OpenCase } from './consent-case';
import { DEFAULT_PROGRAMS } from './policy';
import {
  FOOD_CASE,
  MEALS_CASE,
  delivery,
  family,
  father,
  fire,
  guardian,
  mother,
  noPhone,
  openFood,
  openMeals,
  pupil,
  reply,
} from '../../test/consent-fixtures';

const MEALS_RU = SCHOOL_MEALS.sms.byLanguage.ru!;
const FOOD_RU = FOOD_VOUCHERS.sms.byLanguage.ru!;
/** What a meals SMS carries besides its text: the language and the pupil it is about. */
const ABOUT = { language: 'ru' as const, aboutPersonId: 'p_pupil' };

// Almaty is UTC+5: local midnight of D+1 is D 19:00Z.
const OPENED = '2026-03-02T05:00:00.000Z'; // Mon 2 March, 10:00 local
const REMINDER_DUE = '2026-03-05T19:00:00.000Z'; // end of local 5 March (3 days after the 2nd)
const TIMEOUT_DUE = '2026-03-09T19:00:00.000Z'; // reminder sent on local 6 March → end of the 9th

/** Runs commands through the decider, returning the whole history. */
function history(...commands: ConsentCommand[]): ConsentEvent[] {
  const events: ConsentEvent[] = [];
  for (const c of commands) events.push(...given(decider, events).when(c).events());
  return events;
}

describe('opening a school-meals case (seed 001 appendix 1 p. 7–9)', () => {
  it('asks the mother first even when the father is listed first, and schedules the reminder after 3 calendar days', () => {
    given(decider)
      .when(openMeals(OPENED))
      .then([
        {
          type: 'ConsentCaseOpened',
          data: {
            caseId: MEALS_CASE,
            program: 'school-meals',
            familyId: 'fam-1',
            subject: pupil(),
            representatives: [father, mother],
            listId: 'list-1',
            rowNo: 1,
            openedAt: OPENED,
          },
        },
        {
          type: 'SmsRequested',
          data: {
            caseId: MEALS_CASE,
            messageId: `${MEALS_CASE}#1`,
            kind: 'consent_request',
            recipientPersonId: 'p_mother',
            role: 'mother',
            text: MEALS_RU.request,
            ...ABOUT,
            replyBy: REMINDER_DUE,
          },
        },
        { type: 'DeadlineScheduled', data: { deadlineId: `${MEALS_CASE}:reminder`, kind: 'consent_reminder', dueAt: REMINDER_DUE, stream: MEALS_CASE } },
      ]);
  });
  it('asks the father when the mother has no phone', () => {
    const events = given(decider)
      .when(openMeals(OPENED, { representatives: [noPhone(mother), father, guardian] }))
      .events();
    expect(events[1]).toMatchObject({ type: 'SmsRequested', data: { recipientPersonId: 'p_father', role: 'father' } });
  });
  it('asks another legal representative when neither parent has a phone', () => {
    const events = given(decider)
      .when(openMeals(OPENED, { representatives: [noPhone(mother), noPhone(father), guardian] }))
      .events();
    expect(events[1]).toMatchObject({ type: 'SmsRequested', data: { recipientPersonId: 'p_guardian', role: 'guardian' } });
  });
  it('ends the case with ConsentPhoneNotFound when no representative has a phone in BMG (p. 8)', () => {
    const events = given(decider)
      .when(openMeals(OPENED, { representatives: [noPhone(mother), noPhone(father)] }))
      .events();
    expect(events.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'ConsentPhoneNotFound']);
  });
  it('sends no SMS for primary grades: ConsentNotRequired (seed 002)', () => {
    for (const grade of [1, 2, 3, 4]) {
      const events = given(decider).when(openMeals(OPENED, { grade })).events();
      expect(events.slice(1)).toEqual([{ type: 'ConsentNotRequired', data: { caseId: MEALS_CASE, reason: 'primary_grade' } }]);
    }
  });
  it('asks for consent from grade 5 up', () => {
    expect(
      given(decider)
        .when(openMeals(OPENED, { grade: 5 }))
        .events()[1]!.type,
    ).toBe('SmsRequested');
  });
  it('opening again for the same list row changes nothing', () => {
    given(decider, history(openMeals(OPENED)))
      .when(openMeals('2026-03-03T05:00:00.000Z'))
      .then([]);
  });
  it('refuses a second case for the same pupil and year from another list row: already_covered', () => {
    const other = openMeals('2026-03-03T05:00:00.000Z');
    given(decider, history(openMeals(OPENED)))
      .when({ ...other, data: { ...other.data, listId: 'list-2' } })
      .thenFails('already_covered');
  });
});

describe('replies (annex: 3#1 agree, 3#2 refuse)', () => {
  const opened = () => history(openMeals(OPENED));
  it('3#1 gives consent and confirms by SMS', () => {
    const at = '2026-03-03T06:00:00.000Z';
    given(decider, opened())
      .when(reply('3#1', at))
      .then([
        { type: 'SmsReplyReceived', data: { caseId: MEALS_CASE, text: '3#1', interpretation: 'yes', receivedAt: at, late: false } },
        { type: 'ConsentGiven', data: { caseId: MEALS_CASE, byPersonId: 'p_mother', at } },
        {
          type: 'SmsRequested',
          data: {
            caseId: MEALS_CASE,
            messageId: `${MEALS_CASE}#2`,
            kind: 'consent_confirmed',
            recipientPersonId: 'p_mother',
            role: 'mother',
            text: MEALS_RU.confirmed,
            ...ABOUT,
          },
        },
      ]);
  });
  it('3#2 refuses and acknowledges by SMS ("You have refused the service")', () => {
    const at = '2026-03-03T06:00:00.000Z';
    const events = given(decider, opened()).when(reply('3#2', at)).events();
    expect(events.map((e) => e.type)).toEqual(['SmsReplyReceived', 'ConsentRefused', 'SmsRequested']);
    expect(events[2]).toMatchObject({ data: { kind: 'consent_refused_ack', text: MEALS_RU.refused } });
  });
  it('is tolerant of spaces and case', () => {
    for (const text of [' 3 # 1 ', '3#1\n', '\t3#1'])
      expect(given(decider, opened()).when(reply(text, '2026-03-03T06:00:00.000Z')).events()[1]!.type).toBe('ConsentGiven');
    const food = history(openFood('2026-03-06T05:00:00.000Z'));
    expect(
      given(decider, food)
        .when(reply(' 21 * 2 ', '2026-03-07T06:00:00.000Z', 'p_head'))
        .events()[1]!.type,
    ).toBe('ConsentRefused');
  });
  it('records an unrecognised reply and keeps the case open', () => {
    const at = '2026-03-03T06:00:00.000Z';
    const events = given(decider, opened())
      .when(reply('yes please', at))
      .then([
        { type: 'SmsReplyReceived', data: { caseId: MEALS_CASE, text: '', textLength: 10, interpretation: 'unrecognised', receivedAt: at, late: false } },
      ]);
    given(decider, [...opened(), ...events])
      .when(reply('3#1', '2026-03-03T07:00:00.000Z'))
      .thenState((s) => expect(s).toMatchObject({ status: 'Closed', outcome: 'given' }));
  });
  it('the other program’s code is unrecognised (21*1 to a meals case)', () => {
    expect(given(decider, opened()).when(reply('21*1', '2026-03-03T06:00:00.000Z')).events()[0]).toMatchObject({ data: { interpretation: 'unrecognised' } });
  });
  it('a reply after the case ended is recorded as late and changes nothing', () => {
    const closed = history(openMeals(OPENED), reply('3#2', '2026-03-03T06:00:00.000Z'));
    given(decider, closed)
      .when(reply('3#1', '2026-03-04T06:00:00.000Z'))
      .then([
        { type: 'SmsReplyReceived', data: { caseId: MEALS_CASE, text: '3#1', interpretation: 'yes', receivedAt: '2026-03-04T06:00:00.000Z', late: true } },
      ]);
  });
  it('a reply to a case never opened is refused: case_not_found', () => {
    given(decider).when(reply('3#1', OPENED)).thenFails('case_not_found');
  });
  it('keeps only a redacted reply: code characters, never free text, an IIN or a phone (review finding 7)', () => {
    const kept = (text: string) =>
      given(decider, opened()).when(reply(text, '2026-03-03T06:00:00.000Z')).events()[0]!.data as { text: string; textLength?: number };
    expect(kept('x'.repeat(500))).toMatchObject({ text: '', textLength: 500 });
    expect(kept('Айгерим Сапарова, ИИН 870412300123, тел +7 701 234 5678')).toMatchObject({ text: '' });
    expect(kept('8704 1230 0123')).toMatchObject({ text: '', textLength: 14 });
    expect(kept(' 3 # 3 ')).toEqual(expect.objectContaining({ text: '3#3', textLength: 7 }));
    expect(kept('3#1')).not.toHaveProperty('textLength');
  });
});

describe('reminder and timeout (p. 10: 3 + 3 calendar days, Asia/Almaty)', () => {
  const opened = () => history(openMeals(OPENED));
  it('the reminder is not due one second before the end of the 3rd local day', () => {
    given(decider, opened())
      .when(fire(MEALS_CASE, 'reminder', '2026-03-05T18:59:59.000Z'))
      .then([]);
  });
  it('sends the reminder at the end of the 3rd day and schedules the timeout 3 days after it', () => {
    given(decider, opened())
      .when(fire(MEALS_CASE, 'reminder', REMINDER_DUE))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${MEALS_CASE}:reminder`, kind: 'consent_reminder', firedAt: REMINDER_DUE } },
        // Quiet hours: the deadline fires at local midnight; the SMS waits for 09:00 the same day, so
        // the 3 days still end with the 9th (old reading: the SMS went out at midnight).
        {
          type: 'SmsRequested',
          data: {
            caseId: MEALS_CASE,
            messageId: `${MEALS_CASE}#2`,
            kind: 'consent_reminder',
            recipientPersonId: 'p_mother',
            role: 'mother',
            text: MEALS_RU.reminder,
            ...ABOUT,
            replyBy: TIMEOUT_DUE,
            notBefore: '2026-03-06T04:00:00.000Z',
          },
        },
        { type: 'DeadlineScheduled', data: { deadlineId: `${MEALS_CASE}:timeout`, kind: 'consent_timeout', dueAt: TIMEOUT_DUE, stream: MEALS_CASE } },
      ]);
  });
  it('a reply between the first window and the reminder still counts', () => {
    expect(given(decider, opened()).when(reply('3#1', '2026-03-05T20:00:00.000Z')).events()[1]!.type).toBe('ConsentGiven');
  });
  it('times out when nobody answered 3 days after the reminder', () => {
    const reminded = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE));
    given(decider, reminded)
      .when(fire(MEALS_CASE, 'timeout', TIMEOUT_DUE))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${MEALS_CASE}:timeout`, kind: 'consent_timeout', firedAt: TIMEOUT_DUE } },
        { type: 'ConsentTimedOut', data: { caseId: MEALS_CASE, at: TIMEOUT_DUE } },
      ]);
  });
  it('a reply in the last second before the timeout counts', () => {
    const reminded = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE));
    expect(given(decider, reminded).when(reply('3#1', '2026-03-09T18:59:59.999Z')).events()[1]!.type).toBe('ConsentGiven');
  });
  it('a reply at the timeout instant, before the scheduler fired, ends the case as timed out and is late', () => {
    const reminded = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE));
    given(decider, reminded)
      .when(reply('3#1', TIMEOUT_DUE))
      .then([
        { type: 'ConsentTimedOut', data: { caseId: MEALS_CASE, at: TIMEOUT_DUE } },
        { type: 'SmsReplyReceived', data: { caseId: MEALS_CASE, text: '3#1', interpretation: 'yes', receivedAt: TIMEOUT_DUE, late: true } },
      ]);
  });
  it('a reminder fired late sends nothing once the window it would have opened is over; one ms earlier it still goes out (review finding 3)', () => {
    given(decider, opened())
      .when(fire(MEALS_CASE, 'reminder', TIMEOUT_DUE))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${MEALS_CASE}:reminder`, kind: 'consent_reminder', firedAt: TIMEOUT_DUE } },
        { type: 'ConsentTimedOut', data: { caseId: MEALS_CASE, at: TIMEOUT_DUE } },
      ]);
    const events = given(decider, opened())
      .when(fire(MEALS_CASE, 'reminder', '2026-03-09T18:59:59.999Z'))
      .events();
    expect(events.map((e) => e.type)).toEqual(['DeadlineFired', 'SmsRequested', 'DeadlineScheduled']);
    // 23:59:59 local on the 9th: the SMS waits for 09:00 on the 10th, and its 3 days end with the 13th.
    expect(events[1]).toMatchObject({ data: { notBefore: '2026-03-10T04:00:00.000Z', replyBy: '2026-03-13T19:00:00.000Z' } });
    expect(events[2]).toMatchObject({ data: { kind: 'consent_timeout', dueAt: '2026-03-13T19:00:00.000Z' } });
  });
  it('a deadline of a closed case is recorded as fired and does nothing else', () => {
    const closed = history(openMeals(OPENED), reply('3#1', '2026-03-03T06:00:00.000Z'));
    given(decider, closed)
      .when(fire(MEALS_CASE, 'reminder', REMINDER_DUE))
      .then([{ type: 'DeadlineFired', data: { deadlineId: `${MEALS_CASE}:reminder`, kind: 'consent_reminder', firedAt: REMINDER_DUE } }]);
  });
  it('firing the same deadline twice records it once', () => {
    const fired = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE));
    given(decider, fired)
      .when(fire(MEALS_CASE, 'reminder', '2026-03-06T00:00:00.000Z'))
      .then([]);
  });
  it('an unknown deadline or a case never opened records nothing', () => {
    given(decider, history(openMeals(OPENED)))
      .when(fire(MEALS_CASE, 'timeout', '2026-04-01T00:00:00.000Z'))
      .then([]);
    given(decider)
      .when(fire(MEALS_CASE, 'timeout', '2026-04-01T00:00:00.000Z'))
      .then([]);
  });
});

describe('food vouchers (seed 004 p. 17–21: SMS on the 5th, reminder after 5 days, answer by month end)', () => {
  const FIFTH_0900 = '2026-03-05T04:00:00.000Z';
  const MONTH_END = '2026-03-31T19:00:00.000Z';
  it('a list received before the 5th schedules the start SMS for the 5th at 09:00 local', () => {
    given(decider)
      .when(openFood('2026-03-02T05:00:00.000Z'))
      .then([
        {
          type: 'ConsentCaseOpened',
          data: {
            caseId: FOOD_CASE,
            program: 'food-vouchers',
            familyId: 'fam-1',
            subject: family(),
            representatives: [{ personId: 'p_head', role: 'guardian', hasPhone: true }],
            listId: 'sdu-1',
            rowNo: 1,
            openedAt: '2026-03-02T05:00:00.000Z',
          },
        },
        { type: 'DeadlineScheduled', data: { deadlineId: `${FOOD_CASE}:request`, kind: 'consent_request', dueAt: FIFTH_0900, stream: FOOD_CASE } },
      ]);
  });
  it('on the 5th the start SMS goes out with "21*1 = YES, 21*2 = NO" and a reminder 5 calendar days later', () => {
    const scheduled = history(openFood('2026-03-02T05:00:00.000Z'));
    given(decider, scheduled)
      .when(fire(FOOD_CASE, 'request', FIFTH_0900))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${FOOD_CASE}:request`, kind: 'consent_request', firedAt: FIFTH_0900 } },
        {
          type: 'SmsRequested',
          data: {
            caseId: FOOD_CASE,
            messageId: `${FOOD_CASE}#1`,
            kind: 'consent_request',
            recipientPersonId: 'p_head',
            role: 'guardian',
            text: FOOD_RU.request,
            language: 'ru',
            replyBy: '2026-03-10T19:00:00.000Z',
          },
        },
        {
          type: 'DeadlineScheduled',
          data: { deadlineId: `${FOOD_CASE}:reminder`, kind: 'consent_reminder', dueAt: '2026-03-10T19:00:00.000Z', stream: FOOD_CASE },
        },
      ]);
  });
  it('a list received on or after the 5th sends the SMS at once', () => {
    const events = given(decider).when(openFood(FIFTH_0900)).events();
    expect(events.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'SmsRequested', 'DeadlineScheduled']);
  });
  it('the reminder sets the timeout at the end of the month', () => {
    const requested = history(openFood(FIFTH_0900));
    const events = given(decider, requested)
      .when(fire(FOOD_CASE, 'reminder', '2026-03-10T19:00:00.000Z'))
      .events();
    expect(events[2]).toEqual({
      type: 'DeadlineScheduled',
      data: { deadlineId: `${FOOD_CASE}:timeout`, kind: 'consent_timeout', dueAt: MONTH_END, stream: FOOD_CASE },
    });
  });
  it('late in the month there is no room for a reminder: the timeout is scheduled at once', () => {
    const events = given(decider).when(openFood('2026-03-27T05:00:00.000Z')).events();
    expect(events[2]).toEqual({
      type: 'DeadlineScheduled',
      data: { deadlineId: `${FOOD_CASE}:timeout`, kind: 'consent_timeout', dueAt: MONTH_END, stream: FOOD_CASE },
    });
  });
  it('a reply in the last second of the month counts; one at midnight does not', () => {
    const reminded = history(openFood(FIFTH_0900), fire(FOOD_CASE, 'reminder', '2026-03-10T19:00:00.000Z'));
    expect(
      given(decider, reminded)
        .when(reply('21*1', '2026-03-31T18:59:59.999Z', 'p_head'))
        .events()[1]!.type,
    ).toBe('ConsentGiven');
    expect(
      given(decider, reminded)
        .when(reply('21*1', MONTH_END, 'p_head'))
        .events()[0]!.type,
    ).toBe('ConsentTimedOut');
  });
  it('a reply after the month end is late even when the reminder has not fired yet (review finding 4)', () => {
    const requested = history(openFood(FIFTH_0900));
    given(decider, requested)
      .when(reply('21*1', MONTH_END, 'p_head'))
      .then([
        { type: 'ConsentTimedOut', data: { caseId: FOOD_CASE, at: MONTH_END } },
        { type: 'SmsReplyReceived', data: { caseId: FOOD_CASE, text: '21*1', interpretation: 'yes', receivedAt: MONTH_END, late: true } },
      ]);
    const scheduled = history(openFood('2026-03-02T05:00:00.000Z'));
    expect(
      given(decider, scheduled)
        .when(reply('21*1', '2026-04-02T05:00:00.000Z', 'p_head'))
        .events()[0]!.type,
    ).toBe('ConsentTimedOut');
  });
  it('a start SMS or reminder fired after the month end sends nothing and times out at the month end (review finding 3)', () => {
    const late = '2026-04-01T03:00:00.000Z';
    given(decider, history(openFood(FIFTH_0900)))
      .when(fire(FOOD_CASE, 'reminder', late))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${FOOD_CASE}:reminder`, kind: 'consent_reminder', firedAt: late } },
        { type: 'ConsentTimedOut', data: { caseId: FOOD_CASE, at: MONTH_END } },
      ]);
    given(decider, history(openFood('2026-03-02T05:00:00.000Z')))
      .when(fire(FOOD_CASE, 'request', late))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: `${FOOD_CASE}:request`, kind: 'consent_request', firedAt: late } },
        { type: 'ConsentTimedOut', data: { caseId: FOOD_CASE, at: MONTH_END } },
      ]);
  });
  it('the SMS goes to the family head only, never to another member by the meals priority (p. 15, 17, 19; review finding 5)', () => {
    const head = { personId: 'p_head', role: 'guardian' as const, hasPhone: true };
    const events = given(decider)
      .when(openFood(FIFTH_0900, { representatives: [head, mother] }))
      .events();
    expect(events[1]).toMatchObject({ type: 'SmsRequested', data: { recipientPersonId: 'p_head' } });
    const noHeadPhone = given(decider)
      .when(openFood(FIFTH_0900, { representatives: [noPhone(head), mother, father] }))
      .events();
    expect(noHeadPhone.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'ConsentPhoneNotFound']);
  });
  it('no phone for the family head ends the case (p. 17)', () => {
    const events = given(decider)
      .when(openFood(FIFTH_0900, { representatives: [{ personId: 'p_head', role: 'guardian', hasPhone: false }] }))
      .events();
    expect(events.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'ConsentPhoneNotFound']);
  });
  it('grades never skip consent in the food program', () => {
    expect(given(decider).when(openFood(FIFTH_0900)).events()[1]!.type).toBe('SmsRequested');
  });
});

describe('SMS outbox delivery reports', () => {
  const opened = () => history(openMeals(OPENED));
  const id = `${MEALS_CASE}#1`;
  it('recovers the case from a message id', () => {
    expect(caseIdOfMessage(id)).toBe(MEALS_CASE);
    expect(caseIdOfMessage('nonsense')).toBeUndefined();
  });
  it('records SmsSent', () => {
    given(decider, opened())
      .when(delivery(id, 'sent', '2026-03-02T05:00:05.000Z'))
      .then([{ type: 'SmsSent', data: { caseId: MEALS_CASE, messageId: id, sentAt: '2026-03-02T05:00:05.000Z' } }]);
  });
  it(`retries a failed SMS until ${MAX_SMS_ATTEMPTS} failures, then asks the next representative (seed 000 app. 1 p. 9)`, () => {
    let events = opened();
    for (let attempt = 1; attempt < MAX_SMS_ATTEMPTS; attempt++) {
      const at = `2026-03-02T05:0${attempt}:00.000Z`;
      const next = given(decider, events)
        .when(delivery(id, 'failed', at, 'unreachable'))
        .then([
          {
            type: 'SmsFailed',
            data: {
              caseId: MEALS_CASE,
              messageId: id,
              failedAt: at,
              reason: 'unreachable',
              attempt,
              willRetry: true,
              retryAt: new Date(Date.parse(at) + 60_000 * attempt).toISOString(),
            },
          },
        ]);
      events = [...events, ...next];
    }
    // Old reading: the final failure left the case waiting for a reply nobody could send, until it "timed out".
    const at = '2026-03-02T05:03:00.000Z';
    const last = given(decider, events)
      .when(delivery(id, 'failed', at, 'unreachable'))
      .events();
    expect(last.map((e) => e.type)).toEqual(['SmsFailed', 'SmsRequested', 'DeadlineScheduled']);
    expect(last[0]).toMatchObject({ data: { attempt: MAX_SMS_ATTEMPTS, willRetry: false } });
    expect(last[1]).toMatchObject({
      data: { messageId: `${MEALS_CASE}#2`, kind: 'consent_request', recipientPersonId: 'p_father', replyBy: '2026-03-05T19:00:00.000Z' },
    });
    expect(last[2]).toMatchObject({ data: { deadlineId: `${MEALS_CASE}:reminder:2`, kind: 'consent_reminder' } });
    given(decider, [...events, ...last])
      .when(delivery(id, 'sent', '2026-03-02T06:00:00.000Z'))
      .then([]);
  });
  it('a sent SMS after one failure is recorded as sent', () => {
    const failed = history(openMeals(OPENED), delivery(id, 'failed', '2026-03-02T05:01:00.000Z'));
    expect(
      given(decider, failed)
        .when(delivery(id, 'sent', '2026-03-02T05:02:00.000Z'))
        .events()[0]!.type,
    ).toBe('SmsSent');
  });
  it('a duplicate report changes nothing', () => {
    const sent = history(openMeals(OPENED), delivery(id, 'sent', '2026-03-02T05:01:00.000Z'));
    given(decider, sent)
      .when(delivery(id, 'sent', '2026-03-02T05:02:00.000Z'))
      .then([]);
  });
  it('refuses a report for an unknown message: sms_message_not_found', () => {
    given(decider, opened())
      .when(delivery(`${MEALS_CASE}#9`, 'sent', OPENED))
      .thenFails('sms_message_not_found');
    given(decider)
      .when(delivery(id, 'sent', OPENED))
      .thenFails('sms_message_not_found');
  });
  it('the confirmation SMS of a closed case is delivered too', () => {
    const closed = history(openMeals(OPENED), reply('3#1', '2026-03-03T06:00:00.000Z'));
    expect(
      given(decider, closed)
        .when(delivery(`${MEALS_CASE}#2`, 'sent', '2026-03-03T06:00:01.000Z'))
        .events()[0]!.type,
    ).toBe('SmsSent');
  });
});

describe('a decider configured with other programs (review finding 14)', () => {
  it('replay chooses the scheduled recipient by the configured priority, not the default one', () => {
    const programs = {
      ...DEFAULT_PROGRAMS,
      food: { ...FOOD_VOUCHERS, smsRecipient: 'by_priority' as const, recipientPriority: ['father', 'mother', 'guardian'] as const },
    };
    const configured = createConsentDecider(programs);
    const opened = given(configured)
      .when(openFood('2026-03-02T05:00:00.000Z', { representatives: [mother, father] }))
      .events();
    const events = given(configured, opened)
      .when(fire(FOOD_CASE, 'request', '2026-03-05T04:00:00.000Z'))
      .events();
    expect(events[1]).toMatchObject({ type: 'SmsRequested', data: { kind: 'consent_request', recipientPersonId: 'p_father', role: 'father' } });
  });
});

describe('the annex texts in the recipient’s language (seed 000 annex; seed 004 / 003 annex)', () => {
  it('sends the food texts in Kazakh when the list row says kk, with the Kazakh consent reply', () => {
    // Old reading: one invented Russian text for everybody.
    const opened = given(decider)
      .when(openFood('2026-03-06T05:00:00.000Z', { language: 'kk' }))
      .events();
    expect(opened[1]).toMatchObject({ type: 'SmsRequested', data: { language: 'kk', text: FOOD_VOUCHERS.sms.byLanguage.kk!.request } });
    expect(opened[1]!.data).not.toHaveProperty('aboutPersonId');
    const confirmed = given(decider, opened)
      .when(reply('21*1', '2026-03-06T06:00:00.000Z', 'p_head'))
      .events();
    expect(confirmed[2]).toMatchObject({ data: { kind: 'consent_confirmed', language: 'kk', text: FOOD_VOUCHERS.sms.byLanguage.kk!.confirmed } });
  });
  it('sends the Russian meals text to a Kazakh-speaking parent: the seeds give the meals annex in Russian only', () => {
    const events = given(decider)
      .when(openMeals(OPENED, { language: 'kk' }))
      .events();
    expect(events[1]).toMatchObject({ data: { language: 'ru', text: MEALS_RU.request, aboutPersonId: 'p_pupil' } });
  });
  it('sends no reply to a food refusal: the annex has none (the meals annex has «Вы отказались от получения услуги.»)', () => {
    const opened = history(openFood('2026-03-06T05:00:00.000Z'));
    expect(
      given(decider, opened)
        .when(reply('21*2', '2026-03-06T06:00:00.000Z', 'p_head'))
        .events()
        .map((e) => e.type),
    ).toEqual(['SmsReplyReceived', 'ConsentRefused']);
  });
});

describe('quiet hours: no SMS at night, deadlines exact, answer windows never shortened (interpretation; sendingWindow 09:00–21:00)', () => {
  const NIGHT = '2026-03-02T17:00:00.000Z'; // Mon 2 March, 22:00 local
  it('a list at 22:00 schedules the start SMS for 09:00 the next morning; its 3 days count from then', () => {
    // Old reading: the SMS went out at 22:00 and its 3 days ended with the 5th.
    const opened = given(decider).when(openMeals(NIGHT)).events();
    expect(opened.slice(1)).toEqual([
      {
        type: 'DeadlineScheduled',
        data: { deadlineId: `${MEALS_CASE}:request`, kind: 'consent_request', dueAt: '2026-03-03T04:00:00.000Z', stream: MEALS_CASE },
      },
    ]);
    const sent = given(decider, opened)
      .when(fire(MEALS_CASE, 'request', '2026-03-03T04:00:00.000Z'))
      .events();
    expect(sent[1]).toMatchObject({
      type: 'SmsRequested',
      data: { kind: 'consent_request', recipientPersonId: 'p_mother', replyBy: '2026-03-06T19:00:00.000Z' },
    });
    expect(sent[1]!.data).not.toHaveProperty('notBefore');
  });
  it('a reply at 23:00 is recorded at once; the confirmation waits for 09:00', () => {
    const events = given(decider, history(openMeals(OPENED)))
      .when(reply('3#1', '2026-03-03T18:00:00.000Z'))
      .events();
    expect(events[1]).toMatchObject({ type: 'ConsentGiven', data: { at: '2026-03-03T18:00:00.000Z' } });
    expect(events[2]).toMatchObject({ type: 'SmsRequested', data: { kind: 'consent_confirmed', notBefore: '2026-03-04T04:00:00.000Z' } });
  });
  it('a failed SMS is offered again inside the window: a failure at 20:59:30 waits for the morning', () => {
    const id = `${MEALS_CASE}#1`;
    const [failed] = given(decider, history(openMeals(OPENED)))
      .when(delivery(id, 'failed', '2026-03-02T15:59:30.000Z'))
      .events();
    expect(failed).toMatchObject({ type: 'SmsFailed', data: { willRetry: true, retryAt: '2026-03-03T04:00:00.000Z' } });
  });
  it('food: the reminder due at 00:00 on the 11th fires then and goes out at 09:00; the month end stays the timeout', () => {
    const opened = history(openFood('2026-03-05T04:00:00.000Z'));
    const events = given(decider, opened)
      .when(fire(FOOD_CASE, 'reminder', '2026-03-10T19:00:00.000Z'))
      .events();
    expect(events[0]).toMatchObject({ type: 'DeadlineFired', data: { firedAt: '2026-03-10T19:00:00.000Z' } });
    expect(events[1]).toMatchObject({
      type: 'SmsRequested',
      data: { kind: 'consent_reminder', notBefore: '2026-03-11T04:00:00.000Z', replyBy: '2026-03-31T19:00:00.000Z' },
    });
  });
  it('food: a list that comes at 22:00 on the last day cannot be asked that month: it times out at the month end', () => {
    const opened = given(decider).when(openFood('2026-03-31T17:00:00.000Z')).events();
    expect(opened[1]).toMatchObject({ type: 'DeadlineScheduled', data: { kind: 'consent_request', dueAt: '2026-04-01T04:00:00.000Z' } });
    expect(
      given(decider, opened)
        .when(fire(FOOD_CASE, 'request', '2026-04-01T04:00:00.000Z'))
        .events()
        .map((e) => e.type),
    ).toEqual(['DeadlineFired', 'ConsentTimedOut']);
  });
  it('sends at any hour when the program sets no window (sendingWindow null)', () => {
    const anyHour = createConsentDecider({ ...DEFAULT_PROGRAMS, meals: { ...SCHOOL_MEALS, sendingWindow: null } });
    expect(given(anyHour).when(openMeals(NIGHT)).events()[1]).toMatchObject({ type: 'SmsRequested', data: { replyBy: '2026-03-05T19:00:00.000Z' } });
  });
});

describe('undeliverable messages (seed 000 app. 1 p. 9; seed 004 p. 15–17)', () => {
  const failedFor = (messageId: string, events: ConsentEvent[], at = '2026-03-02T05:10:00.000Z') => {
    let all = events;
    for (let i = 0; i < MAX_SMS_ATTEMPTS; i++)
      all = [
        ...all,
        ...given(decider, all)
          .when(delivery(messageId, 'failed', at.replace(':10:', `:1${i}:`), 'absent subscriber'))
          .events(),
      ];
    return all;
  };
  it('meals: asks mother, then father, then the other representative; nobody left → ConsentUndeliverable, its own outcome', () => {
    let events = history(openMeals(OPENED, { representatives: [guardian, father, mother] }));
    events = failedFor(`${MEALS_CASE}#1`, events);
    events = failedFor(`${MEALS_CASE}#2`, events);
    const third = events.filter((e) => e.type === 'SmsRequested').map((e) => (e.data as { recipientPersonId: string }).recipientPersonId);
    expect(third).toEqual(['p_mother', 'p_father', 'p_guardian']);
    events = failedFor(`${MEALS_CASE}#3`, events, '2026-03-02T06:10:00.000Z');
    expect(events.at(-1)).toEqual({
      type: 'ConsentUndeliverable',
      data: { caseId: MEALS_CASE, at: '2026-03-02T06:12:00.000Z', triedPersonIds: ['p_mother', 'p_father', 'p_guardian'] },
    });
    expect(given(decider, events).state()).toMatchObject({ status: 'Closed', outcome: 'undeliverable' });
  });
  it('meals: the earlier recipient’s reminder fires as a no-op; the new one’s windows count from its own SMS', () => {
    let events = history(openMeals(OPENED, { representatives: [father, mother] }));
    events = failedFor(`${MEALS_CASE}#1`, events, '2026-03-03T05:10:00.000Z'); // Tue 10:10 local: the father is asked on the 3rd
    given(decider, events)
      .when(fire(MEALS_CASE, 'reminder', REMINDER_DUE))
      .then([{ type: 'DeadlineFired', data: { deadlineId: `${MEALS_CASE}:reminder`, kind: 'consent_reminder', firedAt: REMINDER_DUE } }]);
    const second = {
      type: 'FireDeadline' as const,
      data: { deadlineId: `${MEALS_CASE}:reminder:2`, kind: 'consent_reminder' as const },
      metadata: { commandId: 'r2', now: '2026-03-06T19:00:00.000Z', actor: { role: 'test', id: 'test' } },
    };
    expect(
      given(decider, events)
        .when(second)
        .events()
        .map((e) => e.type),
    ).toEqual(['DeadlineFired', 'SmsRequested', 'DeadlineScheduled']);
  });
  it('food: only the head may be asked, so a final failure ends the case as undeliverable at once', () => {
    let events = history(openFood('2026-03-06T05:00:00.000Z'));
    events = failedFor(`${FOOD_CASE}#1`, events, '2026-03-06T06:10:00.000Z');
    expect(events.at(-1)).toMatchObject({ type: 'ConsentUndeliverable', data: { triedPersonIds: ['p_head'] } });
  });
  it('a failed reminder or reply changes nothing: the family had the start SMS', () => {
    const reminded = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE));
    const after = failedFor(`${MEALS_CASE}#2`, reminded, '2026-03-06T05:10:00.000Z');
    expect(after.slice(reminded.length).map((e) => e.type)).toEqual(['SmsFailed', 'SmsFailed', 'SmsFailed']);
  });
});

describe('a later monthly list starts a case that ended without consent again (seed 002: the list is monthly)', () => {
  const later = (over: Partial<OpenCase['data']> = {}, now = '2026-04-01T05:00:00.000Z'): OpenCase => {
    const base = openMeals(now, { representatives: [father, mother] });
    return { ...base, data: { ...base.data, listId: 'list-april', rowNo: 3, ...over } };
  };
  it('after no phone: the same stream starts again (attempt 2) and asks by priority, its deadlines numbered apart', () => {
    // Old reading: already_covered, returned to NOBD, and the pupil never asked again that school year.
    const ended = history(openMeals(OPENED, { representatives: [noPhone(mother)] }));
    const events = given(decider, ended).when(later()).events();
    expect(events[0]).toEqual({
      type: 'ConsentCaseReopened',
      data: {
        caseId: MEALS_CASE,
        attempt: 2,
        previousOutcome: 'no_phone',
        subject: pupil(),
        representatives: [father, mother],
        listId: 'list-april',
        rowNo: 3,
        reopenedAt: '2026-04-01T05:00:00.000Z',
      },
    });
    expect(events[1]).toMatchObject({ type: 'SmsRequested', data: { recipientPersonId: 'p_mother', messageId: `${MEALS_CASE}#1` } });
    expect(events[2]).toMatchObject({ type: 'DeadlineScheduled', data: { deadlineId: `${MEALS_CASE}:reminder:2` } });
  });
  it('after a timeout: starts again; a reply to the new SMS gives consent', () => {
    const timedOut = history(openMeals(OPENED), fire(MEALS_CASE, 'reminder', REMINDER_DUE), fire(MEALS_CASE, 'timeout', TIMEOUT_DUE));
    const again = [...timedOut, ...given(decider, timedOut).when(later()).events()];
    expect(given(decider, again).when(reply('3#1', '2026-04-01T06:00:00.000Z')).events()[1]).toMatchObject({ type: 'ConsentGiven' });
  });
  it('after undeliverable: starts again with whoever has a phone now', () => {
    let events = history(openMeals(OPENED, { representatives: [mother] }));
    for (let i = 0; i < MAX_SMS_ATTEMPTS; i++)
      events = [
        ...events,
        ...given(decider, events)
          .when(delivery(`${MEALS_CASE}#1`, 'failed', `2026-03-02T05:1${i}:00.000Z`))
          .events(),
      ];
    expect(events.at(-1)!.type).toBe('ConsentUndeliverable');
    expect(
      given(decider, events)
        .when(later({ representatives: [mother, father] }))
        .events()[0],
    ).toMatchObject({ type: 'ConsentCaseReopened', data: { previousOutcome: 'undeliverable' } });
  });
  it('after a refusal: the refusal stands for the school year (already_covered) unless the program asks again (startAgainAfter)', () => {
    const refused = history(openMeals(OPENED), reply('3#2', '2026-03-03T06:00:00.000Z'));
    given(decider, refused).when(later()).thenFails('already_covered');
    const asksAgain = createConsentDecider({
      ...DEFAULT_PROGRAMS,
      meals: { ...SCHOOL_MEALS, startAgainAfter: ['no_phone', 'timed_out', 'undeliverable', 'refused'] },
    });
    expect(given(asksAgain, refused).when(later()).events()[0]).toMatchObject({ type: 'ConsentCaseReopened', data: { previousOutcome: 'refused' } });
  });
  it('never after consent, nor for a food family-month; the same list row again changes nothing', () => {
    const given3 = history(openMeals(OPENED), reply('3#1', '2026-03-03T06:00:00.000Z'));
    given(decider, given3).when(later()).thenFails('already_covered');
    const ended = history(openMeals(OPENED, { representatives: [noPhone(mother)] }));
    const reopened = [...ended, ...given(decider, ended).when(later()).events()];
    given(decider, reopened).when(later()).then([]);
    const food = history(openFood('2026-03-06T05:00:00.000Z', { representatives: [{ personId: 'p_head', role: 'guardian', hasPhone: false }] }));
    const other = openFood('2026-03-07T05:00:00.000Z');
    given(decider, food)
      .when({ ...other, data: { ...other.data, listId: 'sdu-2', rowNo: 9 } })
      .thenFails('already_covered');
  });
});

describe('food consent scope: a consent stands for the service period (seed 004 annex)', () => {
  it('records this month’s consent from the standing one, with no SMS at all', () => {
    // Old reading: every month's case sent the start SMS on the 5th and waited for 21*1 again.
    const open = openFood('2026-04-02T05:00:00.000Z', { month: '2026-04' });
    const events = given(decider)
      .when({ ...open, data: { ...open.data, standingConsent: { caseId: FOOD_CASE, byPersonId: 'p_head' } } })
      .events();
    expect(events.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'ConsentGiven']);
    expect(events[1]).toEqual({
      type: 'ConsentGiven',
      data: { caseId: open.data.caseId, byPersonId: 'p_head', at: '2026-04-02T05:00:00.000Z', standingFrom: FOOD_CASE },
    });
    expect(events[0]!.data).not.toHaveProperty('standingConsent');
  });
});
