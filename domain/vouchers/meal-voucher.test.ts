import { describe, expect, it } from 'vitest';
import type { MealVoucherEvent } from '../events';
import { streams } from '../events';
import { SCHOOL_MEALS } from '../programs/school-meals';
import { createMealVoucherDecider, expiryDeadlineId, mealVoucher, type ListMealVoucher, type RecordMeal, type SuspendMealVoucher } from './meal-voucher';
import { mealVoucherId } from './ids';
import { given, meta } from '../../test/given';

// Fixed instants (Asia/Almaty is UTC+5): 2026-04-06 is a Monday.
const ISSUED_AT = '2026-04-01T03:00:00.000Z';
const ACTIVATED_AT = '2026-04-02T04:00:00.000Z';
const MONDAY_NOON = '2026-04-06T07:00:00.000Z'; // 12:00 local
const MONDAY_1PM = '2026-04-06T08:00:00.000Z';
const pupilId = 'p-1';
const voucherId = mealVoucherId(pupilId, '2025-2026');

const issue = {
  type: 'IssueMealVoucher' as const,
  data: {
    voucherId,
    pupilId,
    familyId: 'f-1',
    schoolId: 'school-7',
    region: 'akmola',
    grade: 6,
    category: 'asp_family' as const,
    schoolYear: '2025-2026',
    caseId: 'case-1',
    viaConsent: true,
  },
  metadata: meta(ISSUED_AT),
};
const issued: MealVoucherEvent[] = [
  {
    type: 'MealVoucherIssued',
    data: { ...issue.data, validFrom: '2026-04-01', validUntil: '2026-05-31', issuedAt: ISSUED_AT },
  },
  {
    type: 'DeadlineScheduled',
    data: {
      deadlineId: expiryDeadlineId(voucherId),
      kind: 'meal_voucher_expiry',
      dueAt: '2026-05-31T19:00:00.000Z', // 1 June 00:00 local
      stream: streams.meals(pupilId, '2025-2026'),
      ref: voucherId,
    },
  },
];
const activated: MealVoucherEvent = { type: 'MealVoucherActivated', data: { voucherId, byPersonId: 'mother-1', activatedAt: ACTIVATED_AT } };
const active = [...issued, activated];

function scan(seq: number, scannedAt: string, over: Partial<RecordMeal['data']> = {}): RecordMeal {
  return {
    type: 'RecordMeal',
    data: { deviceId: 'dev-1', seq, deviceSchoolId: 'school-7', scannedAt, receivedAt: scannedAt, method: 'card', ...over },
    metadata: meta(over.receivedAt ?? scannedAt, `scan-${seq}`),
  };
}
const served = (seq: number, scannedAt: string, schoolDay: string, over: Record<string, unknown> = {}): MealVoucherEvent => ({
  type: 'MealServed',
  data: { voucherId, pupilId, schoolId: 'school-7', deviceId: 'dev-1', seq, schoolDay, scannedAt, receivedAt: scannedAt, method: 'card', ...over } as never,
});

function refusedCode(history: readonly MealVoucherEvent[], command: RecordMeal): string {
  const [event] = given(mealVoucher, history).when(command).events();
  expect(event?.type).toBe('MealRefused');
  return (event as Extract<MealVoucherEvent, { type: 'MealRefused' }>).data.code;
}

