/**
 * npm run demo [-- --port 3000] [--families 60] [--pupils 120] [--seed 2026]
 *
 * The service on the demo's virtual clock inside the food pilot, whatever today's date: seeded
 * with February–March 2026 through the real API (≈ 30 s here), then serving — the dashboard's URL
 * and the tokens file are printed. Ctrl-C stops it. PORT and DATA_DIR as for `npm start`.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../../adapters/config-error';
import { loadConfig } from '../../app/config';
import { instantAt, localDate } from '../../domain/shared/calendar';
import { intArg, parseArgs, strArg } from '../cli';
import { createProgress } from '../progress';
import { startDemo } from './demo';
import { DEMO_PLAN, demoStart, TOUR_FAMILY } from './seed';

async function main(argv: string[]): Promise<number> {
  const { args } = parseArgs(['demo', ...argv]);
  const config = loadConfig();
  const plan = {
    ...DEMO_PLAN,
    families: intArg(args, 'families', DEMO_PLAN.families, 400),
    pupils: intArg(args, 'pupils', DEMO_PLAN.pupils, 400),
    seed: strArg(args, 'seed', DEMO_PLAN.seed, /^[A-Za-z0-9-]{1,32}$/),
  };
  const port = intArg(args, 'port', config.PORT, 65_535);
  const dataDir = resolve(config.DATA_DIR, 'demo');
  const startMs = Date.parse(demoStart(plan));
  const endMs = Date.parse(instantAt(plan.endsOn.date, plan.endsOn.time));
  process.stderr.write(
    `Demo: a fresh Postgres under ${dataDir}; playing ${plan.families} families (food vouchers ${plan.foodMonths.join(', ')}) and ${plan.pupils} pupils (school meals) through the API…\n`,
  );
  const progress = createProgress(endMs - startMs, 'seeding');
  const demo = await startDemo({ dataDir, port, plan, onProgress: (instant) => progress.update(Date.parse(instant) - startMs, localDate(instant)) });
  progress.finish(localDate(demo.seeded.now));
  const relative = resolve(dataDir, 'tokens.env').replace(`${process.cwd()}/`, '');
  process.stdout.write(
    [
      '',
      `Social Wallet demo is up: ${demo.url} — the clock stands at ${demo.seeded.now} (Monday 6 April 2026, 10:00 in Almaty) and runs on`,
      `  dashboard ${demo.dashboardUrl}   (sign in with a token from the file below: MINISTRY_TOKEN, OPERATOR_TOKEN, AUDITOR_TOKEN, PEDAGOGUE_TOKEN…)`,
      `  tokens    source ${relative}   (SWL_URL, a token per role, DEMO_FAMILY=${demo.seeded.sampleFamilyId}, DEMO_SCHOOL=${demo.seeded.quietSchool.schoolId})`,
      `  the tour  README.md "A five-minute tour": a new family (${TOUR_FAMILY.familyId}) through April's pilot month, ending on the dashboard`,
      `  health    ${demo.url}/health    API docs ${demo.url}/docs`,
      `  seeded    ${demo.seeded.food.map((f) => `food ${f.month}: ${f.accepted} families listed`).join('; ')}; meals: ${demo.seeded.meals.accepted} pupils, ${demo.seeded.meals.recordOutcomes.meal_recorded ?? 0} meals; ` +
        `${demo.seeded.quietSchool.schoolId}'s canteen was offline ${demo.seeded.quietSchool.days.join(', ')} (${demo.seeded.quietSchool.lateRecords} records came late)`,
      'Move the clock (dev mode only): curl -X POST "$SWL_URL/v1/ops/clock" -H "Authorization: Bearer $OPERATOR_TOKEN" -H "Content-Type: application/json" -d \'{"to":"2026-04-20T10:00:00+05:00"}\'',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.stderr.write(`\n${signal}: stopping the demo…\n`);
      demo.stop().then(done, (error: unknown) => {
        process.stderr.write(`stop failed: ${(error as Error).message}\n`);
        done();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof ConfigError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
    process.exit(1);
  },
);
