/**
 * Forgetting a person in a seeded simulated month (issue 19, item 4), through the real API on the
 * embedded Postgres: a pupil on the табель and the parent who answered the consent SMS — and who
 * filed a complaint naming the child and their own phone — are forgotten by an operator. Every
 * read model and report stays as it was (and rebuilds to the same), the hash chain verifies over
 * every event including the PersonForgotten ones, and no table of the database holds their IIN,
 * name or phone, nor any of their sealed values or their key, any more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../test/pg';
import { instantAt } from '../domain/shared/calendar';
import { normalisePhone } from '../adapters/vault/vault';
import { DEFAULT_BEHAVIOUR } from '../simulators/behaviour';
import { startInProcess, type Driver } from '../simulators/driver';
import { simulateMeals } from '../simulators/meals';
import { generatePopulation, type Person, type Population, type Pupil } from '../simulators/population';
import { silentLogger } from '../adapters/log/logger';
import { bearer } from '../simulators/http';
import { FORGOTTEN } from '../domain/people/personal-data';
import { streams } from '../domain/events';
import type { System } from './system';
import { allProjections } from './read-models';

const MONTH = '2026-03';
/** Tables whose content is about the log or the people, not a report: left out of "nothing else changed". */
const NOT_READ_MODELS = new Set([
  'events',
  'event_chain',
  'chain_checkpoints',
  'projection_checkpoints',
  'projection_halts',
  'schema_migrations',
  'api_idempotency',
  'bmg_directory',
  'bmg_loads',
  'bmg_load_chunks',
  'vault_keys',
  'vault_records',
  'vault_texts',
  'vault_forgotten',
]);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let driver: Driver & { system: System };
let population: Population;
let pupil: Pupil;
let parent: Person;
let parentPhone: string;
/** The person's traces as stored before forgetting: sealed values, wrapped key, phone index (hex). */
const sealedTraces: string[] = [];
let before: { readModels: Record<string, unknown[]>; tabel: unknown; outcomes: unknown; events: number };

const operator = { role: 'operator', sub: 'operator-forget' } as const;
const auditor = { role: 'auditor', sub: 'auditor-forget' } as const;

async function tables(system: System): Promise<string[]> {
  const { rows } = await system.pool.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
  );
  return rows.map((r) => r.name);
}

/** Every read model's rows, in a stable order. */
async function readModels(system: System): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of (await tables(system)).filter((t) => !NOT_READ_MODELS.has(t)))
    out[table] = (await system.pool.query(`select t::text as row from "${table}" t order by 1`)).rows.map((r: { row: string }) => r.row);
  return out;
}

async function reports(): Promise<{ tabel: unknown; outcomes: unknown }> {
  const pedagogue = await driver.token({ role: 'social-pedagogue', sub: 'ped-forget', schoolId: pupil.schoolId });
  const ministry = await driver.token({ role: 'ministry', sub: 'min-forget' });
  const tabel = (
    await driver.http.send(
      driver.http.api.GET('/v1/schools/{schoolId}/tabel/{month}', { params: { path: { schoolId: pupil.schoolId, month: MONTH } }, headers: bearer(pedagogue) }),
    )
  ).body;
  const outcomes = (await driver.http.send(driver.http.api.GET('/v1/ministry/outcomes', { params: { query: { month: MONTH } }, headers: bearer(ministry) })))
    .body;
  return { tabel, outcomes };
}

/** Who of the people is unique by name in the population (a search for a shared name would find the namesake). */
function uniqueNames(p: Population): (person: Person) => boolean {
  const count = new Map<string, number>();
  for (const x of p.pupils.flatMap((q) => [q.person, ...q.representatives])) count.set(x.fullName, (count.get(x.fullName) ?? 0) + 1);
  return (person) => count.get(person.fullName) === 1;
}