describe('meal voucher: issue', () => {
  it('issues one voucher per pupil per school year and schedules its expiry at the year end', () => {
    given(mealVoucher).when(issue).then(issued);
  });
  it('issues a primary-grade voucher without consent (viaConsent false)', () => {
    const direct = { ...issue, data: { ...issue.data, grade: 2, viaConsent: false } };
    const [event] = given(mealVoucher).when(direct).events();
    expect(event).toMatchObject({ type: 'MealVoucherIssued', data: { viaConsent: false, grade: 2 } });
  });
  it('is valid from the start of the school year when issued before it', () => {
    const early = { ...issue, metadata: meta('2025-08-20T03:00:00.000Z') };
    expect(given(mealVoucher).when(early).events()[0]).toMatchObject({ data: { validFrom: '2025-09-01', validUntil: '2026-05-31' } });
  });
  it('is a no-op when the same voucher is issued again', () => {
    given(mealVoucher, issued).when(issue).then([]);
  });
  it('refuses a different voucher for the same pupil and year (already_covered)', () => {
    given(mealVoucher, issued)
      .when({ ...issue, data: { ...issue.data, voucherId: 'other' } })
      .thenFails('already_covered');
  });
  it('issues when consent was given on the year’s last day, though processed after it (review finding 1)', () => {
    const command = { ...issue, data: { ...issue.data, consentAt: '2026-05-31T18:59:59.000Z' }, metadata: meta('2026-05-31T19:00:05.000Z') };
    const [event] = given(mealVoucher).when(command).events();
    expect(event).toMatchObject({ type: 'MealVoucherIssued', data: { validUntil: '2026-05-31', issuedAt: '2026-05-31T19:00:05.000Z' } });
    expect(event!.data).not.toHaveProperty('consentAt');
  });
  it('refuses to issue for a school year that has ended (outside_school_year)', () => {
    given(mealVoucher)
      .when({ ...issue, metadata: meta('2026-06-01T03:00:00.000Z') })
      .thenFails('outside_school_year');
  });
});

describe('meal voucher: activate', () => {
  const activate = (now = ACTIVATED_AT, familyId = 'f-1') => ({
    type: 'ActivateMealVoucher' as const,
    data: { voucherId, familyId, byPersonId: 'mother-1' },
    metadata: meta(now),
  });
  it('is activated by the parent', () => {
    given(mealVoucher, issued).when(activate()).then([activated]);
  });
  it('treats a second activation as a no-op (nothing recorded, still active)', () => {
    given(mealVoucher, active).when(activate('2026-04-03T04:00:00.000Z')).then([]);
  });
  it('refuses an unknown voucher or another family’s voucher (voucher_not_found)', () => {
    given(mealVoucher).when(activate()).thenFails('voucher_not_found');
    given(mealVoucher, issued).when(activate(ACTIVATED_AT, 'f-2')).thenFails('voucher_not_found');
  });
  it('refuses after the school year (voucher_expired), before and after the expiry deadline fired', () => {
    given(mealVoucher, issued).when(activate('2026-05-31T19:00:00.000Z')).thenFails('voucher_expired');
    const expired: MealVoucherEvent[] = [
      ...issued,
      { type: 'DeadlineFired', data: { deadlineId: expiryDeadlineId(voucherId), kind: 'meal_voucher_expiry', firedAt: '2026-05-31T19:00:00.000Z' } },
      { type: 'MealVoucherExpired', data: { voucherId, at: '2026-05-31T19:00:00.000Z' } },
    ];
    given(mealVoucher, expired).when(activate('2026-06-02T04:00:00.000Z')).thenFails('voucher_expired');
  });
  it('activates on the last second before the year end', () => {
    given(mealVoucher, issued)
      .when(activate('2026-05-31T18:59:59.000Z'))
      .then([{ ...activated, data: { ...activated.data, activatedAt: '2026-05-31T18:59:59.000Z' } }]);
  });
});

