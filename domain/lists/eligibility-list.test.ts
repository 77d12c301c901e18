import { describe, expect, it } from 'vitest';
import type { ListEvent } from '../events';
import { streams } from '../events';
import { given, meta } from '../../test/given';
import fc from 'fast-check';
import {
  eligibilityList as decider,
  evolveListAll,
  listedPupils,
  MAX_ROW_DETAIL_CHARS,
  type FoodRowInput,
  type ListHeader,
  type ListRowInput,
  type MealsRowInput,
  type PupilYear,
  type ReceiveListChunk,
} from './eligibility-list';

const NOW = '2026-03-03T05:00:00.000Z';
const foodHeader = (rowCount: number, over: Partial<ListHeader> = {}): ListHeader => ({
  listId: 'sdu-2026-03',
  source: 'sdu',
  program: 'food-vouchers',
  month: '2026-03',
  rowCount,
  contentHash: 'h1',
  ...over,
});
const mealsHeader = (rowCount: number, over: Partial<ListHeader> = {}): ListHeader => ({
  listId: 'nobd-7',
  source: 'nobd',
  program: 'school-meals',
  month: '2026-03',
  schoolYear: '2025-2026',
  schoolId: 'school-1',
  rowCount,
  contentHash: 'm1',
  ...over,
});
const food = (rowNo: number, over: Partial<FoodRowInput> = {}): FoodRowInput => ({
  kind: 'food',
  rowNo,
  familyId: `fam-${rowNo}`,
  iinValid: true,
  headPersonId: `p_head${rowNo}`,
  memberPersonIds: [`p_head${rowNo}`],
  city: 'pavlodar',
  aspOnDate: '2026-02-28',
  ...over,
});
const meals = (rowNo: number, over: Partial<MealsRowInput> = {}): MealsRowInput => ({
  kind: 'meals',
  rowNo,
  familyId: `fam-${rowNo}`,
  iinValid: true,
  pupilPersonId: `p_pupil${rowNo}`,
  schoolId: 'school-1',
  grade: 7,
  category: 'asp_family',
  approvedByHead: true,
  ...over,
});
const chunk = (header: ListHeader, rows: ListRowInput[], opts: { last?: boolean; existing?: string[]; now?: string } = {}): ReceiveListChunk => ({
  type: 'ReceiveListChunk',
  data: { header, rows, existingCases: new Set(opts.existing ?? []), last: opts.last ?? true },
  metadata: meta(opts.now ?? NOW),
});
const outcomes = (events: ListEvent[]) =>
  events.flatMap((e) =>
    e.type === 'ListRowAccepted' ? [[e.data.rowNo, 'row_accepted']] : e.type === 'ListRowRejected' ? [[e.data.rowNo, e.data.reason]] : [],
  );

