/**
 * The demo's seeded pilot (npm run demo, the dashboard's browser tests, its screenshots): a small
 * population played through the real doors on a virtual clock — SDU lists, the BMG phone load, SMS
 * deliveries and replies, activations, QR purchases in shops, NOBD lists and canteen scans — by the
 * simulators' own drivers, food-voucher months and school meals side by side (lanes.ts):
 *
 *   food vouchers   February and March 2026, whole months (SMS on the 5th … lapse at month end)
 *   school meals    NOBD lists on 23 Feb; lunches 2 Mar – 3 Apr (spring break and holidays without)
 *   a quiet canteen one school's canteen is offline on 30–31 March; its devices keep the records
 *                   and send them on Monday 6 April, after the March табель became final: they are
 *                   late records, and those days have no record on the sheet (the meals page shows
 *                   both, as it would for a real school)
 *   canteens paid   on Sunday 5 April the operator issues March's payment orders from the final
 *                   табель and pays them through the paying agent, which rejects a share (re-issued
 *                   and paid); the quiet canteen's late records wait for a supplementary order
 *   the end         Monday 6 April 2026, 10:00 in Almaty: inside the pilot's last month, whose SDU
 *                   list has not come yet — the README's tour sends it for the tour family
 *
 * Everything is deterministic for a seed; nothing here is real (IINs are valid but belong to nobody).
 */
import { addDays, addMonths, firstDayOfMonth, instantAt, localDate, monthOf, type LocalDate, type Month } from '../../domain/shared/calendar';
import { createRng } from '../rng';
import { makeIin } from '../../domain/shared/iin';
import { DEFAULT_BEHAVIOUR } from '../behaviour';
import type { Driver } from '../driver';
import { simulateFoodMonth, type FoodTruth } from '../food';
import type { RequestBody } from '../http';
import { simulateMeals, type MealsTruth } from '../meals';
import { payCanteens } from '../money-out';
import { generatePopulation, type Population, type School } from '../population';
import { createLanes, type CallInit, type ClientAnswer, type Intercept } from './lanes';

export interface DemoPlan {
  readonly seed: string;
  readonly families: number;
  readonly pupils: number;
  readonly pupilsPerSchool: number;
  readonly foodMonths: readonly Month[];
  readonly mealsFrom: LocalDate;
  readonly mealsDays: number;
  /** School days on which one school's canteen sends nothing (its records come late, at the end). */
  readonly quietDays: readonly LocalDate[];
  /** Where the clock stands when the demo opens (local date and time in Almaty). */
  readonly endsOn: { readonly date: LocalDate; readonly time: string };
  readonly tickMinutes: number;
}

export const DEMO_PLAN: DemoPlan = {
  seed: '2026',
  families: 60,
  pupils: 120,
  pupilsPerSchool: 30,
  foodMonths: ['2026-02', '2026-03'],
  mealsFrom: '2026-03-02',
  mealsDays: 33,
  quietDays: ['2026-03-30', '2026-03-31'],
  endsOn: { date: '2026-04-06', time: '10:00' },
  // Two-hour steps: the two months take half the time of hourly ones, and nobody waits on a demo.
  tickMinutes: 120,
};

/** Where the demo's clock starts: before the first food month's SDU list (the 4th). */
export const demoStart = (plan: DemoPlan = DEMO_PLAN): string => instantAt(`${plan.foodMonths[0]}-01`, '00:00');

/**
 * The family the README's tour brings into April's pilot month by hand: not in any list yet, its
 * head's phone in the BMG load the demo makes. Invented; valid IINs that belong to nobody.
 */
export const TOUR_FAMILY = {
  familyId: 'tour-family-1',
  city: 'Kokshetau',
  head: { iin: makeIin('1988-05-17', 'female', 8901), fullName: 'Айгерим Тур', phone: '+77019990001' },
  child: { iin: makeIin('2016-09-01', 'male', 8902), fullName: 'Арман Тур' },
  shopId: 'shop-kokshetau-001',
} as const;

export interface DemoSeeded {
  readonly plan: DemoPlan;
  readonly population: Population;
  readonly food: readonly FoodTruth[];
  readonly meals: MealsTruth;
  /** The school whose canteen went quiet, and how many of its records came late. */
  readonly quietSchool: { readonly schoolId: string; readonly region: string; readonly days: readonly LocalDate[]; readonly lateRecords: number };
  /** Canteen payment orders issued (and paid through the agent) before the demo opens. */
  readonly paymentOrders: number;
  /** A family of the last food month that consented and shopped: the timeline's example. */
  readonly sampleFamilyId: string;
  readonly now: string;
}