beforeAll(async () => {
  db = await freshDatabase();
  population = generatePopulation({ seed: 41, families: 0, pupils: 24, pupilsPerSchool: 12, mealsListNoise: 0 });
  driver = await startInProcess({ start: instantAt('2026-02-20', '00:00'), pool: db.pool, maxSockets: 16, logger: silentLogger() });
  await simulateMeals(driver, population, { from: '2026-03-02', days: 8, seed: 41, behaviour: DEFAULT_BEHAVIOUR, tickMinutes: 180, concurrency: 8 });
  await driver.settle();
  // A pupil fed this month whose parent has a phone, both with names no one else has.
  const unique = uniqueNames(population);
  const pedagogueOf = async (schoolId: string) => driver.token({ role: 'social-pedagogue', sub: `ped-${schoolId}`, schoolId });
  const fed = new Set<string>();
  for (const school of population.schools) {
    const sheet = (
      await driver.http.send(
        driver.http.api.GET('/v1/schools/{schoolId}/tabel/{month}', {
          params: { path: { schoolId: school.schoolId, month: MONTH } },
          headers: bearer(await pedagogueOf(school.schoolId)),
        }),
      )
    ).body as { pupils?: { pupilId: string; total: number }[] };
    for (const row of sheet.pupils ?? []) if (row.total > 0) fed.add(row.pupilId);
  }
  pupil = population.pupils.find(
    (p) => fed.has(driver.personId(p.person.iin)) && unique(p.person) && p.representatives.some((r) => population.phones.has(r.iin) && unique(r)),
  )!;
  expect(pupil, 'the seeded month has a fed pupil with a reachable parent').toBeDefined();
  parent = pupil.representatives.find((r) => population.phones.has(r.iin) && unique(r))!;
  parentPhone = normalisePhone(population.phones.get(parent.iin)!);
  // The parent complains, naming the child and their own phone: the text goes to the vault under the parent.
  const citizen = await driver.token({ role: 'citizen', sub: 'c-forget', familyId: pupil.familyId, personId: driver.personId(parent.iin) });
  const vouchers = await driver.http.send(driver.http.api.GET('/v1/me/vouchers', { headers: bearer(citizen) }));
  const voucherId = vouchers.body.vouchers.find((v) => v.program === 'school-meals')!.voucherId;
  const complaint = await driver.http.send(
    driver.http.api.POST('/v1/me/feedback', {
      body: { program: 'school-meals', voucherId, kind: 'complaint', text: `${pupil.person.fullName} ate nothing; call me at ${parentPhone}` },
      headers: bearer(citizen),
    }),
  );
  expect(complaint.status).toBe(201);
  await driver.settle();
  await driver.system.chainer!.catchUp();
  for (const person of [pupil.person, parent]) {
    const id = driver.personId(person.iin);
    const { rows } = await db.pool.query<{ trace: string | null }>(
      `select encode(wrapped_key, 'hex') as trace from vault_keys where person_id = $1
       union all select unnest(array[encode(iin, 'hex'), encode(full_name, 'hex'), encode(phone, 'hex'), phone_index]) from vault_records where person_id = $1
       union all select encode(sealed, 'hex') from vault_texts where person_id = $1`,
      [id],
    );
    sealedTraces.push(...rows.flatMap((r) => (r.trace ? [r.trace] : [])));
  }
  const { tabel, outcomes } = await reports();
  const events = (await db.pool.query<{ n: number }>('select count(*)::int as n from events')).rows[0]!.n;
  before = { readModels: await readModels(driver.system), tabel, outcomes, events };
}, 300_000);

afterAll(async () => {
  await driver?.stop();
  await db?.drop();
});