describe('meal voucher: record a meal', () => {
  it('serves one meal on a school day', () => {
    given(mealVoucher, active)
      .when(scan(1, MONDAY_NOON))
      .then([served(1, MONDAY_NOON, '2026-04-06')]);
  });
  it('derives the school day in the program timezone (23:30 UTC is the next local day)', () => {
    const late = '2026-04-05T23:30:00.000Z'; // Monday 04:30 local
    expect(given(mealVoucher, active).when(scan(1, late)).events()[0]).toMatchObject({ type: 'MealServed', data: { schoolDay: '2026-04-06' } });
  });
  it('records one meal per school day: a second the same day is refused and recorded (meal_already_recorded_today)', () => {
    expect(refusedCode([...active, served(1, MONDAY_NOON, '2026-04-06')], scan(2, MONDAY_1PM))).toBe('meal_already_recorded_today');
  });
  it('allows a second meal per day when the program parameter says 2', () => {
    const twice = createMealVoucherDecider({ ...SCHOOL_MEALS, mealsPerSchoolDay: 2 });
    expect(
      given(twice, [...active, served(1, MONDAY_NOON, '2026-04-06')])
        .when(scan(2, MONDAY_1PM))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('serves again on the next school day', () => {
    const tuesday = '2026-04-07T07:00:00.000Z';
    expect(
      given(mealVoucher, [...active, served(1, MONDAY_NOON, '2026-04-06')])
        .when(scan(2, tuesday))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('refuses a weekend (not_a_school_day)', () => {
    expect(refusedCode(active, scan(1, '2026-04-04T07:00:00.000Z'))).toBe('not_a_school_day');
  });
  it('refuses a holiday from the program data (not_a_school_day)', () => {
    expect(refusedCode(active, scan(1, '2026-05-07T07:00:00.000Z'))).toBe('not_a_school_day');
  });
  it('refuses a voucher not activated yet (voucher_not_active), also when scanned before the activation', () => {
    expect(refusedCode(issued, scan(1, MONDAY_NOON))).toBe('voucher_not_active');
    const beforeActivation = '2026-04-01T07:00:00.000Z';
    expect(refusedCode(active, scan(1, beforeActivation, { receivedAt: MONDAY_NOON }))).toBe('voucher_not_active');
  });
  it('refuses on an expired voucher (voucher_expired)', () => {
    const expired: MealVoucherEvent[] = [
      ...active,
      { type: 'DeadlineFired', data: { deadlineId: expiryDeadlineId(voucherId), kind: 'meal_voucher_expiry', firedAt: '2026-06-01T00:00:00.000Z' } },
      { type: 'MealVoucherExpired', data: { voucherId, at: '2026-06-01T00:00:00.000Z' } },
    ];
    expect(refusedCode(expired, scan(1, '2026-06-01T07:00:00.000Z'))).toBe('voucher_expired');
  });
  it('refuses a scan after the school year before the expiry fired (outside_school_year)', () => {
    expect(refusedCode(active, scan(1, '2026-06-01T07:00:00.000Z'))).toBe('outside_school_year');
  });
  it('refuses a device of another school (device_wrong_school)', () => {
    expect(refusedCode(active, scan(1, MONDAY_NOON, { deviceSchoolId: 'school-8' }))).toBe('device_wrong_school');
  });
  it('refuses a device clock ahead of receipt by more than the limit (clock_skew_too_large), accepts exactly the limit', () => {
    const received = '2026-04-06T06:55:00.000Z'; // 300 s before MONDAY_NOON
    expect(
      given(mealVoucher, active)
        .when(scan(1, MONDAY_NOON, { receivedAt: received }))
        .events()[0]?.type,
    ).toBe('MealServed');
    const tooEarly = '2026-04-06T06:54:59.000Z';
    expect(refusedCode(active, scan(1, MONDAY_NOON, { receivedAt: tooEarly }))).toBe('clock_skew_too_large');
  });
  it('refuses an offline record older than the limit (clock_skew_too_large)', () => {
    const weekLater = '2026-04-13T07:00:01.000Z';
    expect(refusedCode(active, scan(1, MONDAY_NOON, { receivedAt: weekLater }))).toBe('clock_skew_too_large');
    const exactlyAWeek = '2026-04-13T07:00:00.000Z';
    expect(
      given(mealVoucher, active)
        .when(scan(1, MONDAY_NOON, { receivedAt: exactlyAWeek }))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('keeps both the device time and the receive time', () => {
    const received = '2026-04-06T10:00:00.000Z';
    expect(
      given(mealVoucher, active)
        .when(scan(1, MONDAY_NOON, { receivedAt: received }))
        .events()[0],
    ).toMatchObject({
      data: { scannedAt: MONDAY_NOON, receivedAt: received },
    });
  });

  describe('by dynamic QR', () => {
    const qr = (seq: number, scannedAt: string, nonce: string, expiresAt: string) =>
      scan(seq, scannedAt, { method: 'qr', tokenNonce: nonce, tokenExpiresAt: expiresAt });
    it('serves a meal on a valid token and remembers its nonce', () => {
      const [event] = given(mealVoucher, active)
        .when(qr(1, MONDAY_NOON, 'n1', '2026-04-06T07:01:00.000Z'))
        .events();
      expect(event).toMatchObject({ type: 'MealServed', data: { method: 'qr', tokenNonce: 'n1' } });
    });
    it('accepts a scan at the expiry second and refuses one after (qr_token_expired)', () => {
      expect(
        given(mealVoucher, active)
          .when(qr(1, MONDAY_NOON, 'n1', MONDAY_NOON))
          .events()[0]?.type,
      ).toBe('MealServed');
      expect(refusedCode(active, qr(1, '2026-04-06T07:00:01.000Z', 'n1', MONDAY_NOON))).toBe('qr_token_expired');
    });
    it('refuses a token used before (qr_token_reused), even on another day', () => {
      const history = [...active, served(1, MONDAY_NOON, '2026-04-06', { method: 'qr', tokenNonce: 'n1' })];
      expect(refusedCode(history, qr(2, '2026-04-07T07:00:00.000Z', 'n1', '2026-04-08T00:00:00.000Z'))).toBe('qr_token_reused');
    });
  });

  it('decides a (device, seq) once: the same record again records nothing', () => {
    given(mealVoucher, [...active, served(1, MONDAY_NOON, '2026-04-06')])
      .when(scan(1, MONDAY_NOON))
      .then([]);
  });
  it('refuses a record for a voucher that does not exist (voucher_not_found)', () => {
    given(mealVoucher).when(scan(1, MONDAY_NOON)).thenFails('voucher_not_found');
  });
  it('applies the documented precedence: wrong school before skew before token before lifecycle', () => {
    const everythingWrong = scan(1, '2026-04-04T07:00:00.000Z', {
      deviceSchoolId: 'x',
      receivedAt: '2026-04-01T00:00:00.000Z',
      method: 'qr',
      tokenNonce: 'n',
      tokenExpiresAt: '2026-04-01T00:00:00.000Z',
    });
    expect(refusedCode(issued, everythingWrong)).toBe('device_wrong_school');
    expect(refusedCode(issued, { ...everythingWrong, data: { ...everythingWrong.data, deviceSchoolId: 'school-7' } })).toBe('clock_skew_too_large');
  });
});

describe('meal voucher: the days meals are served (seed 002 in force; the ministry’s school calendar)', () => {
  const at = (day: string) => `${day}T07:00:00.000Z`; // 12:00 local
  /** Activated on 1 February 2026, before every day asked here. */
  const activeFromFebruary = [...issued, { ...activated, data: { ...activated.data, activatedAt: '2026-02-01T04:00:00.000Z' } }] as MealVoucherEvent[];
  it('refuses a day before the 2026 order is in force (21 February 2026): program_not_in_force', () => {
    // Old reading: any weekday of the school year was a meal day, whatever order was in force.
    expect(refusedCode(activeFromFebruary, scan(1, at('2026-02-20'), { receivedAt: at('2026-02-20') }))).toBe('program_not_in_force');
    expect(
      given(mealVoucher, activeFromFebruary)
        .when(scan(1, at('2026-02-23')))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('refuses a day after its 12 months (from 21 February 2027): program_not_in_force', () => {
    const next = createMealVoucherDecider({ ...SCHOOL_MEALS, calendars: {} });
    const year = '2026-2027';
    const nextYear: MealVoucherEvent[] = [
      {
        type: 'MealVoucherIssued',
        data: {
          ...issue.data,
          voucherId: mealVoucherId(pupilId, year),
          schoolYear: year,
          validFrom: '2026-09-01',
          validUntil: '2027-05-31',
          issuedAt: '2026-09-01T03:00:00.000Z',
        },
      },
      { type: 'MealVoucherActivated', data: { voucherId: mealVoucherId(pupilId, year), byPersonId: 'mother-1', activatedAt: '2026-09-01T04:00:00.000Z' } },
    ];
    expect(
      given(next, nextYear)
        .when(scan(1, at('2027-02-19')))
        .events()[0]?.type,
    ).toBe('MealServed'); // a Friday, the order's last week
    const [refused] = given(next, nextYear)
      .when(scan(2, at('2027-02-22')))
      .events();
    expect(refused).toMatchObject({ type: 'MealRefused', data: { code: 'program_not_in_force' } });
  });
  it('refuses the spring break (19–29 March 2026) for every grade: not_a_school_day', () => {
    // Old reading: only weekends and public holidays were without meals.
    expect(refusedCode(activeFromFebruary, scan(1, at('2026-03-19')))).toBe('not_a_school_day');
    expect(refusedCode(activeFromFebruary, scan(1, at('2026-03-27')))).toBe('not_a_school_day');
    expect(
      given(mealVoucher, activeFromFebruary)
        .when(scan(1, at('2026-03-18')))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('refuses first grade’s extra week (9–15 February 2026) for a first-grader only', () => {
    const firstGrade: MealVoucherEvent[] = [
      { ...issued[0]!, data: { ...(issued[0]!.data as object), grade: 1 } } as MealVoucherEvent,
      ...activeFromFebruary.slice(1),
    ];
    const decider = createMealVoucherDecider({ ...SCHOOL_MEALS, inForce: { from: '2026-02-01', until: '2027-01-31' } });
    expect(
      given(decider, firstGrade)
        .when(scan(1, at('2026-02-10')))
        .events()[0],
    ).toMatchObject({ type: 'MealRefused', data: { code: 'not_a_school_day' } });
    expect(
      given(decider, activeFromFebruary)
        .when(scan(1, at('2026-02-10')))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('serves on the last lesson day (25 May 2026) and not after it, though the voucher is valid to 31 May', () => {
    expect(
      given(mealVoucher, activeFromFebruary)
        .when(scan(1, at('2026-05-25')))
        .events()[0]?.type,
    ).toBe('MealServed');
    expect(refusedCode(activeFromFebruary, scan(1, at('2026-05-26')))).toBe('not_a_school_day');
  });
});

describe('meal voucher: a record after the табель is final (seed 002: by the 5th of the next month)', () => {
  it('is recorded with late: true when received from the 5th of the next month, local midnight', () => {
    // Old reading: only the табель knew; the canteen's answer did not say so.
    const decider = createMealVoucherDecider({ ...SCHOOL_MEALS, maxOfflineAgeSeconds: 60 * 24 * 3600 });
    const lastSecond = '2026-05-04T18:59:59.000Z';
    const [inTime] = given(decider, active)
      .when(scan(1, MONDAY_NOON, { receivedAt: lastSecond }))
      .events();
    expect(inTime).toMatchObject({ type: 'MealServed' });
    expect((inTime!.data as { late?: boolean }).late).toBeUndefined();
    const final = '2026-05-04T19:00:00.000Z';
    expect(
      given(decider, active)
        .when(scan(1, MONDAY_NOON, { receivedAt: final }))
        .events()[0],
    ).toMatchObject({ type: 'MealServed', data: { late: true } });
  });
});

describe('meal voucher: expiry deadline', () => {
  const fire = (now: string) => ({
    type: 'FireDeadline' as const,
    data: { deadlineId: expiryDeadlineId(voucherId), kind: 'meal_voucher_expiry' as const },
    metadata: meta(now),
  });
  const END = '2026-05-31T19:00:00.000Z';
  it('expires the voucher at school-year end and records the firing', () => {
    given(mealVoucher, active)
      .when(fire(END))
      .then([
        { type: 'DeadlineFired', data: { deadlineId: expiryDeadlineId(voucherId), kind: 'meal_voucher_expiry', firedAt: END } },
        { type: 'MealVoucherExpired', data: { voucherId, at: END } },
      ]);
  });
  it('does nothing one second before it is due, or when fired twice', () => {
    given(mealVoucher, active).when(fire('2026-05-31T18:59:59.000Z')).then([]);
    const fired = given(mealVoucher, active).when(fire(END)).events();
    given(mealVoucher, [...active, ...fired])
      .when(fire('2026-06-01T00:00:00.000Z'))
      .then([]);
  });
  it('expires a voucher that was never activated', () => {
    expect(
      given(mealVoucher, issued)
        .when(fire(END))
        .events()
        .map((e) => e.type),
    ).toEqual(['DeadlineFired', 'MealVoucherExpired']);
  });
});

describe('meal voucher: the month’s approved list (seed 002: «на ежемесячной основе … список обучающихся, которым положена услуга»)', () => {
  const at = '2026-04-01T04:00:00.000Z';
  const listFor = (month: string, over: Partial<ListMealVoucher['data']> = {}): ListMealVoucher => ({
    type: 'ListMealVoucher',
    data: { month, listId: `nobd-${month}`, rowNo: 4, schoolId: 'school-7', grade: 6, ...over },
    metadata: meta(at, `list-${month}-${over.schoolId ?? ''}`),
  });
  const suspendFor = (month: string, schoolId = 'school-7'): SuspendMealVoucher => ({
    type: 'SuspendMealVoucher',
    data: { month, listId: `nobd-${month}-b`, schoolId },
    metadata: meta(at, `suspend-${month}`),
  });
  const run = (history: MealVoucherEvent[], ...commands: (ListMealVoucher | SuspendMealVoucher)[]) => {
    const events = [...history];
    for (const c of commands) events.push(...given(mealVoucher, events).when(c).events());
    return events;
  };
  it('lists the voucher for the month; the same row again changes nothing', () => {
    given(mealVoucher, active)
      .when(listFor('2026-04'))
      .then([{ type: 'MealVoucherListed', data: { voucherId, month: '2026-04', listId: 'nobd-2026-04', rowNo: 4, schoolId: 'school-7', grade: 6, at } }]);
    given(mealVoucher, run(active, listFor('2026-04')))
      .when(listFor('2026-04'))
      .then([]);
  });
  it('moves the voucher to the school and grade the month’s list names, and the old school’s device is refused', () => {
    const moved = run(active, listFor('2026-04', { schoolId: 'school-8', grade: 7 }));
    expect(moved.slice(active.length).map((e) => e.type)).toEqual(['MealVoucherTransferred', 'MealVoucherListed']);
    expect(moved[active.length]).toMatchObject({ data: { fromSchoolId: 'school-7', toSchoolId: 'school-8', fromGrade: 6, toGrade: 7 } });
    expect(refusedCode(moved, scan(1, MONDAY_NOON))).toBe('device_wrong_school');
    expect(
      given(mealVoucher, moved)
        .when(scan(1, MONDAY_NOON, { deviceSchoolId: 'school-8' }))
        .events()[0]?.type,
    ).toBe('MealServed');
  });
  it('refuses meals in a month the pupil is absent from the approved list: voucher_suspended; other months stay open', () => {
    // Old reading: a voucher paid every school day of the year once issued, listed or not.
    const suspended = run(active, suspendFor('2026-04'));
    expect(suspended.at(-1)).toEqual({
      type: 'MealVoucherSuspended',
      data: { voucherId, month: '2026-04', listId: 'nobd-2026-04-b', schoolId: 'school-7', reason: 'absent_from_month_list', at },
    });
    expect(refusedCode(suspended, scan(1, MONDAY_NOON))).toBe('voucher_suspended');
    expect(given(mealVoucher, suspended).when(scan(1, '2026-05-04T07:00:00.000Z')).events()[0]?.type).toBe('MealServed');
  });
  it('a later list for the month that names the pupil lifts the suspension', () => {
    const back = run(active, suspendFor('2026-04'), listFor('2026-04'));
    expect(given(mealVoucher, back).when(scan(1, MONDAY_NOON)).events()[0]?.type).toBe('MealServed');
  });
  it('suspends nothing that moved to another school, expired, or is suspended already', () => {
    given(mealVoucher, run(active, listFor('2026-04', { schoolId: 'school-8' })))
      .when(suspendFor('2026-04'))
      .then([]);
    given(mealVoucher, run(active, suspendFor('2026-04')))
      .when(suspendFor('2026-04'))
      .then([]);
    const expired: MealVoucherEvent[] = [...active, { type: 'MealVoucherExpired', data: { voucherId, at: '2026-05-31T19:00:00.000Z' } }];
    given(mealVoucher, expired).when(suspendFor('2026-06')).then([]);
  });
  it('applies the precedence: not active before suspended, suspended before the day’s rules', () => {
    expect(refusedCode(run(issued, suspendFor('2026-04')), scan(1, MONDAY_NOON))).toBe('voucher_not_active');
    expect(refusedCode(run(active, suspendFor('2026-04')), scan(1, '2026-04-04T07:00:00.000Z'))).toBe('voucher_suspended'); // a Saturday
  });
});
