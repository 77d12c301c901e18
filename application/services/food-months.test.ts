/**
 * The food pilot across lists and months through the list and consent services (memory and
 * Postgres): one voucher per person per month across lists (a person-month index checked at
 * intake and at issue), and a consent that stands for the service period (seed 004 annex).
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
import { FOOD_VOUCHERS } from '../../domain/programs/food-vouchers';
import { makeIin } from '../../domain/shared/iin';
import type { CommandMetadata } from '../../domain/shared/decider';
import { createMemoryConsentReads } from '../../projections/consent/reads';
import { createConsentServices } from './consent';
import { createListServices } from './lists';
import type { FoodListRow, ReceiveListInput } from './contract';
import type { ProgramsOption } from './consent-streams';
import { testStates } from '../../test/stream-states';

const HEAD1 = makeIin('1980-02-02', 'female', 701);
const CHILD1 = makeIin('2012-02-02', 'male', 702);
const HEAD2 = makeIin('1981-03-03', 'male', 703);
const HEAD3 = makeIin('1979-04-04', 'female', 704);
const PHONE1 = '77010007001';
const meta = (now: string, commandId: string): CommandMetadata => ({ commandId, now, actor: { role: 'test', id: 'test' } });
const row = (familyId: string, head: string, members: string[], aspOnDate: string): FoodListRow => ({
  familyId,
  city: 'Pavlodar',
  aspOnDate,
  head: { iin: head },
  members: members.map((iin) => ({ iin })),
});
const list = (listId: string, month: string, rows: FoodListRow[]): ReceiveListInput => ({ program: 'food-vouchers', source: 'sdu', listId, month, rows });

const stores = [
  ['memory', async () => ({ store: createMemoryEventStore() as EventStore, dispose: async () => undefined })],
  [
    'postgres',
    async () => {
      const db = await freshDatabase(coreMigrations());
      return { store: createPostgresEventStore(db.pool) as EventStore, dispose: db.drop };
    },
  ],
] as const;

function world(make: (typeof stores)[number][1], programs?: ProgramsOption) {
  const w = {} as {
    store: EventStore;
    dispose: () => Promise<void>;
    services: ReturnType<typeof createListServices> & ReturnType<typeof createConsentServices>;
  };
  const vault = createMemoryVault('test-vault-key-0123456789');
  const phones = createMemoryPhoneDirectory([
    [HEAD1, PHONE1],
    [HEAD2, '77010007003'],
    [HEAD3, '77010007004'],
  ]);
  beforeAll(async () => {
    Object.assign(w, await make());
    const reads = createMemoryConsentReads(w.store);
    w.services = {
      ...createListServices({ states: testStates(w.store), vault, phones, ...(programs ? { programs } : {}) }),
      ...createConsentServices({ states: testStates(w.store), vault, reads, ...(programs ? { programs } : {}) }),
    };
    // March (the list on the 5th, so the SMS goes at once): two families; the first consents by SMS.
    await w.services.receiveList(
      list('sdu-2026-03', '2026-03', [row('fam-1', HEAD1, [HEAD1, CHILD1], '2026-02-28'), row('fam-2', HEAD2, [HEAD2], '2026-02-28')]),
      meta('2026-03-05T05:00:00.000Z', 'march'),
    );
    expect(
      (await w.services.receiveSmsReply({ phone: PHONE1, text: '21*1', receivedAt: '2026-03-06T05:00:00.000Z' }, meta('2026-03-06T05:00:00.000Z', 'yes')))
        .outcome,
    ).toBe('consent_given');
  });
  afterAll(async () => w.dispose());
  return w;
}

for (const [name, make] of stores) {
  describe(`food lists across months (${name} event store)`, () => {
    const w = world(make);
    const types = async (stream: string) => (await w.store.readStream(stream)).map((e) => e.type);

    it('refuses a second list of the month that names a person in another family: already_covered (person-month index)', async () => {
      // Old reading: each list checked only itself, so the child was paid in two families.
      const second = await w.services.receiveList(
        list('sdu-2026-03-b', '2026-03', [row('fam-3', HEAD3, [HEAD3, CHILD1], '2026-02-28')]),
        meta('2026-03-07T05:00:00.000Z', 'march-b'),
      );
      expect(second.rows).toMatchObject([{ rowNo: 1, outcome: 'already_covered' }]);
      const listView = await w.store.readStream(streams.list('sdu', 'sdu-2026-03-b'));
      expect(listView.find((e) => e.type === 'ListRowRejected')!.data).toMatchObject({
        reason: 'already_covered',
        detail: 'member 2 has vouchers in another family this month',
      });
    });

    it('April: the family that consented in March gets its vouchers without an SMS; the other family is asked on the 5th (consent scope: service period)', async () => {
      // Old reading: every family got the SMS on the 5th every month and waited for 21*1 again.
      const april = await w.services.receiveList(
        list('sdu-2026-04', '2026-04', [row('fam-1', HEAD1, [HEAD1, CHILD1], '2026-03-31'), row('fam-2', HEAD2, [HEAD2], '2026-03-31')]),
        meta('2026-04-01T05:00:00.000Z', 'april'),
      );
      expect(april).toMatchObject({ accepted: 2, rejected: 0 });
      expect(await types(streams.consentFood('fam-1', '2026-04'))).toEqual(['ConsentCaseOpened', 'ConsentGiven']);
      expect((await w.store.readStream(streams.consentFood('fam-1', '2026-04')))[1]!.data).toMatchObject({
        standingFrom: streams.consentFood('fam-1', '2026-03'),
      });
      expect(await types(streams.food('fam-1', '2026-04'))).toEqual(['FoodVouchersIssued', 'DeadlineScheduled']);
      expect(await types(streams.consentFood('fam-2', '2026-04'))).toEqual(['ConsentCaseOpened', 'DeadlineScheduled']);
    });
  });
}

describe('food lists across months, consent scope "month" (the parameter)', () => {
  const w = world(stores[0][1], { food: { ...FOOD_VOUCHERS, consentScope: 'month' } });
  it('asks every family again each month', async () => {
    await w.services.receiveList(
      list('sdu-2026-04', '2026-04', [row('fam-1', HEAD1, [HEAD1, CHILD1], '2026-03-31')]),
      meta('2026-04-01T05:00:00.000Z', 'april'),
    );
    expect((await w.store.readStream(streams.consentFood('fam-1', '2026-04'))).map((e) => e.type)).toEqual(['ConsentCaseOpened', 'DeadlineScheduled']);
    expect(await w.store.readStream(streams.foodConsent('fam-1'))).toEqual([]);
  });
});
