import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Recorded, Sql } from '../projection';
import { exchangeStatusesProjection } from './projection';
import { readModelDatabase, snapshot } from '../../test/projections/harness';
import { applyOne as referenceApply } from '../../test/projections/reference/exchange-statuses';

type Db = Awaited<ReturnType<typeof readModelDatabase>>;
const TABLES = exchangeStatusesProjection.tables;

/**
 * Events over a small world (two lists of three rows, three consent cases, three voucher streams;
 * a case's row is mostly row case + 1, so that links find their rows),
 * in any order — also orders the deciders never write (a change before its link, a repoint before
 * the case opens, a row named twice): the batch SQL must match event-by-event SQL whatever comes.
 */
const LISTS = ['L1', 'L2'];
const CASES = ['consent-school-meals-p1~2025-2026', 'consent-school-meals-p2~2025-2026', 'consent-school-meals-p3~2025-2026'];
const VOUCHERS = ['meals-p1-2025-2026', 'meals-p2-2025-2026', 'meals-p3-2025-2026'];
const caseId = (i: number) => `case-${i}`;

const listIdx = fc.integer({ min: 0, max: LISTS.length - 1 });
const rowNo = fc.integer({ min: 1, max: 3 });
const caseIdx = fc.integer({ min: 0, max: CASES.length - 1 });
const voucherIdx = fc.integer({ min: 0, max: VOUCHERS.length - 1 });

type Spec = { stream: string; type: string; data: Record<string, unknown> };

const specs: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ l: fc.constant(0), c: caseIdx }).map(({ l, c }) => ({
    stream: `list-nobd-${LISTS[l]}`,
    type: 'ListRowAccepted',
    data: { listId: LISTS[l], rowNo: c + 1, familyId: `f${c}`, personId: `p${c}`, caseStream: CASES[c], schoolId: 's1' },
  })),
  fc.record({ l: fc.constant(0), c: caseIdx }).map(({ l, c }) => ({
    stream: CASES[c]!,
    type: 'ConsentCaseOpened',
    data: { caseId: caseId(c), listId: LISTS[l], rowNo: c + 1 },
  })),
  fc.record({ l: listIdx, c: caseIdx }).map(({ l, c }) => ({
    stream: `list-nobd-${LISTS[l]}`,
    type: 'ListRowAccepted',
    data: { listId: LISTS[l], rowNo: c + 1, familyId: `f${c}`, personId: `p${c}`, caseStream: CASES[c], schoolId: 's1' },
  })),
  fc.record({ l: listIdx, r: rowNo, c: caseIdx }).map(({ l, r, c }) => ({
    stream: `list-nobd-${LISTS[l]}`,
    type: 'ListRowContinued',
    data: { listId: LISTS[l], rowNo: r, familyId: `f${c}`, personId: `p${c}`, caseStream: CASES[c], schoolId: 's1', grade: 3, covered: 'voucher' },
  })),
  fc.record({ l: listIdx, r: rowNo }).map(({ l, r }) => ({
    stream: `list-nobd-${LISTS[l]}`,
    type: 'ListRowRejected',
    data: { listId: LISTS[l], rowNo: r, reason: 'invalid_iin' },
  })),
  fc.record({ l: listIdx, c: caseIdx }).map(({ l, c }) => ({
    stream: CASES[c]!,
    type: 'ConsentCaseOpened',
    data: { caseId: caseId(c), listId: LISTS[l], rowNo: c + 1 },
  })),
  fc.record({ l: listIdx, r: rowNo, c: caseIdx }).map(({ l, r, c }) => ({
    stream: CASES[c]!,
    type: 'ConsentCaseReopened',
    data: { caseId: caseId(c), listId: LISTS[l], rowNo: r },
  })),
  fc.record({ c: caseIdx, t: fc.constantFrom('ConsentGiven', 'ConsentRefused', 'ConsentTimedOut') }).map(({ c, t }) => ({
    stream: CASES[c]!,
    type: t,
    data: { caseId: caseId(c) },
  })),
  fc.record({ v: voucherIdx, c: caseIdx }).map(({ v, c }) => ({ stream: VOUCHERS[v]!, type: 'MealVoucherIssued', data: { caseId: caseId(c) } })),
  fc.record({ v: voucherIdx, t: fc.constantFrom('MealVoucherActivated', 'MealVoucherExpired') }).map(({ v, t }) => ({
    stream: VOUCHERS[v]!,
    type: t,
    data: {},
  })),
  fc.record({ v: voucherIdx, reason: fc.constantFrom('not_listed', 'left_school') }).map(({ v, reason }) => ({
    stream: VOUCHERS[v]!,
    type: 'MealVoucherSuspended',
    data: { reason, month: '2025-10' },
  })),
);

const recordedOf = (list: readonly Spec[]): Recorded[] =>
  list.map(
    (s, i) =>
      ({
        id: `e${i}`,
        stream: s.stream,
        streamVersion: 0n,
        position: BigInt(i + 1),
        type: s.type,
        data: s.data,
        metadata: { recordedAt: new Date(Date.UTC(2025, 8, 1) + i * 60_000).toISOString() },
      }) as unknown as Recorded,
  );