/** Plays the plan through the driver's service; the clock ends where the plan says. */
export async function seedDemo(driver: Driver, plan: DemoPlan = DEMO_PLAN, onProgress?: (instant: string) => void): Promise<DemoSeeded> {
  const population = generatePopulation({ seed: plan.seed, families: plan.families, pupils: plan.pupils, pupilsPerSchool: plan.pupilsPerSchool });
  const tourPhones: [string, string][] = [[TOUR_FAMILY.head.iin, TOUR_FAMILY.head.phone]];
  const phones = new Map([...population.phones, ...tourPhones]);
  const seeded: Population = { ...population, phones };
  const quiet = quietSchoolOf(population);
  const held = new Map<string, CallInit>();

  const lanes = createLanes(driver, onProgress);
  const foodLane = lanes.lane('food-vouchers');
  const mealsLane = lanes.lane('school-meals', quietCanteen(quiet, plan.quietDays, held));
  const behaviour = DEFAULT_BEHAVIOUR;
  const options = { seed: plan.seed, behaviour, tickMinutes: plan.tickMinutes, concurrency: 16 };
  const [food, meals] = await Promise.all([
    (async () => {
      const truths: FoodTruth[] = [];
      try {
        for (const month of plan.foodMonths) truths.push(await simulateFoodMonth(foodLane, seeded, { ...options, month }));
      } finally {
        foodLane.done();
      }
      return truths;
    })(),
    (async () => {
      try {
        // The demo opens on its day: April's cases (its list came on 1 April) may still be waiting then.
        return await simulateMeals(mealsLane, seeded, { ...options, from: plan.mealsFrom, days: plan.mealsDays, untilCasesEnd: false });
      } finally {
        mealsLane.done();
      }
    })(),
  ]);

  // The 5th: each month's табель is final; its canteens' payment orders are issued and paid.
  const payments = [];
  for (const month of mealMonths(plan)) payments.push(await payCanteens(driver, month, createRng(`${plan.seed}/money-out/${month}`), PAYOUT_REJECT_SHARE));
  await driver.advanceTo(instantAt(plan.endsOn.date, plan.endsOn.time));
  onProgress?.(driver.clock.now().toISOString());
  // Monday morning: the quiet canteen is back online and sends what its devices kept.
  let lateRecords = 0;
  for (const init of held.values()) {
    const reply = await driver.http.send(
      driver.http.api.POST('/v1/canteen/batches', { headers: init.headers ?? {}, body: init.body as RequestBody<'/v1/canteen/batches', 'post'> }),
    );
    if (reply.status !== 200) throw new Error(`the quiet canteen's batch was refused: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    lateRecords += reply.body.results.filter((r) => r.outcome === 'meal_recorded').length;
  }
  await driver.settle();
  const last = food.at(-1);
  const sampleFamilyId = last?.familySample.find((f) => f.spentTiyn > 0)?.familyId ?? last?.familySample[0]?.familyId ?? '';
  return {
    plan,
    population: seeded,
    food,
    meals,
    quietSchool: { schoolId: quiet.schoolId, region: quiet.region, days: plan.quietDays, lateRecords },
    paymentOrders: payments.reduce((sum, run) => sum + run.orders, 0),
    sampleFamilyId,
    now: driver.clock.now().toISOString(),
  };
}

/** The paying agent's rejections in the demo: a few transfers fail and are re-issued. */
const PAYOUT_REJECT_SHARE = 0.1;

/** The months of the plan's lunches whose табель is final (its 5th) before the demo opens. */
function mealMonths(plan: DemoPlan): Month[] {
  const months = new Set<Month>();
  const opens = `${plan.endsOn.date}T${plan.endsOn.time}`;
  for (let day = plan.mealsFrom; day <= lastLunchDay(plan); day = addDays(day, 1)) {
    const month = monthOf(day);
    if (`${addDays(firstDayOfMonth(addMonths(month, 1)), 4)}T12:00` <= opens) months.add(month);
  }
  return [...months];
}

/** The first school of the largest region: its canteen is the one that goes quiet. */
function quietSchoolOf(population: Population): School {
  const school = [...population.schools].sort((a, b) => (a.region === b.region ? a.schoolId.localeCompare(b.schoolId) : a.region === 'pavlodar' ? -1 : 1))[0];
  if (!school) throw new Error('the demo needs at least one school (pupils > 0)');
  return school;
}

/** Holds the school's canteen batches of the quiet days (as if the network were down), to be sent later. */
function quietCanteen(school: School, days: readonly LocalDate[], held: Map<string, CallInit>): Intercept {
  const quietDays = new Set(days);
  return (method, path, init) => {
    if (method !== 'POST' || path !== '/v1/canteen/batches') return undefined;
    const body = init.body as { batchId: string; records: { scannedAt: string }[] };
    const device = school.deviceIds.find((id) => body.batchId.startsWith(`${id}-`));
    const day = body.records[0] ? localDate(body.records[0].scannedAt) : undefined;
    if (!device || !day || !quietDays.has(day)) return undefined;
    held.set(body.batchId, init);
    // The request never leaves the canteen (status 0: no connection); the device keeps the records.
    const offline: ClientAnswer = { error: { code: 'device_offline' }, response: { status: 0 } };
    return offline;
  };
}

/** The last day of the plan's lunches (for messages). */
export const lastLunchDay = (plan: DemoPlan = DEMO_PLAN): LocalDate => addDays(plan.mealsFrom, plan.mealsDays - 1);
