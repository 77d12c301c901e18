/**
 * A family's evidence bundle (issue 19, item 5) from a seeded simulated month of school meals,
 * through the API, checked offline by scripts/verify-bundle.mjs in a child process — nothing but
 * Node and the bundle file: every event proven up to a signed checkpoint under the key the
 * operator publishes; one changed byte of one event, a forged signature, another key, each found.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { freshDatabase } from '../test/pg';
import { addDays, instantAt, localDate } from '../domain/shared/calendar';
import { DEFAULT_BEHAVIOUR } from '../simulators/behaviour';
import { startInProcess, type Driver } from '../simulators/driver';
import { simulateMeals } from '../simulators/meals';
import { generatePopulation, type Population } from '../simulators/population';
import { silentLogger } from '../adapters/log/logger';
import { bearer } from '../simulators/http';
import type { FamilyBundle } from '../projections/family-history/bundle';
import type { System } from './system';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'verify-bundle.mjs');

let db: Awaited<ReturnType<typeof freshDatabase>>;
let driver: Driver & { system: System };
let population: Population;
let bundle: FamilyBundle;
let publishedKey: string;
const dir = mkdtempSync(join(tmpdir(), 'swl-bundle-'));

/** Runs the offline script on a bundle; its exit code and its report. */
function check(
  candidate: unknown,
  key: string | undefined = publishedKey,
): { code: number; report: { ok: boolean; eventsProven: number; problems: { kind: string; position?: string }[] } } {
  const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(candidate));
  const keyFile = join(dir, 'key.pem');
  if (key) writeFileSync(keyFile, key);
  try {
    const out = execFileSync(process.execPath, [SCRIPT, file, ...(key ? ['--key', keyFile] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { code: 0, report: JSON.parse(out) };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { code: failed.status, report: JSON.parse(failed.stdout) };
  }
}

beforeAll(async () => {
  db = await freshDatabase();
  population = generatePopulation({ seed: 43, families: 0, pupils: 12, pupilsPerSchool: 12, mealsListNoise: 0 });
  driver = await startInProcess({ start: instantAt('2026-02-20', '00:00'), pool: db.pool, maxSockets: 16, logger: silentLogger() });
  await simulateMeals(driver, population, { from: '2026-03-02', days: 5, seed: 43, behaviour: DEFAULT_BEHAVIOUR, tickMinutes: 180, concurrency: 8 });
  await driver.settle();
  await driver.system.chainer!.catchUp();
  // The day that ends now is signed, so every event so far is under a checkpoint.
  await driver.system.chainer!.checkpoint(addDays(localDate(driver.clock.now()), 1));
  const published = (await driver.http.send(driver.http.api.GET('/v1/evidence/checkpoints', {}))).body as { publicKeys: { publicKeyPem: string }[] };
  publishedKey = published.publicKeys[0]!.publicKeyPem;
  const familyId = population.pupils[0]!.familyId;
  const token = await driver.token({ role: 'auditor', sub: 'auditor-bundle' });
  const reply = await driver.http.send(
    driver.http.api.GET('/v1/audit/families/{familyId}/bundle', {
      params: { path: { familyId }, query: { asOf: '2026-03-01T00:00:00Z,2026-03-06T12:00:00Z' } },
      headers: bearer(token),
    }),
  );
  expect(reply.status).toBe(200);
  bundle = reply.body as unknown as FamilyBundle;
}, 300_000);

afterAll(async () => {
  await driver?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a family’s evidence bundle', () => {
  it('holds the family’s every event, its states as of the instants asked, and the figures they count in', () => {
    expect(bundle.history.length).toBeGreaterThan(3);
    expect(bundle.proofs.events.map((e) => e.position)).toEqual(bundle.history.map((h) => h.position));
    expect(bundle.proofs.unchained).toEqual([]);
    expect(bundle.states.map((s) => s.asOf)).toEqual(['2026-03-01T00:00:00Z', '2026-03-06T12:00:00Z']);
    expect(bundle.figures.map((f) => f.report)).toEqual(expect.arrayContaining(['tabel', 'nobd-daily', 'outcomes-funnel']));
    expect(bundle.proofs.checkpoints.length).toBeGreaterThan(0);
  });

  it('verifies offline under the published key: every event proven', () => {
    const { code, report } = check(bundle);
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.eventsProven).toBe(bundle.history.length);
  });

  it('finds one changed byte of one event', () => {
    const altered = structuredClone(bundle) as FamilyBundle & { proofs: { events: { data: string }[] } };
    const victim = altered.proofs.events[1]!;
    victim.data = victim.data.replace(/"familyId": "/, '"familyId": "x');
    const { code, report } = check(altered);
    expect(code).toBe(3);
    // The event, and the figures that count it, are named; nothing else.
    expect(report.problems[0]).toMatchObject({ kind: 'event_altered', position: bundle.proofs.events[1]!.position });
    expect(new Set(report.problems.map((p) => p.position))).toEqual(new Set([bundle.proofs.events[1]!.position]));
    expect(report.problems.slice(1).every((p) => p.kind === 'figure_unproven')).toBe(true);
  });

  it('finds a forged signature, and a key that is not the published one', () => {
    const forged = structuredClone(bundle) as FamilyBundle & { proofs: { checkpoints: { signature: string }[] } };
    forged.proofs.checkpoints[0]!.signature = Buffer.alloc(64, 7).toString('base64');
    expect(check(forged).report.problems.map((p) => p.kind)).toContain('checkpoint_signature');
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const other = check(bundle, stranger);
    expect(other.code).toBe(3);
    expect(other.report.problems.map((p) => p.kind)).toContain('checkpoint_key_unknown');
  });
});
