/**
 * The demo service (npm run demo): the whole system in this process on the demo's clock, seeded
 * with a small pilot through its real doors (seed.ts), then left running — its clock flowing at
 * real speed from Monday 6 April 2026, 10:00 in Almaty, the deadline scheduler on its timer — with
 * a bearer token per role written to DATA_DIR/demo/tokens.env for the README's tour. An operator
 * may move the clock forward (POST /v1/ops/clock): the demo runs in dev mode, so it is allowed.
 * The browser tests and the screenshots start the same demo (startDemo) with a smaller plan.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoClock } from '../../adapters/clock/clock';
import type { Principal } from '../../api/auth';
import type { System } from '../../app/system';
import type { Pool } from '../../adapters/postgres/pool';
import type { Logger } from '../../adapters/log/logger';
import { SIMULATION_TOKEN_TTL_SECONDS, startInProcess, type Driver } from '../driver';
import { demoStart, DEMO_PLAN, seedDemo, TOUR_FAMILY, type DemoPlan, type DemoSeeded } from './seed';

export interface DemoOptions {
  /** DATA_DIR/demo: its Postgres is made anew at every start; the tokens file is written here. */
  readonly dataDir: string;
  readonly port?: number;
  /** A database the caller owns (tests); else an embedded Postgres under dataDir, made anew. */
  readonly pool?: Pool;
  readonly plan?: DemoPlan;
  readonly onProgress?: (instant: string) => void;
  /** The service's operator log (default: warnings and errors as JSON lines on stderr). */
  readonly logger?: Logger;
  /** Check every API answer against its route's declaration (tests): `system.api.contractViolations()`. */
  readonly checkContract?: boolean;
}

export interface Demo {
  readonly url: string;
  readonly dashboardUrl: string;
  readonly system: System;
  readonly driver: Driver;
  readonly clock: DemoClock;
  readonly seeded: DemoSeeded;
  /** Bearer tokens by name (MINISTRY_TOKEN, …), as written to the tokens file. */
  readonly tokens: Readonly<Record<string, string>>;
  readonly principals: Readonly<Record<string, Principal>>;
  /** DATA_DIR/demo/tokens.env: `source` it for SWL_URL, the tokens and the tour's ids. */
  readonly tokensFile: string;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const plan = options.plan ?? DEMO_PLAN;
  // A demo always starts from its seed: yesterday's demo database is not today's.
  rmSync(join(options.dataDir, 'pg'), { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const start = demoStart(plan);
  const clock = new DemoClock(start);
  const driver = await startInProcess({
    start,
    clock,
    dataDir: options.dataDir,
    port: options.port ?? 0,
    maxSockets: 64,
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.checkContract ? { checkContract: true } : {}),
  });
  try {
    const seeded = await seedDemo(driver, plan, options.onProgress);
    clock.run();
    driver.system.scheduler.start();
    const principals = demoPrincipals(driver, seeded);
    const tokens: Record<string, string> = {};
    for (const [name, principal] of Object.entries(principals)) tokens[name] = await driver.token(principal);
    const url = driver.http.baseUrl;
    const tokensFile = join(options.dataDir, 'tokens.env');
    writeFileSync(tokensFile, tokensEnv(url, tokens, seeded), { mode: 0o600 });
    return { url, dashboardUrl: `${url}/dashboard`, system: driver.system, driver, clock, seeded, tokens, principals, tokensFile, stop: () => driver.stop() };
  } catch (error) {
    await driver.stop();
    throw error;
  }
}

/** Who the tour and the dashboard sign in as. */
function demoPrincipals(driver: Driver, seeded: DemoSeeded): Record<string, Principal> {
  return {
    MINISTRY_TOKEN: { role: 'ministry', sub: 'ministry-demo' },
    OPERATOR_TOKEN: { role: 'operator', sub: 'operator-demo' },
    AUDITOR_TOKEN: { role: 'auditor', sub: 'auditor-demo' },
    EDUCATION_TOKEN: { role: 'education-authority', sub: `education-${seeded.quietSchool.region}`, region: seeded.quietSchool.region },
    PEDAGOGUE_TOKEN: { role: 'social-pedagogue', sub: `pedagogue-${seeded.quietSchool.schoolId}`, schoolId: seeded.quietSchool.schoolId },
    SDU_TOKEN: { role: 'sdu', sub: 'sdu-demo' },
    NOBD_TOKEN: { role: 'nobd', sub: 'nobd-demo' },
    SMS_TOKEN: { role: 'sms-gateway', sub: 'sms-gateway-demo' },
    MERCHANT_TOKEN: { role: 'merchant', sub: TOUR_FAMILY.shopId, shopId: TOUR_FAMILY.shopId },
    CITIZEN_TOKEN: { role: 'citizen', sub: `citizen-${TOUR_FAMILY.familyId}`, familyId: TOUR_FAMILY.familyId, personId: driver.personId(TOUR_FAMILY.head.iin) },
  };
}

function tokensEnv(url: string, tokens: Record<string, string>, seeded: DemoSeeded): string {
  const lines = [
    '# Written by `npm run demo` (simulators/demo/demo.ts). `source` it in a shell: the demo service,',
    `# a bearer token per role (valid ${SIMULATION_TOKEN_TTL_SECONDS / 86_400} days of the demo's clock) and the ids the README's tour uses.`,
    `export SWL_URL=${url}`,
    ...Object.entries(tokens).map(([name, token]) => `export ${name}=${token}`),
    `export DEMO_FAMILY=${seeded.sampleFamilyId}`,
    `export DEMO_SCHOOL=${seeded.quietSchool.schoolId}`,
    `export TOUR_FAMILY=${TOUR_FAMILY.familyId}`,
    `export TOUR_HEAD_IIN=${TOUR_FAMILY.head.iin}`,
    `export TOUR_CHILD_IIN=${TOUR_FAMILY.child.iin}`,
    `export TOUR_PHONE='${TOUR_FAMILY.head.phone}'`,
    '',
  ];
  return lines.join('\n');
}
