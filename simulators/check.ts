/**
 * Truth against the read models: what the simulator did (and the API answered it) must be what the
 * reports say. Every comparison is one named check; any mismatch fails the run.
 */
import type { paths } from './api-schema.generated';
import type { ServiceHandle } from './driver';
import { bearer, pool } from './http';
import type { FoodTruth } from './food';
import type { MealsTruth } from './meals';
import type { TestEotinish } from './eotinish-server';
import type { MoneyOutTruth } from './money-out';

export interface Check {
  readonly name: string;
  readonly expected: number | string;
  readonly actual: number | string;
  readonly ok: boolean;
}

export class Checks {
  readonly items: Check[] = [];
  equal(name: string, expected: number | string, actual: number | string | undefined): void {
    const value = actual ?? 'missing';
    this.items.push({ name, expected, actual: value, ok: expected === value });
  }
  get failed(): Check[] {
    return this.items.filter((c) => !c.ok);
  }
}

type OutcomesQuery = NonNullable<paths['/v1/ministry/outcomes']['get']['parameters']['query']>;

export async function outcomes(driver: ServiceHandle, query: OutcomesQuery) {
  const token = await driver.token({ role: 'ministry', sub: 'ministry-simulator' });
  const reply = await driver.http.send(driver.http.api.GET('/v1/ministry/outcomes', { params: { query }, headers: bearer(token) }));
  if (reply.status !== 200) throw new Error(`GET /v1/ministry/outcomes: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  return reply.body;
}

const norm = (s: string) => s.trim().toLowerCase();

const FOOD_FUNNEL_KEYS = [
  'eligible',
  'noPhone',
  'smsSent',
  'reminded',
  'consented',
  'refused',
  'timedOut',
  'issued',
  'issuedTiyn',
  'activated',
  'activatedTiyn',
  'usedTiyn',
  'lapsedTiyn',
] as const;

/** `earlier`: the months simulated before on the same ledger (the feed and e-Otinish hold theirs too). */
export async function checkFood(driver: ServiceHandle, truth: FoodTruth, eotinish?: TestEotinish, earlier: readonly FoodTruth[] = []): Promise<Checks> {
  await driver.settle();
  const checks = new Checks();
  await checkReturnsAndFeed(
    driver,
    checks,
    'sdu',
    truth.listRowsTruth,
    earlier.reduce((n, t) => n + t.listRowsTruth.length, 0),
  );
  if (eotinish)
    await checkAppeals(
      driver,
      checks,
      truth.feedback,
      eotinish,
      earlier.reduce((n, t) => n + t.feedback.length, 0),
    );
  checks.equal('list rows with the outcome the generator planted', 0, truth.unexpectedRowOutcomes);
  checks.equal('authorizations and captures the balance model predicted', 0, truth.modelMismatches);
  checks.equal('start SMS to families whose consent stood from an earlier month', 0, truth.smsDespiteStandingConsent);
  const doc = await outcomes(driver, { program: 'food-vouchers', month: truth.month });
  const rows = doc.funnel.filter((r) => r.program === 'food-vouchers' && r.month === truth.month);
  for (const [city, t] of Object.entries(truth.byCity).sort(([a], [b]) => a.localeCompare(b))) {
    const row = rows.find((r) => norm(r.area) === norm(city));
    for (const key of FOOD_FUNNEL_KEYS) checks.equal(`food ${city} ${key}`, t[key], row ? Number(row[key]) : undefined);
    if (row) checks.equal(`food ${city} issued = used + lapsed (report)`, Number(row.issuedTiyn), Number(row.usedTiyn) + Number(row.lapsedTiyn));
    // The month has ended: every hold was captured, voided or has expired.
    if (row) checks.equal(`food ${city} held at month end (report)`, 0, Number(row.heldTiyn));
    for (const [category, v] of Object.entries(t.volumes).sort(([a], [b]) => a.localeCompare(b))) {
      const r = doc.foodVolumes.find((x) => norm(x.city) === norm(city) && x.month === truth.month && x.category === category && x.unit === v.unit);
      checks.equal(`food ${city} sold ${category} quantity (${v.unit})`, v.quantity, r?.quantity);
      checks.equal(`food ${city} sold ${category} tiyn`, v.amountTiyn, r?.amountTiyn);
    }
  }
  const reported = new Set(rows.map((r) => norm(r.area)));
  for (const area of reported) if (!(area in truth.byCity)) checks.equal(`food area ${area} exists in the simulation`, 'no row', `row for ${area}`);
  // The citizen's own view: a sample of families' wallets, spent and issued to the tiyn.
  let spentOk = 0;
  let issuedOk = 0;
  for (const f of truth.familySample) {
    const token = await driver.token({ role: 'citizen', sub: `citizen-${f.familyId}`, familyId: f.familyId, personId: f.personId });
    const reply = await driver.http.send(driver.http.api.GET('/v1/me/vouchers', { headers: bearer(token) }));
    const mine = (reply.body.vouchers ?? []).filter((v) => v.program === 'food-vouchers' && v.voucherId.includes(`~${truth.month}~`));
    if (mine.reduce((s, v) => s + v.spentTiyn, 0) === f.spentTiyn) spentOk++;
    if (mine.reduce((s, v) => s + v.issuedTiyn, 0) === f.issuedTiyn) issuedOk++;
  }
  checks.equal('sampled families: spent = the wallet view', truth.familySample.length, spentOk);
  checks.equal('sampled families: issued = the wallet view', truth.familySample.length, issuedOk);
  return checks;
}

const MEALS_FUNNEL_KEYS = ['eligible', 'notRequired', 'noPhone', 'smsSent', 'reminded', 'consented', 'refused', 'timedOut', 'issued', 'activated'] as const;

export async function checkMeals(
  driver: ServiceHandle,
  truth: MealsTruth,
  population: { schools: readonly { schoolId: string; region: string }[] },
): Promise<Checks> {
  await driver.settle();
  const checks = new Checks();
  checks.equal('list rows with the outcome the generator planted', 0, truth.unexpectedRowOutcomes);
  checks.equal('canteen records with the outcome the simulator expected', 0, truth.modelMismatches);
  // Quiet hours: nothing at night; a reminder due at midnight and a start SMS of a list that came
  // before the window go out at the window's first tick, not earlier, not later.
  checks.equal('SMS offered to the gateway outside the sending window', 0, truth.quietHours.outsideWindow);
  checks.equal('start SMS and reminders offered when the sending window allowed', truth.quietHours.asked, truth.quietHours.onTime);
  await checkReturnsAndFeed(driver, checks, 'nobd', truth.listRowsTruth);
  const months = [...new Set(truth.schoolDays.map((d) => d.slice(0, 7)))];
  const doc = await outcomes(driver, { program: 'school-meals' });
  for (const [key, t] of Object.entries(truth.byRegionMonth).sort(([a], [b]) => a.localeCompare(b))) {
    const [region, month] = key.split('|') as [string, string];
    const row = doc.funnel.find((r) => r.program === 'school-meals' && norm(r.area) === norm(region) && r.month === month);
    for (const k of MEALS_FUNNEL_KEYS) checks.equal(`meals ${region} ${month} ${k}`, t[k], row ? Number(row[k]) : 0);
    const served = doc.schoolMeals.find((r) => norm(r.region) === norm(region) && r.month === month);
    checks.equal(`meals ${region} ${month} meals served`, t.mealsServed, served?.mealsServed ?? 0);
  }
  // The табель of every school, every month: pupil × day counts, pupils fed per day, the total.
  const bySchool = new Map(population.schools.map((s) => [s.schoolId, s]));
  let sheets = 0;
  let pupilDaysOk = 0;
  let pupilDays = 0;
  let fedPerDayOk = 0;
  let fedPerDay = 0;
  let totalSimulated = 0;
  let totalReported = 0;
  let suspendedOnSheet = 0;
  let notListed = 0;
  for (const schoolId of bySchool.keys()) {
    const token = await driver.token({ role: 'social-pedagogue', sub: `pedagogue-${schoolId}`, schoolId });
    for (const month of months) {
      const reply = await driver.http.send(
        driver.http.api.GET('/v1/schools/{schoolId}/tabel/{month}', {
          params: { path: { schoolId, month }, query: { format: 'json' } },
          headers: bearer(token),
        }),
      );
      if (reply.status !== 200) {
        checks.equal(`tabel ${schoolId} ${month} answers`, 200, reply.status);
        continue;
      }
      sheets++;
      const simulated = truth.tabel[schoolId]?.[month] ?? {};
      const reported = new Map(reply.body.pupils.map((p) => [p.pupilId, p]));
      const simulatedFed: Record<string, number> = {};
      for (const [pupilId, days] of Object.entries(simulated)) {
        for (const [day, count] of Object.entries(days)) {
          pupilDays++;
          totalSimulated += count;
          simulatedFed[day] = (simulatedFed[day] ?? 0) + 1;
          if ((reported.get(pupilId)?.meals[day] ?? 0) === count) pupilDaysOk++;
        }
      }
      totalReported += reply.body.mealCount;
      notListed += reply.body.notListedMealCount;
      for (const pupilId of truth.suspendedPupils[schoolId]?.[month] ?? []) if (reported.has(pupilId)) suspendedOnSheet++;
      for (const day of truth.schoolDays.filter((d) => d.startsWith(month))) {
        fedPerDay++;
        if ((reply.body.fedPerDay[day] ?? 0) === (simulatedFed[day] ?? 0)) fedPerDayOk++;
      }
    }
  }
  checks.equal('табель sheets read', bySchool.size * months.length, sheets);
  checks.equal('табель: pupils absent from the month’s lists on the sheet (voucher suspended)', 0, suspendedOnSheet);
  checks.equal('табель: meals served before the month’s list dropped the pupil (notListed)', 0, notListed);
  await checkNobdDaily(driver, checks, truth, [...bySchool.keys()]);
  checks.equal('табель pupil-days as simulated', pupilDays, pupilDaysOk);
  checks.equal('табель pupils fed per school day as simulated', fedPerDay, fedPerDayOk);
  checks.equal('табель meal count (all schools)', totalSimulated, totalReported);
  return checks;
}

const NOBD_DAILY_KEYS = [
  'vouchersActivated',
  'mealsProvided',
  'consentConsented',
  'consentRefused',
  'consentTimedOut',
  'consentNoPhone',
  'consentNotRequired',
  'rowsReturned',
] as const;

/**
 * The NOBD daily report of every school on every day of the run (seed 001 appendix 2 p. 14: daily
 * reporting to NOBD on activations and meals): each figure as the simulation counted it, and every
 * school-day whole.
 */
async function checkNobdDaily(driver: ServiceHandle, checks: Checks, truth: MealsTruth, schoolIds: readonly string[]): Promise<void> {
  const token = await driver.token({ role: 'nobd', sub: 'nobd-simulator' });
  const pairs = schoolIds.flatMap((schoolId) => truth.days.map((date) => ({ schoolId, date })));
  const totals = Object.fromEntries(NOBD_DAILY_KEYS.map((k) => [k, { simulated: 0, reported: 0 }]));
  let whole = 0;
  await pool(pairs, 16, async ({ schoolId, date }) => {
    const reply = await driver.http.send(
      driver.http.api.GET('/v1/schools/{schoolId}/daily/{date}', { params: { path: { schoolId, date }, query: { format: 'json' } }, headers: bearer(token) }),
    );
    if (reply.status !== 200) throw new Error(`GET /v1/schools/${schoolId}/daily/${date}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    const report = typeof reply.body === 'string' ? undefined : reply.body.schools.find((r) => r.schoolId === schoolId);
    const simulated = truth.nobdDaily[schoolId]?.[date];
    let same = true;
    for (const key of NOBD_DAILY_KEYS) {
      totals[key]!.simulated += simulated?.[key] ?? 0;
      totals[key]!.reported += report?.[key] ?? 0;
      if ((simulated?.[key] ?? 0) !== (report?.[key] ?? 0)) same = false;
    }
    if (same) whole++;
  });
  for (const key of NOBD_DAILY_KEYS) checks.equal(`NOBD daily report: ${key} (all schools and days)`, totals[key]!.simulated, totals[key]!.reported);
  checks.equal('NOBD daily report: school-days with every figure as simulated', pairs.length, whole);
}