describe('food list from SDU (seed 004 p. 2.2, 13, 18)', () => {
  it('accepts an АСП family of a pilot city and opens its case stream', () => {
    const header = foodHeader(1);
    given(decider)
      .when(chunk(header, [food(1)]))
      .then([
        { type: 'EligibilityListReceived', data: { ...header, receivedAt: NOW } },
        {
          type: 'ListRowAccepted',
          data: {
            listId: 'sdu-2026-03',
            rowNo: 1,
            familyId: 'fam-1',
            personId: 'p_head1',
            caseStream: streams.consentFood('fam-1', '2026-03'),
            city: 'pavlodar',
            memberPersonIds: ['p_head1'],
          },
        },
        { type: 'EligibilityListProcessed', data: { listId: 'sdu-2026-03', accepted: 1, rejected: 0 } },
      ]);
  });
  it('rejects a family not on АСП on the last day of the previous month, returned to SDU', () => {
    const events = given(decider)
      .when(chunk(foodHeader(1), [food(1, { aspOnDate: '2026-02-27' })]))
      .events();
    expect(events[1]).toEqual({
      type: 'ListRowRejected',
      data: {
        listId: 'sdu-2026-03',
        rowNo: 1,
        reason: 'not_on_asp_at_month_end',
        detail: 'АСП on 2026-02-27, needed on 2026-02-28',
        familyId: 'fam-1',
        personId: 'p_head1',
        city: 'pavlodar',
        returnTo: 'sdu',
      },
    });
  });
  it('rejects a family outside the pilot cities (Kokshetau, Akkol, Pavlodar)', () => {
    const events = given(decider)
      .when(chunk(foodHeader(4), [food(1, { city: 'almaty' }), food(2, { city: 'kokshetau' }), food(3, { city: 'Akkol' }), food(4)]))
      .events();
    expect(outcomes(events)).toEqual([
      [1, 'not_in_pilot_city'],
      [2, 'row_accepted'],
      [3, 'row_accepted'],
      [4, 'row_accepted'],
    ]);
  });
  it('rejects an invalid IIN', () => {
    const events = given(decider)
      .when(chunk(foodHeader(1), [food(1, { iinValid: false, headPersonId: undefined, invalidDetail: 'member 2' })]))
      .events();
    expect(events[1]).toMatchObject({ type: 'ListRowRejected', data: { reason: 'invalid_iin', detail: 'member 2' } });
  });
  it('rejects the same family twice in one list: duplicate_row', () => {
    const events = given(decider)
      .when(chunk(foodHeader(2), [food(1), food(2, { familyId: 'fam-1' })]))
      .events();
    expect(outcomes(events)).toEqual([
      [1, 'row_accepted'],
      [2, 'duplicate_row'],
    ]);
  });
  it('rejects a row listing a member twice: duplicate_row, not a crash at consent (review finding 2)', () => {
    const events = given(decider)
      .when(chunk(foodHeader(1), [food(1, { memberPersonIds: ['p_head1', 'p_kid', 'p_kid'] })]))
      .events();
    expect(events[1]).toMatchObject({ type: 'ListRowRejected', data: { reason: 'duplicate_row', detail: 'member 3 is listed twice in the row' } });
  });
  it('rejects a later family with a member of an earlier accepted family, also across chunks: duplicate_row (review finding 11)', () => {
    const header = foodHeader(3);
    const first = given(decider)
      .when(chunk(header, [food(1, { memberPersonIds: ['p_head1', 'p_kid'] })], { last: false }))
      .events();
    const events = given(decider, first)
      .when(chunk(header, [food(2, { memberPersonIds: ['p_head2', 'p_kid'] }), food(3, { memberPersonIds: ['p_head3', 'p_other'] })]))
      .events();
    expect(outcomes(events)).toEqual([
      [2, 'duplicate_row'],
      [3, 'row_accepted'],
    ]);
    expect(events[0]).toMatchObject({ data: { detail: 'member 2 is a member of the family in row 1' } });
  });
  it('rejects a family whose case for the month exists already: already_covered', () => {
    const events = given(decider)
      .when(chunk(foodHeader(1), [food(1)], { existing: [streams.consentFood('fam-1', '2026-03')] }))
      .events();
    expect(outcomes(events)).toEqual([[1, 'already_covered']]);
  });
  it('rejects a family with a member the person-month index has in another family this month: already_covered (one voucher per person-month)', () => {
    // Old reading: each list checked only itself, so SDU's second list of the month paid the child in two families.
    const claims = new Map([['p_kid', streams.consentFood('fam-9', '2026-03')]]);
    const command = chunk(foodHeader(2), [food(1, { memberPersonIds: ['p_head1', 'p_kid'] }), food(2)]);
    const events = given(decider)
      .when({ ...command, data: { ...command.data, claims } })
      .events();
    expect(outcomes(events)).toEqual([
      [1, 'already_covered'],
      [2, 'row_accepted'],
    ]);
    expect(events.find((e) => e.type === 'ListRowRejected')).toMatchObject({ data: { detail: 'member 2 has vouchers in another family this month' } });
  });
  it('accepts a row whose members the index has in this very case (a re-sent or corrected list of the same family)', () => {
    const claims = new Map([['p_head1', streams.consentFood('fam-1', '2026-03')]]);
    const command = chunk(foodHeader(1), [food(1)]);
    expect(
      outcomes(
        given(decider)
          .when({ ...command, data: { ...command.data, claims } })
          .events(),
      ),
    ).toEqual([[1, 'row_accepted']]);
  });
  it('refuses a list for a month outside the pilot: program_not_in_force', () => {
    given(decider)
      .when(chunk(foodHeader(1, { month: '2026-05' }), [food(1)], { now: '2026-05-02T05:00:00.000Z' }))
      .thenFails('program_not_in_force');
    given(decider)
      .when(chunk(foodHeader(1, { month: '2025-11' }), [food(1, { aspOnDate: '2025-10-31' })], { now: '2025-11-02T05:00:00.000Z' }))
      .thenFails('program_not_in_force');
  });
  it('refuses December 2025: the order was signed last on 26 December 2025, after that month’s SMS day (seed 004 p. 9, 19)', () => {
    // Old reading: the pilot's months began with 2025-12.
    given(decider)
      .when(chunk(foodHeader(1, { month: '2025-12' }), [food(1, { aspOnDate: '2025-11-30' })], { now: '2025-12-01T05:00:00.000Z' }))
      .thenFails('program_not_in_force');
  });
  it('accepts the first and the last pilot month', () => {
    expect(
      outcomes(
        given(decider)
          .when(chunk(foodHeader(1, { month: '2026-01' }), [food(1, { aspOnDate: '2025-12-31' })], { now: '2026-01-02T05:00:00.000Z' }))
          .events(),
      ),
    ).toEqual([[1, 'row_accepted']]);
    expect(
      outcomes(
        given(decider)
          .when(chunk(foodHeader(1, { month: '2026-04' }), [food(1, { aspOnDate: '2026-03-31' })], { now: '2026-04-30T18:59:59.000Z' }))
          .events(),
      ),
    ).toEqual([[1, 'row_accepted']]);
  });
  it('refuses a list for a month that has ended: list_period_closed', () => {
    given(decider)
      .when(chunk(foodHeader(1), [food(1)], { now: '2026-03-31T19:00:00.000Z' }))
      .thenFails('list_period_closed');
  });
});

