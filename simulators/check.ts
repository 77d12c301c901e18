/**
 * Truth against the read models: what the simulator did (and the API answered it) must be what the
 * reports say. Every comparison is one named check; any mismatch fails the run.
 */
import type { Driver } from './driver';
import type { FoodTruth } from './food';

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

interface FunnelRow {
  program: string;
  area: string;
  month: string;
  [key: string]: number | string;
}
interface OutcomesDoc {
  funnel: FunnelRow[];
  foodVolumes: { city: string; month: string; category: string; unit: string; quantity: number; amountTiyn: number }[];
  schoolMeals: { region: string; month: string; pupilsFed: number; mealsServed: number }[];
}

export async function outcomes(driver: Driver, query: string): Promise<OutcomesDoc> {
  const token = await driver.token({ role: 'ministry', sub: 'ministry-simulator' });
  const reply = await driver.http.call<OutcomesDoc>('GET', `/v1/ministry/outcomes?${query}`, { token });
  if (reply.status !== 200) throw new Error(`GET /v1/ministry/outcomes: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  return reply.body;
}

const norm = (s: string) => s.trim().toLowerCase();

const FOOD_FUNNEL_KEYS = [
  'eligible', 'noPhone', 'smsSent', 'reminded', 'consented', 'refused', 'timedOut',
  'issued', 'issuedTiyn', 'activated', 'activatedTiyn', 'usedTiyn', 'lapsedTiyn',
] as const;

export async function checkFood(driver: Driver, truth: FoodTruth): Promise<Checks> {
  await driver.settle();
  const checks = new Checks();
  checks.equal('list rows with the outcome the generator planted', 0, truth.unexpectedRowOutcomes);
  checks.equal('authorizations and captures the balance model predicted', 0, truth.modelMismatches);
  const doc = await outcomes(driver, `program=food-vouchers&month=${truth.month}`);
  const rows = doc.funnel.filter((r) => r.program === 'food-vouchers' && r.month === truth.month);
  for (const [city, t] of Object.entries(truth.byCity).sort(([a], [b]) => a.localeCompare(b))) {
    const row = rows.find((r) => norm(r.area) === norm(city));
    for (const key of FOOD_FUNNEL_KEYS) checks.equal(`food ${city} ${key}`, t[key], row ? Number(row[key]) : undefined);
    if (row) checks.equal(`food ${city} issued = used + lapsed (report)`, Number(row.issuedTiyn), Number(row.usedTiyn) + Number(row.lapsedTiyn));
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
    const reply = await driver.http.call<{ vouchers: { program: string; voucherId: string; issuedTiyn: number; spentTiyn: number }[] }>('GET', '/v1/me/vouchers', { token });
    const mine = (reply.body.vouchers ?? []).filter((v) => v.program === 'food-vouchers' && v.voucherId.includes(`~${truth.month}~`));
    if (mine.reduce((s, v) => s + v.spentTiyn, 0) === f.spentTiyn) spentOk++;
    if (mine.reduce((s, v) => s + v.issuedTiyn, 0) === f.issuedTiyn) issuedOk++;
  }
  checks.equal('sampled families: spent = the wallet view', truth.familySample.length, spentOk);
  checks.equal('sampled families: issued = the wallet view', truth.familySample.length, issuedOk);
  return checks;
}