type RowTruth = { listId: string; rowNo: number; returnReason?: string };

/**
 * Every row that ended without a voucher is in its list's returns with the reason the simulation
 * says, and no other row is; the status feed replayed from the start ends, for every row, in the
 * status the list shows now.
 */
export async function checkReturnsAndFeed(
  driver: ServiceHandle,
  checks: Checks,
  source: 'sdu' | 'nobd',
  rows: readonly RowTruth[],
  earlierRows = 0,
): Promise<void> {
  const token = await driver.token({ role: source, sub: `${source}-simulator` });
  const lists = [...new Set(rows.map((r) => r.listId))].sort();
  const returned = new Map<string, string>();
  const current = new Map<string, string>();
  for (const listId of lists) {
    const path = { source, listId };
    const reply = await driver.http.send(
      driver.http.api.GET('/v1/lists/{source}/{listId}/returns', { params: { path, query: { format: 'json' } }, headers: bearer(token) }),
    );
    for (const r of reply.body.returns ?? []) returned.set(`${listId}#${r.rowNo}`, r.reason);
    const view = await driver.http.send(driver.http.api.GET('/v1/lists/{source}/{listId}', { params: { path }, headers: bearer(token) }));
    for (const r of view.body.rows ?? []) current.set(`${listId}#${r.rowNo}`, r.status ?? 'missing');
  }
  let reasonsOk = 0;
  for (const row of rows) if ((returned.get(`${row.listId}#${row.rowNo}`) ?? 'not returned') === (row.returnReason ?? 'not returned')) reasonsOk++;
  checks.equal(`${source} returns: every row that ended without a voucher, with the simulated reason`, rows.length, reasonsOk);
  checks.equal(`${source} returns: rows returned`, rows.filter((r) => r.returnReason).length, returned.size);
  const replayed = new Map<string, string>();
  let after = '';
  for (let page = 0; page < 100_000; page++) {
    const query = { limit: 1000, ...(after ? { after } : {}) };
    const reply = await driver.http.send(driver.http.api.GET('/v1/feeds/{source}/statuses', { params: { path: { source }, query }, headers: bearer(token) }));
    if (reply.status !== 200) throw new Error(`GET /v1/feeds/${source}/statuses: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    for (const s of reply.body.statuses) replayed.set(`${s.listId}#${s.rowNo}`, s.status);
    if (reply.body.statuses.length === 0) break;
    after = reply.body.next!;
  }
  let feedOk = 0;
  for (const [key, status] of current) if (replayed.get(key) === status) feedOk++;
  checks.equal(`${source} status feed replayed from the start = every row's current status`, current.size, feedOk);
  checks.equal(`${source} status feed rows = list rows (with earlier simulated months')`, rows.length + earlierRows, replayed.size);
}

/** Every rating and complaint reached e-Otinish exactly once, and the family sees its reference. */
async function checkAppeals(driver: ServiceHandle, checks: Checks, sent: FoodTruth['feedback'], eotinish: TestEotinish, earlierSent = 0): Promise<void> {
  checks.equal('appeals received by e-Otinish = submitted (with earlier simulated months’)', sent.length + earlierSent, eotinish.appeals.size);
  checks.equal('appeals: each submitted one received', sent.length, sent.filter((f) => eotinish.appeals.has(f.feedbackId)).length);
  const retried = sent.filter((f) => (eotinish.requests.get(f.feedbackId) ?? 0) > 1).length;
  // Each appeal e-Otinish failed must have been tried again (and still be there once).
  checks.equal(
    'appeals: every one e-Otinish failed was tried again',
    eotinish.failedKeys().size,
    [...eotinish.failedKeys()].filter((key) => eotinish.appeals.has(key)).length,
  );
  checks.equal(
    'appeals: e-Otinish failed some tries (the retry path ran)',
    eotinish.failedKeys().size > 0 || sent.length === 0 ? 'yes' : 'no',
    retried > 0 || sent.length === 0 ? 'yes' : 'no',
  );
  let seen = 0;
  for (const familyId of new Set(sent.map((f) => f.familyId))) {
    const mine = sent.filter((f) => f.familyId === familyId);
    const token = await driver.token({ role: 'citizen', sub: `citizen-${familyId}`, familyId, personId: mine[0]!.personId });
    const reply = await driver.http.send(driver.http.api.GET('/v1/me/feedback', { headers: bearer(token) }));
    for (const f of reply.body.feedback ?? [])
      if (f.status === 'forwarded' && f.eotinishRef === eotinish.appeals.get(f.feedbackId)?.ref && mine.some((m) => m.feedbackId === f.feedbackId)) seen++;
  }
  checks.equal('appeals: the family sees each one forwarded with e-Otinish’s reference', sent.length, seen);
}

/** The табель the simulator kept, per school and month, at the contract price it onboarded each school with. */
export function simulatedTabel(
  truth: MealsTruth,
  mealPriceOf: (schoolId: string) => number,
): { schoolId: string; month: string; meals: number; mealPriceTiyn: number }[] {
  return Object.entries(truth.tabel)
    .flatMap(([schoolId, months]) =>
      Object.entries(months).map(([month, pupils]) => ({
        schoolId,
        month,
        meals: Object.values(pupils).reduce((total, days) => total + Object.values(days).reduce((a, b) => a + b, 0), 0),
        mealPriceTiyn: mealPriceOf(schoolId),
      })),
    )
    .sort((a, b) => a.schoolId.localeCompare(b.schoolId) || a.month.localeCompare(b.month));
}

/** Money out against the truth: the reconciliation closes to the tiyn and equals what was captured or fed. */
export async function checkMoneyOut(
  driver: ServiceHandle,
  truth: MoneyOutTruth,
  expected: { readonly capturedTiyn?: number; readonly tabel?: readonly { schoolId: string; month: string; meals: number; mealPriceTiyn: number }[] },
  checks: Checks = new Checks(),
): Promise<Checks> {
  await driver.settle();
  const token = await driver.token({ role: 'auditor', sub: 'auditor-money-out' });
  const reply = await driver.http.send(driver.http.api.GET('/v1/settlement/reconciliation', { params: { query: { format: 'json' } }, headers: bearer(token) }));
  if (reply.status !== 200) {
    checks.equal('reconciliation answers', 200, reply.status);
    return checks;
  }
  const report = reply.body as Exclude<typeof reply.body, string>;
  checks.equal('reconciliation: differences', 0, report.differences.length);
  checks.equal('reconciliation: balanced', 'true', String(report.balanced));
  if (expected.capturedTiyn !== undefined) {
    checks.equal('money out: captured = what families spent', expected.capturedTiyn, report.totals.capturedTiyn);
    checks.equal('money out: settled = captured', report.totals.capturedTiyn, report.totals.settledTiyn);
  }
  const owed = report.totals.settledTiyn + report.totals.orderedTiyn;
  checks.equal('money out: paid = settled + ordered (every payable paid once)', owed, report.totals.paidTiyn);
  checks.equal('money out: pending', 0, report.totals.pendingTiyn);
  checks.equal('money out: unissued', 0, report.totals.unissuedTiyn);
  checks.equal('money out: a confirmation sent twice records nothing', 0, truth.repeatedImportRecorded);
  checks.equal('money out: every rejected transfer re-issued', truth.rejected, truth.reissued);
  if (expected.tabel) {
    for (const sheet of expected.tabel) {
      const line = report.schools.find((s) => s.schoolId === sheet.schoolId && s.month === sheet.month);
      checks.equal(`payment orders ${sheet.schoolId} ${sheet.month}: meals = табель`, sheet.meals, line?.mealsOrdered);
      checks.equal(`payment orders ${sheet.schoolId} ${sheet.month}: amount = meals × contract price`, sheet.meals * sheet.mealPriceTiyn, line?.amountTiyn);
    }
  }
  return checks;
}