describe('meals list from NOBD (seed 002; seed 001 appendix 1 p. 5)', () => {
  it('refuses a list for a month without a day of the 2026 order’s 12 months from 21 February 2026 (seed 002): program_not_in_force', () => {
    // Old reading: meals lists were accepted for any month of a school year.
    given(decider)
      .when(chunk(mealsHeader(1, { month: '2026-01' }), [meals(1)], { now: '2026-01-05T05:00:00.000Z' }))
      .thenFails('program_not_in_force');
    given(decider)
      .when(chunk(mealsHeader(1, { month: '2027-03', schoolYear: '2026-2027' }), [meals(1)], { now: '2027-03-01T05:00:00.000Z' }))
      .thenFails('program_not_in_force');
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(1, { month: '2026-02' }), [meals(1)], { now: '2026-02-16T05:00:00.000Z' }))
          .events(),
      ),
    ).toEqual([[1, 'row_accepted']]);
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(1, { month: '2027-02', schoolYear: '2026-2027' }), [meals(1)], { now: '2027-02-01T05:00:00.000Z' }))
          .events(),
      ),
    ).toEqual([[1, 'row_accepted']]);
  });
  it('accepts an approved, reconciled pupil of an eligible category', () => {
    const events = given(decider)
      .when(chunk(mealsHeader(1), [meals(1)]))
      .events();
    expect(events[1]).toEqual({
      type: 'ListRowAccepted',
      data: {
        listId: 'nobd-7',
        rowNo: 1,
        familyId: 'fam-1',
        personId: 'p_pupil1',
        caseStream: streams.consentMeals('p_pupil1', '2025-2026'),
        schoolId: 'school-1',
      },
    });
  });
  it('accepts each of the three categories', () => {
    const rows = (['asp_family', 'low_income', 'orphan_in_family'] as const).map((category, i) => meals(i + 1, { category }));
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(3), rows))
          .events(),
      ).map((o) => o[1]),
    ).toEqual(['row_accepted', 'row_accepted', 'row_accepted']);
  });
  it('rejects a row the head has not approved', () => {
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(1), [meals(1, { approvedByHead: false })]))
          .events(),
      ),
    ).toEqual([[1, 'not_approved_by_head']]);
  });
  it('keeps SDU’s free-text reason capped and with long digit runs (IINs, phones) masked (review finding 7)', () => {
    const reason = `ИИН 870412300123 не найден, тел 87012345678 ${'x'.repeat(300)}`;
    const events = given(decider)
      .when(chunk(mealsHeader(1), [meals(1, { reconciliation: { ok: false, reason } })]))
      .events();
    const detail = (events[1]!.data as { detail: string }).detail;
    expect(detail.startsWith('ИИН … не найден, тел … x')).toBe(true);
    expect(detail).toHaveLength(MAX_ROW_DETAIL_CHARS);
    expect(detail).not.toMatch(/\d{6}/);
  });
  it('returns a row failing SDU reconciliation to NOBD with the reason', () => {
    const events = given(decider)
      .when(chunk(mealsHeader(1), [meals(1, { reconciliation: { ok: false, reason: 'not in ЦКС' } })]))
      .events();
    expect(events[1]).toMatchObject({
      type: 'ListRowRejected',
      data: { reason: 'failed_sdu_reconciliation', detail: 'not in ЦКС', returnTo: 'nobd', schoolId: 'school-1' },
    });
  });
  it('rejects a pupil in no eligible category', () => {
    const row = meals(1, { category: 'other' as never });
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(1), [row]))
          .events(),
      ),
    ).toEqual([[1, 'not_eligible_category']]);
  });
  it('rejects the same pupil twice: duplicate_row (even when the first row was rejected)', () => {
    const rows = [meals(1, { approvedByHead: false }), meals(2, { pupilPersonId: 'p_pupil1' })];
    expect(
      outcomes(
        given(decider)
          .when(chunk(mealsHeader(2), rows))
          .events(),
      ),
    ).toEqual([
      [1, 'not_approved_by_head'],
      [2, 'duplicate_row'],
    ]);
  });
});

