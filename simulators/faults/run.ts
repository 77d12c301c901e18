/**
 * npm run faults [-- --seconds 12] [--only service-kill-9,postgres-sigstop] [--hold 6] [--fast-unsafe]
 *
 * The fault suite: the service in its own process (simulators/service.ts) under POS and canteen
 * load (simulators/load.ts), and one fault after another — kill -9 of the service, kill -9 and
 * SIGSTOP/SIGCONT of Postgres, a full disk where a tmpfs can be mounted (skipped with the reason
 * otherwise). Each run logs every acknowledged write on the client side and checks afterwards that
 * none is lost or doubled, balances conserve, the read models reach the head of the log, and a retry
 * with the same Idempotency-Key gets the first answer. Prints a line per fault and writes a JSON
 * summary to reports/. Exit 1 when any check fails. A short version runs in `npm test`
 * (simulators/faults.test.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { instantAt } from '../../domain/shared/calendar';
import { LOAD_NOW, runTraffic, seedFixture, type Acknowledged, type Fixture } from '../load';
import { intArg, parseArgs, strArg } from '../cli';
import { applyDurabilityFlag, durabilityNote } from '../durability';
import { balancesConserve, countLostAndDoubled, projectionsReachHead, replayAll } from './ledger';
import { FAULTS, type Fault } from './inject';
import { openLab, type Lab } from './lab';

export interface FaultResult {
  readonly fault: string;
  readonly what: string;
  readonly skipped?: string;
  readonly acknowledged?: number;
  readonly lost?: number;
  readonly doubled?: number;
  /** Seconds from the fault's end to the next acknowledged write. */
  readonly recoverySeconds?: number;
  /** Seconds without any acknowledged write around the fault. */
  readonly outageSeconds?: number;
  readonly replays?: { readonly sent: number; readonly differing: number };
  readonly balances?: { readonly violations: number; readonly spentMatchesLog: boolean };
  readonly projectionsAtHead?: boolean;
  readonly errors?: Record<string, number>;
  readonly note?: string;
  readonly examples?: readonly string[];
  readonly passed: boolean;
}

export interface FaultRunOptions {
  readonly faults: readonly string[];
  /** Load per fault; the fault comes a third of the way in. */
  readonly seconds: number;
  /** How long a freeze or a full disk lasts. */
  readonly holdSeconds: number;
  readonly shops: number;
  readonly devices: number;
  readonly families: number;
  readonly pupilsPerDevice: number;
  readonly log: (line: string) => void;
}

/** Canteen batches this small keep every device sending through a whole fault run. */
const FAULT_BATCH = 10;
/** Replays per fault at most (every acknowledged write in the short version). */
const MAX_REPLAYS = 2_000;

export async function runFaults(options: FaultRunOptions): Promise<{ results: FaultResult[]; durable: boolean; events: string[] }> {
  const chosen = options.faults.map((name) => FAULTS.find((f) => f.name === name) ?? unknownFault(name));
  const lab = await openLab({ start: instantAt('2026-03-02', '09:00'), wantDisk: chosen.some((f) => f.name === 'disk-full'), log: options.log });
  try {
    options.log(`seeding ${options.families} families and ${options.devices} × ${options.pupilsPerDevice} pupils through the API…`);
    const fixture = await seedFixture(lab.service, {
      families: options.families,
      devices: options.devices,
      pupilsPerDevice: options.pupilsPerDevice,
      seed: 'faults',
    });
    // The service's clock runs in real time from LOAD_NOW: a restarted service takes it up from there.
    const offset = new Date(LOAD_NOW).getTime() - Date.now();
    const virtualNow = () => new Date(Date.now() + offset + 1_000).toISOString();
    const results: FaultResult[] = [];
    for (const fault of chosen) {
      const skipped = fault.skipReason(lab);
      if (skipped) {
        options.log(`${fault.name}: skipped — ${skipped}`);
        results.push({ fault: fault.name, what: fault.what, skipped, passed: true });
        continue;
      }
      options.log(`${fault.name}: ${fault.what} (${options.seconds} s of load)…`);
      results.push(await runOne(lab, fixture, fault, options, virtualNow));
    }
    return { results, durable: lab.service.durable, events: lab.events };
  } finally {
    await lab.close();
  }
}

