/**
 * A meals case through several attempts and recipients, as the read models see it (issue 16 items 1,
 * 7): no phone in March, started again by April's list, the mother's and the father's start SMS
 * undeliverable. The events come from the real decider; every read model is fed in small batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentEvent, LedgerEvent } from '../../domain/events';
import { consentCase, MAX_SMS_ATTEMPTS, type ConsentCommand } from '../../domain/consent/consent-case';
import { fold } from '../../domain/shared/decider';
import { MEALS_CASE, delivery, father, mother, noPhone, openMeals, testMeta } from '../../test/consent-fixtures';
import { item, ledgerProjections, projectFresh, readModelDatabase } from '../../test/projections/harness';
import type { HistoryItem } from '../../test/projections/history';
import { outcomesFunnel } from '../outcomes/queries';
import { nobdDailyRange } from '../nobd-daily/queries';
import { createPostgresConsentReads } from './reads';
import { consentProjections } from './index';

const everyModel = [...ledgerProjections, ...consentProjections];

function run(commands: readonly ConsentCommand[]): HistoryItem[] {
  const events: ConsentEvent[] = [];
  const items: HistoryItem[] = [];
  for (const c of commands) {
    const next = consentCase.decide(c, fold(consentCase, events));
    events.push(...next);
    for (const e of next) items.push(item(MEALS_CASE, e as LedgerEvent, c.metadata.now, 'fam-1'));
  }
  return items;
}

const APRIL = '2026-04-01T05:00:00.000Z'; // 10:00 local
const failures = (messageId: string, from: number) =>
  Array.from({ length: MAX_SMS_ATTEMPTS }, (_, i) =>
    delivery(messageId, 'failed', new Date(Date.parse(APRIL) + (from + i) * 60_000).toISOString(), 'absent subscriber'),
  );

describe('a meals case started again and undeliverable, in the read models', () => {
  let db: Awaited<ReturnType<typeof readModelDatabase>>;
  beforeAll(async () => {
    db = await readModelDatabase(everyModel);
    const march = openMeals('2026-03-02T05:00:00.000Z', { representatives: [noPhone(mother)] });
    const april = openMeals(APRIL, { representatives: [father, mother] });
    await projectFresh(
      db.pool,
      run([
        march,
        { ...april, data: { ...april.data, listId: 'list-april', rowNo: 2 }, metadata: testMeta(APRIL, 'april') },
        ...failures(`${MEALS_CASE}#1`, 1),
        ...failures(`${MEALS_CASE}#2`, 10),
      ]),
      everyModel,
    );
  });
  afterAll(async () => db?.drop());

  it('consent_cases: open again, then closed as undeliverable, last asked the father', async () => {
    const { rows } = await db.pool.query(`select status, outcome, recipient_person_id from consent_cases where case_stream = $1`, [MEALS_CASE]);
    expect(rows).toEqual([{ status: 'closed', outcome: 'undeliverable', recipient_person_id: 'p_father' }]);
  });

  it('outcomes: one case, showing its latest attempt (undeliverable, not no phone)', async () => {
    const [row] = await outcomesFunnel(db.pool, { program: 'school-meals' });
    expect(row).toMatchObject({ month: '2026-03', eligible: 1, noPhone: 0, smsSent: 0, undeliverable: 1, timedOut: 0 });
  });

  it('NOBD daily: no phone on the 2nd of March, undeliverable on the 1st of April, each on its day', async () => {
    const days = await nobdDailyRange(db.pool, { from: '2026-03-01', to: '2026-04-30' });
    expect(days.map((d) => [d.date, d.consentNoPhone, d.consentUndeliverable])).toEqual([
      ['2026-03-02', 1, 0],
      ['2026-04-01', 0, 1],
    ]);
  });

  it('deadlines: the ended case offers none of its deadlines to the scheduler', async () => {
    expect(await createPostgresConsentReads(db.pool).dueDeadlines('2026-05-01T00:00:00.000Z', 100)).toEqual([]);
  });
});