describe('exchange_statuses a batch at a time', () => {
  let db: Db;
  beforeAll(async () => (db = await readModelDatabase([exchangeStatusesProjection])));
  afterAll(async () => db?.drop());

  const reset = async () => {
    for (const t of TABLES) await db.pool.query(`truncate ${t}`);
  };
  const runAll = async (statements: readonly Sql[]) => {
    for (const s of statements) await db.pool.query(s.text, s.values as unknown[]);
  };
  /** The rows without the links' positions (the reference writes none). */
  const rows = async () => {
    const snap = await snapshot(db.pool, TABLES);
    for (const table of ['exchange_cases', 'exchange_voucher_cases'])
      snap[table] = snap[table]!.map((r) => {
        const { position: _, ...rest } = r as Record<string, unknown>;
        return rest;
      });
    return snap;
  };

  it('any split into batches leaves the rows and feed that event-by-event SQL leaves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specs, { minLength: 8, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
        async (list, cuts) => {
          const events = recordedOf(list);
          await reset();
          for (const e of events) await runAll(referenceApply(e));
          const expected = await rows();
          await reset();
          let at = 0;
          for (let i = 0; at < events.length; i++) {
            const size = cuts[i % cuts.length]!;
            await runAll(exchangeStatusesProjection.apply(events.slice(at, at + size)));
            at += size;
          }
          expect(await rows()).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  const accepted = (list: string, row: number, c: number): Spec => ({
    stream: `list-nobd-${list}`,
    type: 'ListRowAccepted',
    data: { listId: list, rowNo: row, familyId: `f${c}`, personId: `p${c}`, caseStream: CASES[c], schoolId: 's1' },
  });
  const opened = (c: number, list: string, row: number): Spec => ({
    stream: CASES[c]!,
    type: 'ConsentCaseOpened',
    data: { caseId: caseId(c), listId: list, rowNo: row },
  });
  const reopened = (c: number, list: string, row: number): Spec => ({
    stream: CASES[c]!,
    type: 'ConsentCaseReopened',
    data: { caseId: caseId(c), listId: list, rowNo: row },
  });
  const given = (c: number): Spec => ({ stream: CASES[c]!, type: 'ConsentGiven', data: { caseId: caseId(c) } });

  it.each([
    ['a repoint before the case opens moves nothing', [accepted('L1', 1, 0), accepted('L2', 1, 0), reopened(0, 'L2', 1), opened(0, 'L1', 1), given(0)]],
    [
      'a change on a row that a later event creates changes nothing',
      [accepted('L1', 1, 0), opened(0, 'L1', 1), reopened(0, 'L2', 1), given(0), accepted('L2', 1, 0)],
    ],
  ])('in one batch as event by event: %s', async (_name, list) => {
    const events = recordedOf(list);
    await reset();
    for (const e of events) await runAll(referenceApply(e));
    const expected = await rows();
    await reset();
    await runAll(exchangeStatusesProjection.apply(events));
    expect(await rows()).toEqual(expected);
  });

  it('the scenarios do reach the rows: statuses change, repeats are not fed twice, repoints move the changes', async () => {
    await reset();
    const events = recordedOf([
      {
        stream: 'list-nobd-L1',
        type: 'ListRowAccepted',
        data: { listId: 'L1', rowNo: 1, familyId: 'f0', personId: 'p0', caseStream: CASES[0], schoolId: 's1' },
      },
      { stream: CASES[0]!, type: 'ConsentCaseOpened', data: { caseId: caseId(0), listId: 'L1', rowNo: 1 } },
      { stream: CASES[0]!, type: 'ConsentGiven', data: { caseId: caseId(0) } },
      { stream: VOUCHERS[0]!, type: 'MealVoucherIssued', data: { caseId: caseId(0) } },
      { stream: VOUCHERS[0]!, type: 'MealVoucherActivated', data: {} },
      { stream: VOUCHERS[0]!, type: 'MealVoucherActivated', data: {} },
      {
        stream: 'list-nobd-L2',
        type: 'ListRowContinued',
        data: { listId: 'L2', rowNo: 2, familyId: 'f0', personId: 'p0', caseStream: CASES[0], schoolId: 's1', grade: 3, covered: 'voucher' },
      },
      { stream: VOUCHERS[0]!, type: 'MealVoucherExpired', data: {} },
    ]);
    await runAll(exchangeStatusesProjection.apply(events));
    const { rows: stored } = await db.pool.query<{ list_id: string; status: string }>('select list_id, status from exchange_rows order by list_id');
    expect(stored).toEqual([
      { list_id: 'L1', status: 'voucher_activated' },
      { list_id: 'L2', status: 'voucher_expired' },
    ]);
    const { rows: feed } = await db.pool.query<{ status: string }>('select status from exchange_feed order by position');
    expect(feed.map((f) => f.status)).toEqual(['accepted', 'consent_given', 'voucher_issued', 'voucher_activated', 'continued', 'voucher_expired']);
  });
});