describe('meals: the monthly list is the unit of eligibility (seed 002: «на ежемесячной основе»)', () => {
  const CASE = streams.consentMeals('p_pupil1', '2025-2026');
  const withPupil = (pupil: PupilYear, row = meals(1)) =>
    given(decider)
      .when(chunkWith(mealsHeader(1), [row], new Map([[CASE, pupil]])))
      .events();
  const chunkWith = (header: ListHeader, rows: ListRowInput[], pupils: ReadonlyMap<string, PupilYear>): ReceiveListChunk => ({
    type: 'ReceiveListChunk',
    data: { header, rows, existingCases: new Set(pupils.keys()), pupils, last: true },
    metadata: meta(NOW),
  });
  it('continues a pupil with a voucher at the same school and grade: row_continued, not a return', () => {
    // Old reading: already_covered, returned to NOBD every month.
    const events = withPupil({ consent: { open: false, outcome: 'given' }, voucher: { schoolId: 'school-1', grade: 7 } });
    expect(events[1]).toEqual({
      type: 'ListRowContinued',
      data: { listId: 'nobd-7', rowNo: 1, familyId: 'fam-1', personId: 'p_pupil1', caseStream: CASE, schoolId: 'school-1', grade: 7, covered: 'voucher' },
    });
    expect(events.at(-1)).toEqual({ type: 'EligibilityListProcessed', data: { listId: 'nobd-7', accepted: 0, rejected: 0, continued: 1 } });
  });
  it('moves a voucher named by another school or grade (transferredFrom)', () => {
    const events = withPupil({ consent: { open: false, outcome: 'not_required' }, voucher: { schoolId: 'school-9', grade: 4 } }, meals(1, { grade: 5 }));
    expect(events[1]).toMatchObject({
      type: 'ListRowContinued',
      data: { covered: 'voucher', schoolId: 'school-1', grade: 5, transferredFrom: { schoolId: 'school-9', grade: 4 } },
    });
  });
  it('continues a pupil whose case still waits for an answer: no second case, no return', () => {
    expect(withPupil({ consent: { open: true } })[1]).toMatchObject({ type: 'ListRowContinued', data: { covered: 'consent_pending' } });
  });
  it('starts a case again that ended with no phone, a timeout or undeliverable SMS', () => {
    for (const outcome of ['no_phone', 'timed_out', 'undeliverable'] as const)
      expect(withPupil({ consent: { open: false, outcome } })[1]).toEqual({
        type: 'ListRowAccepted',
        data: { listId: 'nobd-7', rowNo: 1, familyId: 'fam-1', personId: 'p_pupil1', caseStream: CASE, schoolId: 'school-1', startsAgain: true },
      });
  });
  it('returns a pupil whose parent refused this school year: consent_refused_earlier (startAgainAfter without refused)', () => {
    expect(withPupil({ consent: { open: false, outcome: 'refused' } })[1]).toMatchObject({
      type: 'ListRowRejected',
      data: { reason: 'consent_refused_earlier', returnTo: 'nobd' },
    });
  });
  it('names the pupils a processed list lists: accepted and continued rows, not returns', () => {
    const rows = [meals(1), meals(2), meals(3, { approvedByHead: false })];
    const pupils = new Map<string, PupilYear>([[CASE, { consent: { open: false, outcome: 'given' }, voucher: { schoolId: 'school-1', grade: 7 } }]]);
    const events = given(decider)
      .when(chunkWith(mealsHeader(3), rows, pupils))
      .events();
    expect(listedPupils(evolveListAll({ status: 'None' }, events)).sort()).toEqual(['p_pupil1', 'p_pupil2']);
  });
});

