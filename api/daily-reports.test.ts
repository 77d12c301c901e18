/**
 * The daily reports delivered: the scheduler makes the previous local day's NOBD report (per
 * school, each pupil's status changes and meals) and the food report to the service provider
 * (activations, purchases, goods per city), keeps them and writes JSON and CSV files; any day's
 * report is fetched over HTTP by the roles it is for. Given fixed events in the log.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { appendAll } from '../test/projections/harness';
import { foodMonth, meal, mealsStart } from '../test/projections/fixtures';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
let reportsDir = '';
const nobd = { role: 'nobd', sub: 'nobd' } as const;
const provider = { role: 'service-provider', sub: 'trade-authority' } as const;
const pedagogue = (schoolId: string) => ({ role: 'social-pedagogue', sub: `ped-${schoolId}`, schoolId }) as const;

beforeAll(async () => {
  reportsDir = await mkdtemp(join(tmpdir(), 'swl-reports-'));
  t = await startTestSystem('2025-10-06T18:00:00.000Z', { env: { REPORTS_DIR: reportsDir } });
  await appendAll(t.system.store, [...mealsStart(), meal('2025-10-06'), ...foodMonth()]);
  await t.settle();
});
afterAll(async () => {
  await t?.close();
  if (reportsDir) await rm(reportsDir, { recursive: true, force: true });
});

async function tick(at: string) {
  t.clock.set(at);
  await t.system.scheduler.tick();
}

describe('after midnight in Almaty', () => {
  it('the scheduler makes the day before’s reports once and writes them as JSON and CSV files', async () => {
    await tick('2025-10-06T18:30:00.000Z'); // 23:30 local: the 6th is not over, the 5th is
    const before = await t.system.pool.query<{ day: string }>('select distinct day::text from daily_reports');
    expect(before.rows).toEqual([{ day: '2025-10-05' }]);
    await tick('2025-10-06T19:30:00.000Z'); // 00:30 on the 7th
    await tick('2025-10-06T20:30:00.000Z');
    const { rows } = await t.system.pool.query<{ kind: string; day: string }>(
      "select kind, day::text from daily_reports where day = '2025-10-06' order by kind",
    );
    expect(rows).toEqual([
      { kind: 'food', day: '2025-10-06' },
      { kind: 'nobd', day: '2025-10-06' },
    ]);
    const report = JSON.parse(await readFile(join(reportsDir, 'daily', 'nobd-2025-10-06.json'), 'utf8'));
    expect(report.pupilStatuses).toEqual([expect.objectContaining({ schoolId: 'school-7', listId: 'L1', rowNo: 1, status: 'voucher_activated' })]);
    expect(report.pupilMeals).toEqual([{ schoolId: 'school-7', pupilId: 'pupil-1', meals: 1 }]);
    expect(report.schools).toEqual([expect.objectContaining({ schoolId: 'school-7', vouchersActivated: 1, mealsProvided: 1 })]);
    const csv = await readFile(join(reportsDir, 'daily', 'nobd-2025-10-06.csv'), 'utf8');
    expect(csv).toContain('# pupil statuses');
    expect(csv).toContain('voucher_activated');
  });

  it('makes the days it missed while away, and the food report has each activation and purchase with the goods', async () => {
    await tick('2026-01-09T04:00:00.000Z');
    const answer = await t.call('GET', '/v1/reports/daily/food/2026-01-08', { token: await t.token(provider) });
    expect(answer.status).toBe(200);
    expect(answer.body.report.cities).toEqual([{ city: 'kokshetau', activations: 0, activatedTiyn: 0, purchases: 1, capturedTiyn: 100_000 }]);
    expect(answer.body.report.goods).toEqual([{ city: 'kokshetau', category: 'wheat_flour', unit: 'g', quantity: 2000, amountTiyn: 100_000 }]);
    const activation = await t.call('GET', '/v1/reports/daily/food/2026-01-06', { token: await t.token(provider) });
    expect(activation.body.report.activity).toEqual([
      expect.objectContaining({ kind: 'activation', voucherId: 'fv-a', amountTiyn: 432_500, city: 'kokshetau' }),
    ]);
    const csv = await t.call('GET', '/v1/reports/daily/food/2026-01-08?format=csv', { token: await t.token(provider) });
    const cities = parse(csv.text.split('\n# ')[0]!.split('\n').slice(1).join('\n'), { columns: true }) as Record<string, string>[];
    expect(cities).toEqual([{ date: '2026-01-08', city: 'kokshetau', activations: '0', activated_tiyn: '0', purchases: '1', captured_tiyn: '100000' }]);
    const { rows } = await t.system.pool.query<{ n: string }>("select count(*)::text as n from daily_reports where kind = 'food'");
    expect(Number(rows[0]!.n)).toBe(2 + 31);
  });

  it('answers by role: a pedagogue sees their school only; NOBD every school; a day not over is not ready', async () => {
    const own = await t.call('GET', '/v1/reports/daily/nobd/2025-10-06', { token: await t.token(pedagogue('school-7')) });
    expect(own.body.report.pupilStatuses).toHaveLength(1);
    const other = await t.call('GET', '/v1/reports/daily/nobd/2025-10-06?schoolId=school-7', { token: await t.token(pedagogue('school-9')) });
    expect(other.body.report.pupilStatuses).toEqual([]);
    const cases: [string, string, object, number, string?][] = [
      ['NOBD asks for the food report', '/v1/reports/daily/food/2026-01-08', nobd, 403, 'forbidden'],
      ['the provider asks for NOBD’s', '/v1/reports/daily/nobd/2025-10-06', provider, 403, 'forbidden'],
      ['today', '/v1/reports/daily/nobd/2026-01-09', nobd, 422, 'report_not_ready'],
      ['a bad date', '/v1/reports/daily/nobd/2026-02-30', nobd, 400, 'validation_failed'],
      ['an unknown kind', '/v1/reports/daily/shops/2026-01-08', nobd, 400, 'validation_failed'],
    ];
    for (const [name, path, who, status, code] of cases) {
      const answer = await t.call('GET', path, { token: await t.token(who as never) });
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code]);
    }
  });

  it('a past day never made is made when asked, and kept', async () => {
    const answer = await t.call('GET', '/v1/reports/daily/nobd/2025-10-01', { token: await t.token(nobd) });
    expect(answer.status).toBe(200);
    const again = await t.call('GET', '/v1/reports/daily/nobd/2025-10-01', { token: await t.token(nobd) });
    expect(again.body.generatedAt).toBe(answer.body.generatedAt);
  });
});
