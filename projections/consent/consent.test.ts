/**
 * The consent read models against the real embedded Postgres, fed by the real services: the
 * runner applies them; the answers equal the in-memory reads; a rebuild equals the live model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore } from '../../adapters/eventstore/postgres';
import type { EventStore } from '../../adapters/eventstore/port';
import { coreMigrations } from '../../adapters/postgres/migrate';
import type { Pool } from '../../adapters/postgres/pool';
import { bmgMigrations, loadedDirectory } from '../../test/bmg';
import { createPostgresVault, vaultMigrations } from '../../adapters/vault/postgres-vault';
import { createConsentServices } from '../../application/services/consent';
import { createListServices } from '../../application/services/lists';
import type { ReceiveListInput } from '../../application/services/contract';
import { streams } from '../../domain/events';
import { makeIin } from '../../domain/shared/iin';
import { freshDatabase } from '../../test/pg';
import { createRunner, projectionMigrations, type Runner } from '../runner';
import { consentProjections, createMemoryConsentReads, createPostgresConsentReads, migrations } from './index';
import { testStates } from '../../test/stream-states';

const HEADS = [0, 1, 2, 3].map((i) => makeIin('1980-01-01', 'female', 500 + i));
const meta = (now: string, commandId: string) => ({ commandId, now, actor: { role: 'test', id: 'test' } });

describe('consent read models (Postgres)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;
  let store: EventStore;
  let runner: Runner;
  beforeAll(async () => {
    db = await freshDatabase([...coreMigrations(), ...vaultMigrations, ...bmgMigrations, ...projectionMigrations([]), ...migrations]);
    pool = db.pool;
    store = createPostgresEventStore(pool);
    const vault = createPostgresVault(pool, 'test-vault-key-0123456789');
    const phones = await loadedDirectory(pool, vault, [
      [HEADS[0]!, '77010000100'],
      [HEADS[1]!, '77010000101'],
      [HEADS[2]!, '77010000102'],
    ]);
    const lists = createListServices({ states: testStates(store), vault, phones });
    const consent = createConsentServices({ states: testStates(store), vault });
    const list: ReceiveListInput = {
      program: 'food-vouchers',
      source: 'sdu',
      listId: 'sdu-p',
      month: '2026-03',
      rows: HEADS.map((iin, i) => ({ familyId: `fam-${i}`, city: 'pavlodar', aspOnDate: '2026-02-28', head: { iin }, members: [{ iin }] })),
    };
    await lists.receiveList(list, meta('2026-03-06T05:00:00.000Z', 'l1'));
    await consent.receiveSmsReply({ phone: '77010000100', text: '21*1', receivedAt: '2026-03-06T06:00:00.000Z' }, meta('2026-03-06T06:00:00.000Z', 'r1'));
    await consent.receiveSmsReply({ phone: '77010000101', text: '21*2', receivedAt: '2026-03-06T06:00:00.000Z' }, meta('2026-03-06T06:00:00.000Z', 'r2'));
    await consent.recordSmsDelivery(
      { messageId: `${streams.consentFood('fam-0', '2026-03')}#1`, status: 'sent', at: '2026-03-06T05:00:01.000Z' },
      meta('2026-03-06T05:00:01.000Z', 'd1'),
    );
    const fam2 = `${streams.consentFood('fam-2', '2026-03')}#1`;
    await consent.recordSmsDelivery(
      { messageId: fam2, status: 'failed', reason: 'unreachable', at: '2026-03-06T05:00:01.000Z' },
      meta('2026-03-06T05:00:01.000Z', 'd2'),
    );
    runner = createRunner({ pool, store, projections: consentProjections });
    await runner.catchUp();
  });
  afterAll(async () => {
    await runner.stop();
    await store.close();
    await db.drop();
  });

  it('consent_cases: status, outcome and recipient per case', async () => {
    const { rows } = await pool.query(
      'select family_id, status, outcome, recipient_person_id is not null as has_recipient, city, period from consent_cases order by family_id',
    );
    expect(rows).toEqual([
      { family_id: 'fam-0', status: 'closed', outcome: 'given', has_recipient: true, city: 'pavlodar', period: '2026-03' },
      { family_id: 'fam-1', status: 'closed', outcome: 'refused', has_recipient: true, city: 'pavlodar', period: '2026-03' },
      { family_id: 'fam-2', status: 'open', outcome: null, has_recipient: true, city: 'pavlodar', period: '2026-03' },
      { family_id: 'fam-3', status: 'closed', outcome: 'no_phone', has_recipient: false, city: 'pavlodar', period: '2026-03' },
    ]);
  });

  it('sms_outbox: sent, pending again after a failure (with backoff), and the consent reply pending (a food refusal gets none: seed 004 annex)', async () => {
    const { rows } = await pool.query(`select case_id, kind, status, attempts, language from sms_outbox order by case_id, message_id`);
    expect(rows).toEqual([
      { case_id: streams.consentFood('fam-0', '2026-03'), kind: 'consent_request', status: 'sent', attempts: 0, language: 'ru' },
      { case_id: streams.consentFood('fam-0', '2026-03'), kind: 'consent_confirmed', status: 'pending', attempts: 0, language: 'ru' },
      { case_id: streams.consentFood('fam-1', '2026-03'), kind: 'consent_request', status: 'pending', attempts: 0, language: 'ru' },
      { case_id: streams.consentFood('fam-2', '2026-03'), kind: 'consent_request', status: 'pending', attempts: 1, language: 'ru' },
    ]);
  });

  it('sms_outbox: a failed message is offered again from the retryAt the decider wrote (backoff, then the sending window), not before', async () => {
    const reads = createPostgresConsentReads(pool);
    // fam-2's request failed once at 10:00 local on the 5th (see beforeAll): offered again from its retryAt.
    const { rows } = await pool.query<{ next: Date }>(`select next_attempt_at as next from sms_outbox where case_id = $1`, [
      streams.consentFood('fam-2', '2026-03'),
    ]);
    const next = rows[0]!.next.toISOString();
    expect((await reads.pendingSms(new Date(Date.parse(next) - 1).toISOString(), 100)).map((m) => m.caseStream)).not.toContain(
      streams.consentFood('fam-2', '2026-03'),
    );
    expect((await reads.pendingSms(next, 100)).map((m) => m.caseStream)).toContain(streams.consentFood('fam-2', '2026-03'));
  });

  it('deadlines: every scheduled deadline of a live stream, none fired yet; due ones page in (due_at, stream, id) order', async () => {
    const pg = createPostgresConsentReads(pool);
    const due = await pg.dueDeadlines('2026-04-01T00:00:00.000Z', 1);
    expect(due).toHaveLength(1);
    const rest = await pg.dueDeadlines('2026-04-01T00:00:00.000Z', 100, due.at(-1));
    const all = [...due, ...rest];
    // fam-2's case is still open; fam-0 consented and fam-1 refused, so their reminders are moot
    // (kept, settled, never offered); fam-0's month end is real.
    expect(all.map((d) => [d.kind, d.stream])).toEqual([
      ['consent_reminder', streams.consentFood('fam-2', '2026-03')],
      ['food_month_end', streams.food('fam-0', '2026-03')],
    ]);
    const { rows } = await pool.query<{ stream: string; settled: boolean }>(
      `select stream, settled_at is not null as settled from deadlines where kind = 'consent_reminder' order by stream`,
    );
    expect(rows).toEqual([
      { stream: streams.consentFood('fam-0', '2026-03'), settled: true },
      { stream: streams.consentFood('fam-1', '2026-03'), settled: true },
      { stream: streams.consentFood('fam-2', '2026-03'), settled: false },
    ]);
    expect(await pg.dueDeadlines('2026-03-06T00:00:00.000Z', 100)).toEqual([]);
  });

  it('Postgres and memory reads give the same answers', async () => {
    const pg = createPostgresConsentReads(pool);
    const mem = createMemoryConsentReads(store);
    const people = (await pool.query<{ person_id: string }>('select person_id from vault_records order by person_id')).rows.map((r) => r.person_id);
    expect(await mem.casesOfRecipients(people)).toEqual(await pg.casesOfRecipients(people));
    expect(await mem.dueDeadlines('2026-04-01T00:00:00.000Z', 100)).toEqual(await pg.dueDeadlines('2026-04-01T00:00:00.000Z', 100));
    for (const now of ['2026-03-06T05:00:00.000Z', '2026-03-06T05:02:00.000Z', '2026-03-07T00:00:00.000Z'])
      expect(await mem.pendingSms(now, 100)).toEqual(await pg.pendingSms(now, 100));
  });

  it('applying again changes nothing, and a rebuild equals the live model', async () => {
    const snapshot = async () =>
      Promise.all(['sms_outbox', 'consent_cases', 'deadlines'].map(async (t) => (await pool.query(`select * from ${t} order by 1, 2`)).rows));
    const live = await snapshot();
    await runner.catchUp();
    expect(await snapshot()).toEqual(live);
    await runner.rebuild('sms_outbox', 'consent_cases', 'deadlines');
    expect(await snapshot()).toEqual(live);
  });
});