describe('re-sends and chunks', () => {
  const header = foodHeader(3);
  const first = () =>
    given(decider)
      .when(chunk(header, [food(1), food(2)], { last: false }))
      .events();
  it('a chunk that is not last leaves the list receiving', () => {
    expect(first().map((e) => e.type)).toEqual(['EligibilityListReceived', 'ListRowAccepted', 'ListRowAccepted']);
  });
  it('duplicates are found across chunks', () => {
    const events = given(decider, first())
      .when(chunk(header, [food(3, { familyId: 'fam-2' })]))
      .events();
    expect(events).toEqual([
      expect.objectContaining({ type: 'ListRowRejected', data: expect.objectContaining({ rowNo: 3, reason: 'duplicate_row' }) }),
      { type: 'EligibilityListProcessed', data: { listId: header.listId, accepted: 2, rejected: 1 } },
    ]);
  });
  it('a re-sent chunk decides nothing twice (resume after a crash)', () => {
    const events = given(decider, first())
      .when(chunk(header, [food(1), food(2), food(3)]))
      .events();
    expect(outcomes(events)).toEqual([[3, 'row_accepted']]);
  });
  it('a re-send of a processed list is a no-op', () => {
    const all = given(decider)
      .when(chunk(header, [food(1), food(2), food(3)]))
      .events();
    given(decider, all)
      .when(chunk(header, [food(1), food(2), food(3)]))
      .then([]);
  });
  it('the same list id with other content is refused', () => {
    given(decider, first())
      .when(chunk({ ...header, contentHash: 'h2' }, [food(3)]))
      .thenFails('list_already_received_with_different_content');
  });
  it('an empty list is processed at once', () => {
    given(decider)
      .when(chunk(foodHeader(0), []))
      .thenState((s) => expect(s).toMatchObject({ status: 'Processed', accepted: 0, rejected: 0 }));
  });
});

describe('folding many row events at once (evolveListAll)', () => {
  // Rows with shared members, duplicate families, invalid IINs and other cities, decided in chunks.
  const rowOf = fc.record({
    family: fc.integer({ min: 1, max: 12 }),
    members: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }),
    iinValid: fc.boolean(),
    city: fc.constantFrom('pavlodar', 'kokshetau', 'almaty'),
  });

  it('gives the state that evolving event by event gives, from any prefix', () => {
    fc.assert(
      fc.property(fc.array(rowOf, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (drawn, chunkSize) => {
        const header = foodHeader(drawn.length);
        const rows = drawn.map((r, i) =>
          food(i + 1, {
            familyId: `fam-${r.family}`,
            iinValid: r.iinValid,
            city: r.city,
            headPersonId: `p_${r.members[0]}`,
            memberPersonIds: r.members.map((m) => `p_${m}`),
          }),
        );
        let oneByOne = decider.initialState();
        let atOnce = decider.initialState();
        for (let at = 0; at < rows.length; at += chunkSize) {
          const part = rows.slice(at, at + chunkSize);
          const events = decider.decide(chunk(header, part, { last: at + chunkSize >= rows.length }), oneByOne);
          oneByOne = events.reduce(decider.evolve, oneByOne);
          atOnce = evolveListAll(atOnce, events);
          expect(atOnce).toEqual(oneByOne);
        }
        expect(atOnce.status).toBe('Processed');
      }),
    );
  });
});
