/**
 * npm run simulate -- --program food --month 2026-03 --families 20000 --seed 7
 * npm run simulate -- --program meals --from 2026-03-02 --days 10 --pupils 5000 --seed 7
 * npm run simulate -- --program meals --month 2026-04 --months 2 --pupils 5000 --seed 7
 * npm run load -- --url http://127.0.0.1:3000 --shops 32 --devices 16 --seconds 30
 *
 * simulate starts the whole system in this process (embedded Postgres in a throw-away directory,
 * or DATABASE_URL) on a virtual clock, drives it through its HTTP API, prints the funnel and the
 * money, checks them against the read models and writes a JSON summary; exit 1 on a mismatch.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  addDays,
  addMonths,
  daysBetween,
  firstDayOfMonth,
  instantAt,
  lastDayOfMonth,
  schoolYearOf,
  type LocalDate,
  type Month,
} from '../domain/shared/calendar';
import { SCHOOL_MEALS } from '../domain/programs/school-meals';
import { behaviourFrom } from './behaviour';
import { startInProcess, throwAwayDatabase } from './driver';
import { generatePopulation, LARGE_PUPILS } from './population';
import { createProgress } from './progress';
import { FOOD_CONCURRENCY, simulateFoodMonth } from './food';
import { checkFood, checkMeals, checkMoneyOut, simulatedTabel, Checks } from './check';
import { payCanteens, settleFoodMonths, sumMoneyOut } from './money-out';
import { createRng } from './rng';
import { fixtureSchool } from './registry';
import { simulateMeals } from './meals';
import { startTestEotinish } from './eotinish-server';
import { formatKzt } from '../domain/shared/money';
import { applyDurabilityFlag, durabilityNote, FAST_UNSAFE_FLAG } from './durability';

export type Args = Record<string, string | boolean>;

export function parseArgs(argv: readonly string[]): { command: string; args: Args } {
  const [command = 'help', ...rest] = argv;
  const args: Args = {};
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (!token.startsWith('--')) throw new Error(`unexpected argument ${token} (options are --name value)`);
    const [name, inline] = token.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) args[name] = inline;
    else if (i + 1 < rest.length && !rest[i + 1]!.startsWith('--')) args[name] = rest[++i]!;
    else args[name] = true;
  }
  return { command, args };
}

export function intArg(args: Args, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new Error(`--${name}: expected an integer 0–${max}, got ${String(raw)}`);
  return value;
}

export function strArg(args: Args, name: string, fallback: string, pattern?: RegExp): string {
  const raw = args[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || (pattern && !pattern.test(raw))) throw new Error(`--${name}: invalid value ${String(raw)}`);
  return raw;
}

/** The simulated paying agent rejects this share of first transfers (a closed account); they are re-issued. */
const MONEY_OUT_REJECT_SHARE = 0.1;

const HELP = `Usage:
  npm run simulate -- --program food --month 2026-03 [--months 1] [--families 20000] [--seed 7]
  npm run simulate -- --program meals --from 2026-03-02 [--days 10] [--pupils 20000 | --large] [--seed 7]
  npm run simulate -- --program meals --month 2026-04 [--months 2] [--pupils 20000] [--seed 7]   (a list every month)
    common: [--fast-unsafe] (fsync, synchronous_commit, full_page_writes off: quicker, not a deployment's figures)
            [--behaviour '<json over simulators/behaviour.ts defaults>'] [--tick-minutes 60]
            [--concurrency 256 for food, 32 for meals] [--out reports/simulation-….json] [--quiet]
    food: [--in-process] (the service shares the simulator's process; default: its own process)
  npm run load -- --shops 32 --devices 16 --seconds 30 [--processes 2] [--pupils-per-device 500] [--batch 500] [--out load.json] [--fast-unsafe]
`;