async function runOne(lab: Lab, fixture: Fixture, fault: Fault, options: FaultRunOptions, virtualNow: () => string): Promise<FaultResult> {
  const acks: Acknowledged[] = [];
  const traffic = runTraffic(lab.service, fixture, {
    shops: options.shops,
    devices: options.devices,
    seconds: options.seconds,
    batchSize: FAULT_BATCH,
    keyPrefix: `fault-${fault.name}`,
    resilient: true,
    onAck: (ack) => acks.push(ack),
  });
  await new Promise((ok) => setTimeout(ok, (options.seconds * 1000) / 3));
  const injected = await fault.inject(lab, { holdSeconds: options.holdSeconds, virtualNow });
  const report = await traffic;
  const http = lab.service.http;
  const operator = await lab.service.token({ role: 'operator', sub: 'operator-faults' });
  const projectionsAtHead = await projectionsReachHead(http, operator, 60_000);
  const counted = await countLostAndDoubled(lab.pool, acks);
  const sample = acks.length <= MAX_REPLAYS ? acks : acks.filter((_, i) => i % Math.ceil(acks.length / MAX_REPLAYS) === 0);
  const replays = await replayAll(http, sample);
  const balances = await balancesConserve(lab.pool);
  const firstAfter = acks.find((a) => a.at >= injected.endedAt)?.at;
  const lastBefore = [...acks].reverse().find((a) => a.at <= injected.injectedAt)?.at;
  const round = (ms: number) => Math.round(ms / 100) / 10;
  const passed =
    counted.lost === 0 &&
    counted.doubled === 0 &&
    firstAfter !== undefined &&
    projectionsAtHead &&
    replays.differing === 0 &&
    balances.violations === 0 &&
    balances.spentMatchesLog;
  return {
    fault: fault.name,
    what: fault.what,
    acknowledged: acks.length,
    lost: counted.lost,
    doubled: counted.doubled,
    ...(firstAfter !== undefined ? { recoverySeconds: round(firstAfter - injected.endedAt) } : {}),
    ...(firstAfter !== undefined && lastBefore !== undefined ? { outageSeconds: round(firstAfter - lastBefore) } : {}),
    replays: { sent: replays.sent, differing: replays.differing },
    balances,
    projectionsAtHead,
    errors: report.errors,
    note: injected.note,
    examples: [...counted.examples, ...replays.examples],
    passed,
  };
}

function unknownFault(name: string): never {
  throw new Error(`unknown fault ${name}; known: ${FAULTS.map((f) => f.name).join(', ')}`);
}

export function faultTable(results: readonly FaultResult[]): string {
  const head = `${'fault'.padEnd(18)} ${'acked'.padStart(7)} ${'lost'.padStart(5)} ${'doubled'.padStart(8)} ${'recovery'.padStart(9)} ${'outage'.padStart(8)} ${'replays same'.padStart(13)} ${'balances'.padStart(9)} ${'read models'.padStart(12)}  result`;
  const rows = results.map((r) =>
    r.skipped
      ? `${r.fault.padEnd(18)} skipped: ${r.skipped}`
      : [
          r.fault.padEnd(18),
          String(r.acknowledged).padStart(7),
          String(r.lost).padStart(5),
          String(r.doubled).padStart(8),
          (r.recoverySeconds === undefined ? 'never' : `${r.recoverySeconds} s`).padStart(9),
          (r.outageSeconds === undefined ? '—' : `${r.outageSeconds} s`).padStart(8),
          `${r.replays!.sent - r.replays!.differing}/${r.replays!.sent}`.padStart(13),
          (r.balances!.violations === 0 && r.balances!.spentMatchesLog ? 'conserve' : 'BROKEN').padStart(9),
          (r.projectionsAtHead ? 'at head' : 'BEHIND').padStart(12),
          ` ${r.passed ? 'ok' : 'FAILED'}`,
        ].join(' '),
  );
  return [head, ...rows].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const { args } = parseArgs(['faults', ...argv]);
  const durableWanted = applyDurabilityFlag(args['fast-unsafe'] === true ? ['--fast-unsafe'] : []);
  const faults = strArg(args, 'only', FAULTS.map((f) => f.name).join(','), /^[a-z0-9,-]+$/).split(',');
  const seconds = intArg(args, 'seconds', 12, 600);
  const options: FaultRunOptions = {
    faults,
    seconds,
    holdSeconds: intArg(args, 'hold', 5, 120),
    shops: intArg(args, 'shops', 8, 64),
    devices: intArg(args, 'devices', 4, 32),
    families: intArg(args, 'families', 160, 10_000),
    pupilsPerDevice: intArg(args, 'pupils-per-device', 120, 2_000),
    log: (line) => process.stderr.write(`${line}\n`),
  };
  if (!durableWanted) process.stderr.write('--fast-unsafe: a killed Postgres may lose acknowledged writes, so this run can fail for that reason alone\n');
  const started = performance.now();
  const { results, durable, events } = await runFaults(options);
  const out = resolve(strArg(args, 'out', `reports/faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ durable, options: { ...options, log: undefined }, wallSeconds: Math.round((performance.now() - started) / 1000), postgresSupervisor: events, results }, null, 2)}\n`,
  );
  process.stdout.write(`${durabilityNote(durable)}\n${faultTable(results)}\nsummary: ${out}\n`);
  for (const r of results.filter((x) => !x.passed)) process.stdout.write(`  ${r.fault}: ${r.examples?.join('; ')}\n`);
  return results.every((r) => r.passed) ? 0 : 1;
}

if (process.argv[1]?.endsWith('simulators/faults/run.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`faults: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
