/**
 * Returns and status feeds over real HTTP against the real system: every row that ends without a
 * voucher — refused at intake, no phone, refused by the family, timed out — comes back in its
 * list's returns with the reason (JSON and CSV); the receipt says which rows are still pending;
 * each source's feed, replayed from the start (in pages), ends in every row's current status; a
 * bad-cursor table is answered with clear 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const nobd = { role: 'nobd', sub: 'nobd' } as const;
const gateway = { role: 'sms-gateway', sub: 'gw' } as const;
const iin = (serial: number, sex: 'male' | 'female' = 'female', birth = '1985-05-05') => makeIin(birth, sex, serial);
const HEAD = { A: iin(801), B: iin(802), C: iin(803), D: iin(804), E: iin(805) };
const PHONE = { A: '+77015550801', C: '+77015550803', D: '+77015550804', MOTHER3: '+77015550813' };
const PUPIL = { P1: iin(811, 'male', '2018-01-01'), P2: iin(812, 'male', '2012-01-01'), P3: iin(813, 'male', '2012-02-02') };
const MOTHER = { P2: iin(821), P3: iin(823) };

const foodRow = (familyId: string, head: string, city = 'Kokshetau') => ({
  familyId,
  city,
  aspOnDate: '2026-02-28',
  head: { iin: head },
  members: [{ iin: head }],
});
const mealsRow = (familyId: string, pupil: string, grade: number, mother: string) => ({
  familyId,
  pupil: { iin: pupil },
  schoolId: 'school-7',
  grade,
  category: 'asp_family',
  approvedByHead: true,
  representatives: [{ iin: mother, role: 'mother' }],
});

async function tick(at: string): Promise<void> {
  t.clock.set(at);
  await t.system.scheduler.tick();
  await t.settle();
}
async function reply(phone: string, text: string, at: string): Promise<void> {
  const answer = await t.call('POST', '/v1/sms/inbound', { token: await t.token(gateway), body: { phone, text, receivedAt: at } });
  expect(answer.status).toBe(200);
}
type Feed = { statuses: { cursor: string; listId: string; rowNo: number; status: string; reason?: string }[]; next: string | null };
async function feed(source: 'sdu' | 'nobd', query = ''): Promise<Feed> {
  const answer = await t.call('GET', `/v1/feeds/${source}/statuses${query}`, { token: await t.token(source === 'sdu' ? sdu : nobd) });
  expect(answer.status).toBe(200);
  return answer.body as Feed;
}

let foodReceipt: { rows: { rowNo: number; outcome: string; status?: string }[]; pending: number[] };
let mealsReceipt: { pending: number[] };
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
  await t.system.phones.load([
    [HEAD.A, PHONE.A],
    [HEAD.C, PHONE.C],
    [HEAD.D, PHONE.D],
    [MOTHER.P3, PHONE.MOTHER3],
  ]);
  const food = await t.call('POST', '/v1/lists/food-vouchers', {
    token: await t.token(sdu),
    body: {
      listId: 'sdu-x-1',
      month: '2026-03',
      rows: [
        foodRow('fam-A', HEAD.A),
        foodRow('fam-B', HEAD.B),
        foodRow('fam-C', HEAD.C),
        foodRow('fam-D', HEAD.D),
        foodRow('fam-E', HEAD.E, 'Almaty'),
        foodRow('fam-F', '123456789012'),
      ],
    },
  });
  expect(food.status).toBe(201);
  foodReceipt = food.body;
  const meals = await t.call('POST', '/v1/lists/school-meals', {
    token: await t.token(nobd),
    body: {
      listId: 'nobd-x-1',
      month: '2026-03',
      schoolYear: '2025-2026',
      schoolId: 'school-7',
      region: 'akmola',
      rows: [mealsRow('fam-P1', PUPIL.P1, 2, MOTHER.P2), mealsRow('fam-P2', PUPIL.P2, 7, MOTHER.P2), mealsRow('fam-P3', PUPIL.P3, 7, MOTHER.P3)],
    },
  });
  expect(meals.status).toBe(201);
  mealsReceipt = meals.body;
  await t.settle();
});
afterAll(async () => t?.close());

describe('an upload’s receipt', () => {
  it('says which rows are still pending a decision, and each row’s status at intake', () => {
    expect(foodReceipt.pending).toEqual([1, 3, 4]);
    expect(foodReceipt.rows.map((r) => [r.rowNo, r.outcome, r.status])).toEqual([
      [1, 'row_accepted', 'pending'],
      [2, 'row_accepted', 'returned'],
      [3, 'row_accepted', 'pending'],
      [4, 'row_accepted', 'pending'],
      [5, 'not_in_pilot_city', 'returned'],
      [6, 'invalid_iin', 'returned'],
    ]);
    expect(mealsReceipt.pending).toEqual([3]);
  });
});

describe('a month later', () => {
  beforeAll(async () => {
    await tick('2026-03-05T04:00:00.000Z'); // the food start SMS
    await reply(PHONE.A, '21*1', '2026-03-05T05:00:00.000Z');
    await reply(PHONE.C, '21*2', '2026-03-05T05:00:00.000Z');
    await tick('2026-03-10T04:00:00.000Z'); // reminders; the pupil's case timed out (3 + 3 days)
    await tick('2026-04-01T04:00:00.000Z'); // the food month's timeouts
  });

  it('returns every row that ended without a voucher, with its reason (JSON)', async () => {
    const food = await t.call('GET', '/v1/lists/sdu/sdu-x-1/returns', { token: await t.token(sdu) });
    expect(food.body.returns.map((r: { rowNo: number; reason: string }) => [r.rowNo, r.reason])).toEqual([
      [2, 'no_phone'],
      [3, 'consent_refused'],
      [4, 'consent_timed_out'],
      [5, 'not_in_pilot_city'],
      [6, 'invalid_iin'],
    ]);
    expect(food.body.returns[0]).toMatchObject({ familyId: 'fam-B', status: 'returned' });
    const meals = await t.call('GET', '/v1/lists/nobd/nobd-x-1/returns', { token: await t.token(nobd) });
    expect(meals.body.returns.map((r: { rowNo: number; reason: string }) => [r.rowNo, r.reason])).toEqual([
      [2, 'no_phone'],
      [3, 'consent_timed_out'],
    ]);
  });

  it('says the same in CSV, with no IIN in it', async () => {
    const csv = await t.call('GET', '/v1/lists/sdu/sdu-x-1/returns?format=csv', { token: await t.token(sdu) });
    expect(csv.contentType).toMatch(/text\/csv/);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.rowNo, r.reason])).toEqual([
      ['2', 'no_phone'],
      ['3', 'consent_refused'],
      ['4', 'consent_timed_out'],
      ['5', 'not_in_pilot_city'],
      ['6', 'invalid_iin'],
    ]);
    for (const head of Object.values(HEAD)) expect(csv.text).not.toContain(head);
  });

  it('the list view shows every row’s current status', async () => {
    const view = await t.call('GET', '/v1/lists/sdu/sdu-x-1', { token: await t.token(sdu) });
    expect(view.body.rows.map((r: { rowNo: number; status: string }) => [r.rowNo, r.status])).toEqual([
      [1, 'voucher_lapsed'],
      [2, 'returned'],
      [3, 'returned'],
      [4, 'returned'],
      [5, 'returned'],
      [6, 'returned'],
    ]);
    expect(view.body.pending).toEqual([]);
  });

  it('each feed replayed from the start, page by page, ends in every row’s current status', async () => {
    for (const [source, listId] of [
      ['sdu', 'sdu-x-1'],
      ['nobd', 'nobd-x-1'],
    ] as const) {
      const whole = await feed(source);
      const pages: Feed['statuses'] = [];
      let cursor = '';
      for (let i = 0; i < 100; i++) {
        const page = await feed(source, `?limit=2${cursor ? `&after=${cursor}` : ''}`);
        pages.push(...page.statuses);
        if (page.statuses.length === 0) break;
        cursor = page.next!;
      }
      expect(pages).toEqual(whole.statuses);
      const last = new Map<number, string>();
      for (const s of whole.statuses) if (s.listId === listId) last.set(s.rowNo, s.status);
      const view = await t.call('GET', `/v1/lists/${source}/${listId}`, { token: await t.token(source === 'sdu' ? sdu : nobd) });
      expect([...last.entries()].sort((a, b) => a[0] - b[0])).toEqual(view.body.rows.map((r: { rowNo: number; status: string }) => [r.rowNo, r.status]));
    }
    const food = await feed('sdu');
    expect(food.statuses.filter((s) => s.rowNo === 1).map((s) => s.status)).toEqual([
      'accepted',
      'consent_requested',
      'consent_given',
      'voucher_issued',
      'voucher_lapsed',
    ]);
    const meals = await feed('nobd');
    expect(meals.statuses.filter((s) => s.rowNo === 1).map((s) => s.status)).toEqual(['accepted', 'consent_not_required', 'voucher_issued']);
  });

  it('answers the same page for the same cursor, and an empty page at the end', async () => {
    const first = await feed('sdu', '?limit=3');
    const again = await feed('sdu', `?limit=3&after=${first.statuses[0]!.cursor}`);
    const twice = await feed('sdu', `?limit=3&after=${first.statuses[0]!.cursor}`);
    expect(again).toEqual(twice);
    expect(again.statuses[0]).toEqual(first.statuses[1]);
    const all = await feed('sdu', '?limit=1000');
    const end = await feed('sdu', `?after=${all.next}`);
    expect(end).toEqual({ statuses: [], next: all.next });
  });

  it('answers a bad cursor table with clear 4xx', async () => {
    const all = await feed('sdu', '?limit=1000');
    const last = Buffer.from(all.next!, 'base64url').toString();
    const future = Buffer.from(last.replace(/\.(\d+)\./, (_m, p: string) => `.${BigInt(p) + 1_000_000n}.`)).toString('base64url');
    const cases: [string, string, number, string][] = [
      ['a cursor from the future', `?after=${future}`, 400, 'cursor_from_the_future'],
      ['garbage', '?after=not-a-cursor', 400, 'invalid_cursor'],
      ['a cursor edited by hand', `?after=${Buffer.from('sf1.1x.0').toString('base64url')}`, 400, 'invalid_cursor'],
      ['a limit too big', '?limit=100000', 400, 'validation_failed'],
    ];
    for (const [name, query, status, code] of cases) {
      const answer = await t.call('GET', `/v1/feeds/sdu/statuses${query}`, { token: await t.token(sdu) });
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code]);
    }
    const otherSource = await t.call('GET', '/v1/feeds/sdu/statuses', { token: await t.token(nobd) });
    expect(otherSource.status).toBe(403);
  });
});

describe('the next months’ meals lists (issue 16: the monthly list is the unit of eligibility)', () => {
  type Row = { rowNo: number; status: string; reason?: string };
  async function rows(listId: string): Promise<Row[]> {
    const view = await t.call('GET', `/v1/lists/nobd/${listId}`, { token: await t.token(nobd) });
    expect(view.status).toBe(200);
    return view.body.rows as Row[];
  }
  async function mealsList(listId: string, month: string, body: unknown[]): Promise<{ rows: { rowNo: number; outcome: string; status?: string }[] }> {
    const answer = await t.call('POST', '/v1/lists/school-meals', {
      token: await t.token(nobd),
      body: { listId, month, schoolYear: '2025-2026', schoolId: 'school-7', region: 'akmola', rows: body },
    });
    expect(answer.status).toBe(201);
    await t.settle();
    return answer.body;
  }

  it('April without the pupil who has a voucher: suspended for the month, not returned; the others start again on April’s rows', async () => {
    const april = await mealsList('nobd-x-4', '2026-04', [mealsRow('fam-P2', PUPIL.P2, 7, MOTHER.P2), mealsRow('fam-P3', PUPIL.P3, 7, MOTHER.P3)]);
    expect(april.rows.map((r) => [r.rowNo, r.outcome, r.status])).toEqual([
      [1, 'row_accepted', 'returned'],
      [2, 'row_accepted', 'pending'],
    ]);
    // March's rows keep how they ended; the voucher of March's row 1 is suspended for April.
    expect((await rows('nobd-x-1')).map((r) => [r.rowNo, r.status, r.reason ?? null])).toEqual([
      [1, 'voucher_suspended', 'absent_from_month_list'],
      [2, 'returned', 'no_phone'],
      [3, 'returned', 'consent_timed_out'],
    ]);
    // The cases started again land on April's rows: still no phone for P2, P3's mother asked again.
    expect((await rows('nobd-x-4')).map((r) => [r.rowNo, r.status, r.reason ?? null])).toEqual([
      [1, 'returned', 'no_phone'],
      [2, 'consent_requested', null],
    ]);
    const returns = await t.call('GET', '/v1/lists/nobd/nobd-x-1/returns', { token: await t.token(nobd) });
    expect(returns.body.returns.map((r: { rowNo: number }) => r.rowNo)).toEqual([2, 3]);
  });

  it('May names the pupil again: a continued row (not a return) whose voucher is listed for May', async () => {
    await tick('2026-05-04T04:00:00.000Z');
    const may = await mealsList('nobd-x-5', '2026-05', [mealsRow('fam-P1', PUPIL.P1, 2, MOTHER.P2)]);
    expect(may.rows.map((r) => [r.rowNo, r.outcome, r.status])).toEqual([[1, 'row_continued', 'continued']]);
    expect((await rows('nobd-x-5')).map((r) => [r.rowNo, r.status])).toEqual([[1, 'voucher_listed']]);
    const returns = await t.call('GET', '/v1/lists/nobd/nobd-x-5/returns', { token: await t.token(nobd) });
    expect(returns.body.returns).toEqual([]);
    const fed = (await feed('nobd', '?limit=1000')).statuses.filter((s) => s.listId === 'nobd-x-5').map((s) => s.status);
    expect(fed).toEqual(['continued', 'voucher_listed']);
  });
});