async function simulate(args: Args): Promise<number> {
  const program = strArg(args, 'program', 'food', /^(food|meals)$/);
  const seed = strArg(args, 'seed', '7');
  const quiet = args.quiet === true;
  const behaviour = behaviourFrom(typeof args.behaviour === 'string' ? JSON.parse(args.behaviour) : {});
  const tickMinutes = intArg(args, 'tick-minutes', 60, 24 * 60);
  const concurrency = intArg(args, 'concurrency', program === 'food' ? FOOD_CONCURRENCY : 32, 512);
  const progress = (total: number, title: string) => createProgress(total, title, { quiet });
  const database = await throwAwayDatabase();
  if (!quiet) process.stderr.write(`${durabilityNote(database.durable)}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'swl-sim-data-'));
  const started = performance.now();
  let checks: Checks;
  let summary: Record<string, unknown>;
  if (program === 'food') {
    const month = strArg(args, 'month', '2026-03', /^\d{4}-\d{2}$/);
    const months = intArg(args, 'months', 1, 4);
    const families = intArg(args, 'families', 20_000, 1_000_000);
    const t0 = performance.now();
    const population = generatePopulation({ seed, families, pupils: 0 });
    const populationMs = performance.now() - t0;
    const start = instantAt(`${month}-01`, '00:00');
    // e-Otinish stands in over HTTP and fails every appeal's first try: each must reach it once all the same.
    const eotinish = await startTestEotinish();
    eotinish.failFirstTriesPerAppeal(1);
    const env = { EOTINISH_URL: eotinish.url };
    // The service runs in its own process (its own thread, as in production) unless --in-process.
    const driver =
      args['in-process'] === true
        ? await startInProcess({ start, databaseUrl: database.url, dataDir, maxSockets: concurrency * 2, env })
        : await (await import('./load')).startService(start, { clock: 'virtual', databaseUrl: database.url, dataDir, maxSockets: concurrency * 2, env });
    try {
      const t1 = performance.now();
      // Consecutive months on one ledger: a consent given in one month stands for the next (consent scope).
      const truths: Awaited<ReturnType<typeof simulateFoodMonth>>[] = [];
      checks = new Checks();
      for (let m = 0; m < months; m++) {
        const consentedEarlier = new Set(truths.flatMap((t) => t.consentedFamilies));
        const truth = await simulateFoodMonth(driver, population, {
          month: addMonths(month, m),
          seed,
          behaviour,
          tickMinutes,
          concurrency,
          progress,
          eotinish,
          consentedEarlier,
          adjacentDuplicates: args['adjacent-duplicates'] === true,
        });
        checks.items.push(
          ...(await checkFood(driver, truth, eotinish, truths)).items.map((c) => (months === 1 ? c : { ...c, name: `${truth.month} ${c.name}` })),
        );
        truths.push(truth);
        printFood(truth);
      }
      const simulatedMs = performance.now() - t1;
      if (!quiet) process.stderr.write("money out: settlement windows, payout files, the paying agent's answers\n");
      const money = await settleFoodMonths(
        driver,
        truths.map((t) => t.month),
        createRng(`${seed}/money-out`),
        MONEY_OUT_REJECT_SHARE,
      );
      const spent = truths.reduce((total, t) => total + Object.values(t.byCity).reduce((sum, city) => sum + city.usedTiyn, 0), 0);
      await checkMoneyOut(driver, money, { capturedTiyn: spent }, checks);
      summary = {
        program: 'food-vouchers',
        month,
        months,
        families,
        seed,
        populationMs: Math.round(populationMs),
        simulatedMs: Math.round(simulatedMs),
        truth: months === 1 ? truths[0] : truths,
        money,
      };
    } finally {
      await driver.stop();
      await eotinish.close();
    }
  } else {
    // --month M --months N: the school days of N consecutive months, a list of each month (NOBD forms it monthly);
    // else --from and --days (the lists of every month the days touch).
    const { from, days } =
      typeof args.month === 'string'
        ? mealsMonths(args)
        : { from: strArg(args, 'from', '2026-03-02', /^\d{4}-\d{2}-\d{2}$/), days: intArg(args, 'days', 10, 120) };
    const pupils = args.large === true ? LARGE_PUPILS : intArg(args, 'pupils', 20_000, 2_000_000);
    const t0 = performance.now();
    const population = generatePopulation({ seed, families: 0, pupils });
    const populationMs = performance.now() - t0;
    const driver = await startInProcess({ start: instantAt(addDays(from, -8), '00:00'), databaseUrl: database.url, dataDir, maxSockets: concurrency * 2 });
    try {
      const t1 = performance.now();
      const dayTimes: Record<string, number> = {};
      const dayStarted = new Map<string, number>();
      const truth = await simulateMeals(driver, population, {
        from,
        days,
        seed,
        behaviour,
        tickMinutes,
        concurrency,
        progress,
        onSchoolDay: (day, phase) => {
          if (phase === 'start') dayStarted.set(day, performance.now());
          else if (dayStarted.has(day) && !(day in dayTimes)) dayTimes[day] = Math.round(performance.now() - dayStarted.get(day)!);
        },
      });
      const simulatedMs = performance.now() - t1;
      checks = await checkMeals(driver, truth, population);
      const tabel = simulatedTabel(truth, (schoolId) => fixtureSchool(schoolId).mealPriceTiyn);
      if (!quiet) process.stderr.write('money out: canteen payment orders from the final табель, paid through the agent\n');
      const money = [];
      for (const month of [...new Set(tabel.map((sheet) => sheet.month))])
        money.push(await payCanteens(driver, month as Month, createRng(`${seed}/money-out/${month}`), MONEY_OUT_REJECT_SHARE));
      await checkMoneyOut(driver, sumMoneyOut(money), { tabel }, checks);
      summary = {
        program: 'school-meals',
        money,
        from,
        days,
        pupils,
        schools: population.schools.length,
        seed,
        populationMs: Math.round(populationMs),
        simulatedMs: Math.round(simulatedMs),
        schoolDayMs: dayTimes,
        truth: { ...truth, tabel: undefined },
      };
      printMeals(truth);
    } finally {
      await driver.stop();
    }
  }
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const wallMs = Math.round(performance.now() - started);
  const out = resolve(strArg(args, 'out', `reports/simulation-${program}-${seed}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ ...summary, durable: database.durable, wallMs, checks: { passed: checks.items.length - checks.failed.length, failed: checks.failed, all: checks.items } }, null, 2)}\n`,
  );
  process.stdout.write(
    `\nchecks: ${checks.items.length - checks.failed.length}/${checks.items.length} passed; wall ${(wallMs / 1000).toFixed(1)} s; ${database.durable ? 'durable' : 'FAST-UNSAFE'} Postgres; summary ${out}\n`,
  );
  for (const c of checks.failed) process.stdout.write(`  MISMATCH ${c.name}: simulated ${c.expected}, reported ${c.actual}\n`);
  return checks.failed.length === 0 ? 0 : 1;
}

function printFood(truth: Awaited<ReturnType<typeof simulateFoodMonth>>): void {
  const lines: string[] = [
    `\nFood vouchers ${truth.month}: ${truth.listRows} list rows, ${truth.accepted} accepted, rejected ${JSON.stringify(truth.rejectedByReason)}`,
  ];
  const cols = [
    'eligible',
    'noPhone',
    'smsSent',
    'reminded',
    'consented',
    'refused',
    'timedOut',
    'issued',
    'activated',
    'holds',
    'captures',
    'voids',
    'abandoned',
  ] as const;
  lines.push(`${'city'.padEnd(10)} ${cols.map((c) => c.padStart(9)).join(' ')}`);
  for (const [city, t] of Object.entries(truth.byCity)) lines.push(`${city.padEnd(10)} ${cols.map((c) => String(t[c]).padStart(9)).join(' ')}`);
  lines.push(`${'money'.padEnd(10)} ${'issued'.padStart(16)} ${'activated'.padStart(16)} ${'spent'.padStart(16)} ${'lapsed'.padStart(16)}`);
  for (const [city, t] of Object.entries(truth.byCity))
    lines.push(`${city.padEnd(10)} ${[t.issuedTiyn, t.activatedTiyn, t.usedTiyn, t.lapsedTiyn].map((v) => formatKzt(v).padStart(16)).join(' ')}`);
  lines.push(`SMS ${JSON.stringify(truth.smsByKind)} (failed once and retried: ${truth.smsFailedOnce}); replies ${JSON.stringify(truth.replies)}`);
  lines.push(
    `returns: ${truth.listRowsTruth.filter((r) => r.returnReason).length} of ${truth.listRowsTruth.length} rows; ratings and complaints to e-Otinish: ${truth.feedback.length}`,
  );
  lines.push(`${truth.requests} HTTP requests; refusals ${JSON.stringify(truth.refusals)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The days of `--months` consecutive months from `--month`, inside the 2026 order (from 21 Feb 2026,
 * 12 months) and one school year (a voucher is for a school year; lessons end in late May).
 */
function mealsMonths(args: Args): { from: LocalDate; days: number } {
  const month = strArg(args, 'month', '2026-03', /^\d{4}-\d{2}$/);
  const months = intArg(args, 'months', 1, 4);
  const first = firstDayOfMonth(month);
  const from = first < SCHOOL_MEALS.inForce.from ? SCHOOL_MEALS.inForce.from : first;
  const last = lastDayOfMonth(addMonths(month, months - 1));
  const year = schoolYearOf(from);
  if (!year || schoolYearOf(last) !== year) throw new Error(`--month ${month} --months ${months}: the months must lie in one school year (September–May)`);
  if (from > SCHOOL_MEALS.inForce.until)
    throw new Error(`--month ${month}: the 2026 order is in force ${SCHOOL_MEALS.inForce.from} – ${SCHOOL_MEALS.inForce.until}`);
  return { from, days: daysBetween(from, last) + 1 };
}

function printMeals(truth: Awaited<ReturnType<typeof simulateMeals>>): void {
  const lines: string[] = [
    `\nSchool meals from ${truth.from}, ${truth.dayCount} days (${truth.schoolDays.length} school days): ${truth.listRows} list rows, ${truth.accepted} accepted, rejected ${JSON.stringify(truth.rejectedByReason)}`,
  ];
  const cols = ['eligible', 'notRequired', 'noPhone', 'smsSent', 'reminded', 'consented', 'refused', 'timedOut', 'issued', 'activated', 'mealsServed'] as const;
  lines.push(`${'region|month'.padEnd(16)} ${cols.map((c) => c.padStart(11)).join(' ')}`);
  for (const [key, t] of Object.entries(truth.byRegionMonth)) lines.push(`${key.padEnd(16)} ${cols.map((c) => String(t[c]).padStart(11)).join(' ')}`);
  for (const m of truth.months)
    lines.push(
      `list ${m.month} (${m.day}): ${m.rows} rows, ${m.accepted} accepted (${m.startedAgain} started again), ${m.continued} continued, ${m.rejected} rejected, ${m.suspended} suspended; changes ${JSON.stringify(m.changes)}; parents found in BMG ${m.phonesFound}`,
    );
  lines.push(`quiet hours: ${JSON.stringify(truth.quietHours)}`);
  lines.push(
    `canteen: ${truth.recordsSent} records in ${truth.batches} batches (${truth.resends} resent, ${truth.offlineDeviceDays} device-days offline); outcomes ${JSON.stringify(truth.recordOutcomes)}`,
  );
  lines.push(`SMS ${JSON.stringify(truth.smsByKind)}; replies ${JSON.stringify(truth.replies)}`);
  lines.push(`${truth.requests} HTTP requests; refusals ${JSON.stringify(truth.refusals)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<number> {
  const { command, args } = parseArgs(process.argv.slice(2));
  // Before any server starts, so the service's own process inherits it too.
  applyDurabilityFlag(args['fast-unsafe'] === true ? [FAST_UNSAFE_FLAG] : []);
  switch (command) {
    case 'simulate':
      return simulate(args);
    case 'load': {
      const { runLoad } = await import('./load');
      return runLoad(args);
    }
    default:
      process.stdout.write(HELP);
      return command === 'help' ? 0 : 2;
  }
}

export { LARGE_PUPILS };

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('simulators/cli.ts')) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`simulate: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
