/**
 * The canteen roster read model against the real Postgres, from meal-voucher events: issued →
 * activated is servable; suspended for a month is not, listed again is; a transfer moves it to the
 * new school and leaves a `left` row at the old one; expired is not; `since` returns exactly the
 * rows changed after a cursor; a rebuild equals the live model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameUuid } from '../../domain/shared/ids';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import type { EventStore } from '../../adapters/eventstore/port';
import type { MealVoucherEvent } from '../../domain/events';
import { streams } from '../../domain/streams';
import { createRunner } from '../runner';
import { readModelDatabase, snapshot } from '../../test/projections/harness';
import { canteenRosterProjection } from './projection';
import { canteenRoster, rosterHead, type RosterCards } from './queries';

const projections = [canteenRosterProjection];
const cards: RosterCards = { secret: 'roster-test', iinsOf: async (ids) => new Map(ids.filter((id) => id !== 'p-2').map((id) => [id, `iin-of-${id}`])) };
let db: Awaited<ReturnType<typeof readModelDatabase>>;
let store: EventStore;
const at = '2026-03-02T04:00:00.000Z';

async function project(): Promise<void> {
  const runner = createRunner({ pool: db.pool, store, projections, batchSize: 3 });
  await runner.catchUp();
  await runner.stop();
}

let n = 0;
async function append(pupilId: string, ...events: MealVoucherEvent[]): Promise<bigint> {
  const recorded = events.map((e) => {
    const id = `roster-test-${++n}`;
    const metadata = {
      commandId: id,
      correlationId: id,
      causationId: id,
      actor: { role: 'system', id: 'roster-test' },
      recordedAt: at,
      program: 'school-meals' as const,
    };
    return { id: nameUuid(id), type: e.type, data: e.data, metadata };
  });
  return (await store.append(streams.meals(pupilId, '2025-2026'), recorded, 'any')).lastPosition;
}

const issued = (pupilId: string, schoolId: string): MealVoucherEvent =>
  ({
    type: 'MealVoucherIssued',
    data: {
      voucherId: `v-${pupilId}`,
      pupilId,
      familyId: `f-${pupilId}`,
      schoolId,
      region: 'akmola',
      grade: 2,
      category: 'asp_family',
      schoolYear: '2025-2026',
      validFrom: '2026-03-02',
      validUntil: '2026-05-31',
      viaConsent: false,
      caseId: `c-${pupilId}`,
      issuedAt: at,
    },
  }) as MealVoucherEvent;
const activated = (pupilId: string): MealVoucherEvent => ({
  type: 'MealVoucherActivated',
  data: { voucherId: `v-${pupilId}`, byPersonId: 'parent', activatedAt: at },
});

beforeAll(async () => {
  db = await readModelDatabase(projections);
  store = createMemoryEventStore();
});
afterAll(async () => db?.drop());

const servable = async (schoolId: string) => (await canteenRoster(db.pool, cards, schoolId)).entries.map((e) => e.pupilId);

describe('canteen roster read model', () => {
  it('follows a voucher through activation, a month’s suspension, a transfer and expiry', async () => {
    await append('p-1', issued('p-1', 'school-a'));
    await append('p-2', issued('p-2', 'school-a'), activated('p-2'));
    await project();
    expect(await servable('school-a')).toEqual(['p-2']);
    const cursor = BigInt((await canteenRoster(db.pool, cards, 'school-a')).cursor);

    await append('p-1', activated('p-1'));
    await append('p-2', {
      type: 'MealVoucherSuspended',
      data: { voucherId: 'v-p-2', month: '2026-04', listId: 'l-4', schoolId: 'school-a', reason: 'absent_from_month_list', at },
    });
    await project();
    const changes = await canteenRoster(db.pool, cards, 'school-a', cursor);
    expect(changes.entries.map((e) => [e.pupilId, e.servable])).toEqual([
      ['p-1', true],
      ['p-2', false],
    ]);
    // The card digest is there while the IIN is kept (p-2's is "forgotten" in this test's vault).
    expect(changes.entries.map((e) => e.card !== undefined)).toEqual([true, false]);

    await append('p-2', {
      type: 'MealVoucherListed',
      data: { voucherId: 'v-p-2', month: '2026-05', listId: 'l-5', rowNo: 1, schoolId: 'school-a', grade: 2, at },
    });
    await append('p-1', {
      type: 'MealVoucherTransferred',
      data: { voucherId: 'v-p-1', month: '2026-05', listId: 'l-5b', fromSchoolId: 'school-a', toSchoolId: 'school-b', fromGrade: 2, toGrade: 2, at },
    });
    await project();
    expect(await servable('school-a')).toEqual(['p-2']);
    expect(await servable('school-b')).toEqual(['p-1']);
    const headA = await rosterHead(db.pool, 'school-a');
    const left = await canteenRoster(db.pool, cards, 'school-a', BigInt(changes.cursor));
    expect(left.entries.map((e) => [e.pupilId, e.servable])).toEqual([
      ['p-2', true],
      ['p-1', false],
    ]);
    expect(BigInt(left.cursor)).toBe(headA);

    await append('p-1', { type: 'MealVoucherExpired', data: { voucherId: 'v-p-1', at } });
    await project();
    expect(await servable('school-b')).toEqual([]);
    expect(await rosterHead(db.pool, 'school-a')).toBe(headA);
    expect(await rosterHead(db.pool, 'school-c')).toBe(0n);
  });

  it('run twice, same rows; a rebuild equals the live model', async () => {
    const tables = canteenRosterProjection.tables;
    const live = await snapshot(db.pool, tables);
    for (const table of tables) await db.pool.query(`truncate ${table}`);
    await db.pool.query('truncate projection_checkpoints');
    await project();
    expect(await snapshot(db.pool, tables)).toEqual(live);
  });
});