describe('forgetting a person in a seeded month', () => {
  it('the vault knew them, sealed: names, phone and complaint open before', async () => {
    const vault = driver.system.vault;
    expect((await vault.get(driver.personId(pupil.person.iin)))?.fullName).toBe(pupil.person.fullName);
    expect(await vault.get(driver.personId(parent.iin))).toMatchObject({ iin: parent.iin, fullName: parent.fullName, phone: parentPhone });
    const feedback = await driver.system.store.readStream(streams.feedback(pupil.familyId));
    const textRef = (feedback.find((e) => e.type === 'FeedbackSubmitted')!.data as { textRef: string }).textRef;
    expect(await vault.textOf(textRef)).toContain(parentPhone);
    expect(sealedTraces.length).toBeGreaterThanOrEqual(2 + 3 + 2);
    // Our copy of BMG's directory lists the parent (their number is sealed in the vault): the forgetting takes the row too.
    expect((await db.pool.query('select 1 from bmg_directory where person_id = $1', [driver.personId(parent.iin)])).rowCount).toBe(1);
  });

  it('an operator forgets both through the API; each forgetting is an event without the data', async () => {
    const token = await driver.token(operator);
    for (const person of [pupil.person, parent]) {
      const reply = await driver.http.send(
        driver.http.api.POST('/v1/audit/people/forget', {
          body: { iin: person.iin, reason: 'subject_request', reference: 'req-2026-19' },
          headers: bearer(token),
        }),
      );
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ personId: driver.personId(person.iin), kinds: ['iin', 'name', 'phone', 'complaint'] });
    }
    const refused = await driver.http.send(
      driver.http.api.POST('/v1/audit/people/forget', {
        body: { iin: parent.iin, personId: driver.personId(parent.iin), reason: 'subject_request' },
        headers: bearer(token),
      }),
    );
    expect(refused.status).toBe(400);
    const forgotten = await driver.system.store.readStream(streams.person(driver.personId(parent.iin)));
    expect(forgotten.map((e) => e.type)).toEqual(['PersonForgotten']);
    expect(forgotten[0]!.data).toMatchObject({ personId: driver.personId(parent.iin), reason: 'subject_request', reference: 'req-2026-19' });
    expect(forgotten[0]!.metadata.actor).toEqual({ role: 'operator', id: operator.sub });
    await driver.settle();
    await driver.system.chainer!.catchUp();
  });

  it('no table holds their IIN, name or phone, nor a sealed value or key of theirs', async () => {
    const needles = [pupil.person.iin, pupil.person.fullName, parent.iin, parent.fullName, parentPhone.slice(1), ...sealedTraces];
    const found: string[] = [];
    const searched = await tables(driver.system);
    expect(searched).toEqual(
      expect.arrayContaining(['events', 'vault_keys', 'vault_records', 'vault_texts', 'bmg_directory', 'api_idempotency', 'tabel_meals', 'sms_outbox']),
    );
    for (const table of searched)
      for (const needle of needles) {
        const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${table}" t where strpos(t::text, $1) > 0`, [needle]);
        if (rows[0]!.n > 0) found.push(`${table}: ${needle.slice(0, 12)}…`);
      }
    expect(found).toEqual([]);
    // The search can find: another parent is still listed in our BMG copy, and their number is still in the vault.
    const other = population.pupils.flatMap((p) => p.representatives).find((r) => r.iin !== parent.iin && population.phones.has(r.iin))!;
    const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from bmg_directory t where strpos(t::text, $1) > 0`, [
      driver.personId(other.iin),
    ]);
    expect(rows[0]!.n).toBe(1);
    expect((await driver.system.vault.get(driver.personId(other.iin)))?.phone).toBe(normalisePhone(population.phones.get(other.iin)!));
    expect((await db.pool.query('select 1 from bmg_directory where person_id = $1', [driver.personId(parent.iin)])).rowCount).toBe(0);
  });

  it('every read model and report is as it was; the табель prints the pupil as forgotten', async () => {
    expect(await readModels(driver.system)).toEqual(before.readModels);
    const now = await reports();
    expect(now.tabel).toEqual(before.tabel);
    expect(now.outcomes).toEqual(before.outcomes);
    const pedagogue = await driver.token({ role: 'social-pedagogue', sub: 'ped-forget', schoolId: pupil.schoolId });
    const csv = (
      await driver.http.send(
        driver.http.api.GET('/v1/schools/{schoolId}/tabel/{month}', {
          params: { path: { schoolId: pupil.schoolId, month: MONTH }, query: { format: 'csv' } },
          headers: bearer(pedagogue),
          parseAs: 'text',
        }),
      )
    ).body as unknown as string;
    expect(csv).toContain(FORGOTTEN);
    expect(csv).not.toContain(pupil.person.fullName);
    const history = await driver.http.send(
      driver.http.api.GET('/v1/audit/families/{familyId}/history', {
        params: { path: { familyId: pupil.familyId } },
        headers: bearer(await driver.token(auditor)),
      }),
    );
    expect(history.status).toBe(200);
    // The auditor's history names them by pseudonym, marked forgotten.
    expect((history.body as { people: Record<string, string> }).people).toEqual({
      [driver.personId(pupil.person.iin)]: FORGOTTEN,
      [driver.personId(parent.iin)]: FORGOTTEN,
    });
  });

  it('a rebuild of every read model replays to the same', async () => {
    await driver.system.runner.rebuild(...allProjections.map((p) => p.name));
    await driver.settle();
    expect(await readModels(driver.system)).toEqual(before.readModels);
  });

  it('the hash chain verifies over every event, the forgettings included', async () => {
    const report = (await driver.http.send(driver.http.api.GET('/v1/audit/chain/verify', { headers: bearer(await driver.token(auditor)) }))).body as {
      problems: unknown[];
      eventsVerified: number;
    };
    expect(report.problems).toEqual([]);
    expect(report.eventsVerified).toBe(before.events + 2);
  });
});
