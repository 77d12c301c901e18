/**
 * School meals, two months of lists through the list and consent services (memory and Postgres
 * event stores): the monthly list is the unit of eligibility (seed 002: «на ежемесячной основе в
 * НОБД формирует список обучающихся, которым положена услуга»). March: four pupils; April: one
 * continues, one moves up a grade, one whose case ended "no phone" is asked again, one is absent
 * (suspended for April), one is new; then another school's April list names the absent pupil
 * (moved there, the suspension lifted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import { createPostgresEventStore } from '../../adapters/eventstore/postgres';
import type { EventStore } from '../../adapters/eventstore/port';
import { coreMigrations } from '../../adapters/postgres/migrate';
import { createMemoryPhoneDirectory } from '../../adapters/bmg/phone-directory';
import { createMemoryVault } from '../../adapters/vault/vault';
import { freshDatabase } from '../../test/pg';
import { streams } from '../../domain/events';
import { makeIin } from '../../domain/shared/iin';
import type { CommandMetadata } from '../../domain/shared/decider';
import { createMemoryConsentReads } from '../../projections/consent/reads';
import { createConsentServices } from './consent';
import { createListServices } from './lists';
import type { MealsListRow, ReceiveListInput } from './contract';
import { testStates } from '../../test/stream-states';

const person = (n: number, year = '2012-01-01', sex: 'male' | 'female' = 'male') => makeIin(year, sex, 600 + n);
const PUPILS = { A: person(1), B: person(2, '2017-01-01'), C: person(3), D: person(4), E: person(5) };
const MOTHERS = {
  A: person(11, '1985-01-01', 'female'),
  C: person(13, '1985-01-01', 'female'),
  D: person(14, '1985-01-01', 'female'),
  E: person(15, '1985-01-01', 'female'),
};
const FATHER_C = person(23, '1983-01-01');
const phoneOf = (n: number) => `7701000${String(n).padStart(4, '0')}`;

const meta = (now: string, commandId: string): CommandMetadata => ({ commandId, now, actor: { role: 'test', id: 'test' } });
const row = (pupil: keyof typeof PUPILS, grade: number, schoolId = 'school-1', reps: MealsListRow['representatives'] = []): MealsListRow => ({
  familyId: `fam-${pupil}`,
  pupil: { iin: PUPILS[pupil] },
  schoolId,
  grade,
  category: 'asp_family',
  approvedByHead: true,
  representatives: reps,
});
const mother = (pupil: keyof typeof MOTHERS) => ({ iin: MOTHERS[pupil], role: 'mother' as const });
const list = (listId: string, month: string, schoolId: string, rows: MealsListRow[]): ReceiveListInput => ({
  program: 'school-meals',
  source: 'nobd',
  listId,
  month,
  schoolYear: '2025-2026',
  schoolId,
  region: 'akmola',
  rows,
});

for (const [name, makeStore] of [
  ['memory', async () => ({ store: createMemoryEventStore() as EventStore, dispose: async () => undefined })],
  [
    'postgres',
    async () => {
      const db = await freshDatabase(coreMigrations());
      return { store: createPostgresEventStore(db.pool) as EventStore, dispose: db.drop };
    },
  ],
] as const) {
  describe(`monthly meals lists (${name} event store)`, () => {
    let store: EventStore;
    let dispose: () => Promise<void>;
    const vault = createMemoryVault('test-vault-key-0123456789');
    const phones = createMemoryPhoneDirectory([
      [MOTHERS.A, phoneOf(11)],
      [MOTHERS.D, phoneOf(14)],
      [MOTHERS.E, phoneOf(15)],
    ]);
    let services: ReturnType<typeof createListServices> & ReturnType<typeof createConsentServices>;
    const id = (iin: string) => vault.pseudonymise(iin);
    const types = async (stream: string) => (await store.readStream(stream)).map((e) => e.type);
    const meals = (pupil: keyof typeof PUPILS) => streams.meals(id(PUPILS[pupil]), '2025-2026');
    const consentOf = (pupil: keyof typeof PUPILS) => streams.consentMeals(id(PUPILS[pupil]), '2025-2026');

    beforeAll(async () => {
      ({ store, dispose } = await makeStore());
      const reads = createMemoryConsentReads(store);
      services = {
        ...createListServices({ states: testStates(store), vault, phones }),
        ...createConsentServices({ states: testStates(store), vault, reads }),
      };
      // March: A and D consent; B is a second-grader (no SMS); C's parents have no phone.
      const march = list('nobd-1-2026-03', '2026-03', 'school-1', [
        row('A', 7, 'school-1', [mother('A')]),
        row('B', 2),
        row('C', 8, 'school-1', [mother('C')]),
        row('D', 6, 'school-1', [mother('D')]),
      ]);
      expect(await services.receiveList(march, meta('2026-03-02T05:00:00.000Z', 'march'))).toMatchObject({ accepted: 4, rejected: 0, continued: 0 });
      for (const [n, at] of [
        [11, '2026-03-02T06:00:00.000Z'],
        [14, '2026-03-02T06:05:00.000Z'],
      ] as const)
        expect((await services.receiveSmsReply({ phone: phoneOf(n), text: '3#1', receivedAt: at }, meta(at, `reply-${n}`))).outcome).toBe('consent_given');
      phones.set(FATHER_C, phoneOf(23)); // C's father is in BMG by April
    });
    afterAll(async () => dispose());

    it('April’s list: continuing pupils are not returns, a grade moves, a case without a phone starts again, a new pupil is accepted', async () => {
      const april = list('nobd-1-2026-04', '2026-04', 'school-1', [
        row('A', 7, 'school-1', [mother('A')]),
        row('B', 3),
        row('C', 8, 'school-1', [mother('C'), { iin: FATHER_C, role: 'father' }]),
        row('E', 5, 'school-1', [mother('E')]),
      ]);
      const receipt = await services.receiveList(april, meta('2026-04-01T05:00:00.000Z', 'april'));
      // Old reading: A and B came back already_covered (returns), C was never asked again.
      expect(receipt).toMatchObject({ accepted: 2, rejected: 0, continued: 2 });
      expect(receipt.rows.map((r) => r.outcome)).toEqual(['row_continued', 'row_continued', 'row_accepted', 'row_accepted']);
      expect((await types(meals('A'))).slice(-1)).toEqual(['MealVoucherListed']);
      const b = await store.readStream(meals('B'));
      expect(b.slice(-2).map((e) => [e.type, e.data])).toEqual([
        ['MealVoucherTransferred', expect.objectContaining({ fromSchoolId: 'school-1', toSchoolId: 'school-1', fromGrade: 2, toGrade: 3, month: '2026-04' })],
        ['MealVoucherListed', expect.objectContaining({ grade: 3, month: '2026-04' })],
      ]);
      const c = await store.readStream(consentOf('C'));
      expect(c.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'ConsentPhoneNotFound', 'ConsentCaseReopened', 'SmsRequested', 'DeadlineScheduled']);
      expect(c[3]!.data).toMatchObject({ recipientPersonId: id(FATHER_C), role: 'father' });
    });

    it('suspends for April the voucher of the pupil absent from April’s list (seed 002), and records the list in the school’s index', async () => {
      const d = await store.readStream(meals('D'));
      expect(d.at(-1)).toMatchObject({ type: 'MealVoucherSuspended', data: { month: '2026-04', schoolId: 'school-1', reason: 'absent_from_month_list' } });
      const index = await store.readStream(streams.schoolLists('school-1', '2025-2026'));
      expect(index.map((e) => [(e.data as { month: string }).month, (e.data as { listed: string[] }).listed.length])).toEqual([
        ['2026-03', 4],
        ['2026-04', 4],
      ]);
      expect((await types(meals('A'))).filter((t) => t === 'MealVoucherSuspended')).toEqual([]);
    });

    it('another school’s April list naming the absent pupil moves the voucher there and lifts the suspension', async () => {
      const other = list('nobd-2-2026-04', '2026-04', 'school-2', [row('D', 6, 'school-2', [mother('D')])]);
      expect(await services.receiveList(other, meta('2026-04-02T05:00:00.000Z', 'april-2'))).toMatchObject({ accepted: 0, continued: 1 });
      expect((await types(meals('D'))).slice(-3)).toEqual(['MealVoucherSuspended', 'MealVoucherTransferred', 'MealVoucherListed']);
    });

    it('a re-sent list records nothing twice (chunks and the absentees’ step resume by their derived ids)', async () => {
      const before = (await store.readAll({ after: 0n, maxCount: 10_000 })).length;
      const again = list('nobd-1-2026-04', '2026-04', 'school-1', [
        row('A', 7, 'school-1', [mother('A')]),
        row('B', 3),
        row('C', 8, 'school-1', [mother('C'), { iin: FATHER_C, role: 'father' }]),
        row('E', 5, 'school-1', [mother('E')]),
      ]);
      expect(await services.receiveList(again, meta('2026-04-03T05:00:00.000Z', 'april-again'))).toMatchObject({ repeated: true, continued: 2 });
      expect((await store.readAll({ after: 0n, maxCount: 10_000 })).length).toBe(before);
    });
  });
}
