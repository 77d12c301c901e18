/**
 * The evidence doors over real HTTP: anyone can fetch the signed checkpoints and check them with
 * the published key; an auditor verifies the chain and, after one byte of one event is changed
 * directly in Postgres, is told which event.
 */
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';
import { tamper } from '../test/evidence';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
  const answer = await t.call('POST', '/v1/lists/food-vouchers', {
    token: await t.token({ role: 'sdu', sub: 'sdu-akmola' }),
    body: {
      listId: 'sdu-2026-03-a',
      month: '2026-03',
      rows: [
        {
          familyId: 'fam-A',
          city: 'Kokshetau',
          aspOnDate: '2026-02-28',
          head: { iin: makeIin('1990-04-12', 'female', 11) },
          members: [{ iin: makeIin('1990-04-12', 'female', 11) }],
        },
      ],
    },
  });
  expect(answer.status).toBe(201);
  await t.system.chainer!.catchUp();
  await t.system.chainer!.checkpoint('2026-03-01');
});
afterAll(async () => t?.close());

const auditor = { role: 'auditor', sub: 'auditor-1' } as const;

describe('GET /v1/evidence/checkpoints', () => {
  it('publishes the signed checkpoints and the key to anyone, and the signatures verify', async () => {
    const answer = await t.call('GET', '/v1/evidence/checkpoints');
    expect(answer.status).toBe(200);
    const [checkpoint] = answer.body.checkpoints;
    const [key] = answer.body.publicKeys;
    expect(checkpoint).toMatchObject({ seq: '1', day: '2026-03-01', keyId: key.keyId });
    expect(JSON.parse(checkpoint.payload)).toMatchObject({ kind: 'swl.checkpoint.v1', eventCount: String(await t.eventCount()) });
    expect(verify(null, Buffer.from(checkpoint.payload), createPublicKey(key.publicKeyPem), Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
    expect((await t.call('GET', '/v1/evidence/checkpoints?after=1')).body.checkpoints).toEqual([]);
  });
});

describe('GET /v1/audit/figures/{report}', () => {
  it('lists the figures and opens one to its events, recounted beside the report', async () => {
    await t.settle();
    const keys = await t.call('GET', '/v1/audit/figures/outcomes-funnel/keys', { token: await t.token(auditor) });
    expect(keys.body.keys).toEqual(['food-vouchers/kokshetau/2026-03']);
    const trace = await t.call('GET', `/v1/audit/figures/outcomes-funnel?key=${encodeURIComponent(keys.body.keys[0])}`, { token: await t.token(auditor) });
    expect(trace.status).toBe(200);
    expect(trace.body).toMatchObject({
      key: { program: 'food-vouchers', area: 'kokshetau', month: '2026-03' },
      recounted: { eligible: 1 },
      reported: { eligible: 1 },
      agrees: true,
    });
    expect(trace.body.events.map((e: { type: string }) => e.type)).toContain('ConsentCaseOpened');
    const csv = await t.call('GET', `/v1/audit/figures/outcomes-funnel?format=csv&key=${encodeURIComponent(keys.body.keys[0])}`, {
      token: await t.token(auditor),
    });
    expect(csv.text.split('\n')[0]).toBe('position,recorded_at,stream,stream_version,type,event_id,actor_role,actor_id');
  });

  it('answers an unknown figure 404 and a malformed key 400', async () => {
    const unknown = await t.call('GET', '/v1/audit/figures/tabel?key=school-x/2026-03', { token: await t.token(auditor) });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'figure_not_found']);
    const bad = await t.call('GET', '/v1/audit/figures/tabel?key=a//b%20c', { token: await t.token(auditor) });
    expect(bad.status).toBe(400);
    expect((await t.call('GET', '/v1/audit/figures/nothing?key=a', { token: await t.token(auditor) })).status).toBe(400);
  });
});

describe('GET /v1/audit/chain/verify', () => {
  it('is for auditors', async () => {
    expect((await t.call('GET', '/v1/audit/chain/verify', { token: await t.token({ role: 'ministry', sub: 'm' }) })).status).toBe(403);
    expect((await t.call('GET', '/v1/audit/chain/verify')).status).toBe(401);
  });

  it('finds the log intact, from the start and from the latest checkpoint', async () => {
    const fromStart = await t.call('GET', '/v1/audit/chain/verify', { token: await t.token(auditor) });
    expect(fromStart.body).toMatchObject({ ok: true, from: 'start', eventsVerified: await t.eventCount(), checkpointsVerified: 1, problems: [] });
    const fromLatest = await t.call('GET', '/v1/audit/chain/verify?from=latest', { token: await t.token(auditor) });
    expect(fromLatest.body).toMatchObject({ ok: true, from: { checkpointSeq: '1' }, eventsVerified: 0 });
    const unknown = await t.call('GET', '/v1/audit/chain/verify?from=7', { token: await t.token(auditor) });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'checkpoint_not_found']);
  });

  it('names the event of which one byte was changed directly in Postgres', async () => {
    const { rows } = await t.system.pool.query<{ position: string; id: string }>(`select position::text, id::text from events where type = 'ListRowAccepted'`);
    const target = rows[0]!;
    await tamper(t.system.pool, `update events set data = replace(data::text, '"rowNo": 1', '"rowNo": 2')::jsonb where position = $1`, [target.position]);
    const answer = await t.call('GET', '/v1/audit/chain/verify', { token: await t.token(auditor) });
    expect(answer.body.ok).toBe(false);
    expect(answer.body.problems[0]).toMatchObject({ kind: 'event_altered', position: target.position, eventId: target.id });
  });
});
