/**
 * The canteen roster over real HTTP: a registered device downloads the pupils it may serve at its
 * school — pseudonymous ids and card digests, no names or IINs — conditionally (ETag → 304) and incrementally
 * (`since` → only what changed); a device the registry does not admit, or one naming another school,
 * gets no roster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { activeMealPupil } from '../test/journeys';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z', {
    counterparts: {
      devices: [
        { deviceId: 'dev-roster-1', schoolId: 'school-roster-1' },
        { deviceId: 'dev-roster-2', schoolId: 'school-roster-2' },
      ],
    },
  });
});
afterAll(async () => t?.close());

const device = (deviceId: string, schoolId: string) => ({ role: 'canteen-device', sub: deviceId, deviceId, schoolId }) as const;
const roster = async (query = '', headers: Record<string, string> = {}, who = device('dev-roster-1', 'school-roster-1')) =>
  t.call('GET', `/v1/canteen/roster${query}`, { token: await t.token(who), headers });

describe('GET /v1/canteen/roster', () => {
  it('lists the pupils with an active voucher, by pseudonymous id only, and answers 304 while unchanged', async () => {
    const empty = await roster();
    expect([empty.status, empty.body]).toEqual([
      200,
      { schoolId: 'school-roster-1', cursor: '0', cardKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), entries: [] },
    ]);
    const first = await activeMealPupil(t, 'school-roster-1', 'fam-roster-1', 501);
    await t.settle();
    const answer = await roster();
    expect(answer.status).toBe(200);
    // The device recognises the pupil's ID card: it hashes the IIN it reads with the school's card key.
    const card = createHmac('sha256', Buffer.from(answer.body.cardKey, 'base64url')).update(first.iin).digest('base64url').slice(0, 22);
    expect(answer.body.entries).toEqual([
      { pupilId: first.pupilId, voucherId: first.voucherId, validFrom: '2026-03-02', validUntil: expect.any(String), servable: true, card },
    ]);
    expect(answer.text).not.toContain(first.iin);
    expect((await roster('', {}, device('dev-roster-2', 'school-roster-2'))).body.cardKey).not.toBe(answer.body.cardKey);
    const etag = answer.headers.get('etag')!;
    const again = await roster('', { 'if-none-match': etag });
    expect([again.status, again.text]).toEqual([304, '']);
    // Another school's device sees none of it.
    expect((await roster('', {}, device('dev-roster-2', 'school-roster-2'))).body.entries).toEqual([]);
  });

  it('gives only what changed since a cursor, so a device that was offline catches up cheaply', async () => {
    const base = await roster();
    const cursor = base.body.cursor as string;
    const nothing = await roster(`?since=${cursor}`);
    expect([nothing.status, nothing.body.entries, nothing.body.cursor]).toEqual([200, [], cursor]);
    const second = await activeMealPupil(t, 'school-roster-1', 'fam-roster-2', 502);
    await t.settle();
    const changes = await roster(`?since=${cursor}`);
    expect(changes.body.entries.map((e: { pupilId: string }) => e.pupilId)).toEqual([second.pupilId]);
    expect(BigInt(changes.body.cursor)).toBeGreaterThan(BigInt(cursor));
    expect(changes.headers.get('etag')).not.toBe(nothing.headers.get('etag'));
    expect((await roster()).body.entries).toHaveLength(2);
  });

  it('refuses a device the registry does not admit, or one naming another school, with its code', async () => {
    const stranger = await roster('', {}, device('dev-unknown', 'school-roster-1'));
    expect([stranger.status, stranger.body.code]).toEqual([403, 'device_not_registered']);
    const foreign = await roster('', {}, device('dev-roster-2', 'school-roster-1'));
    expect([foreign.status, foreign.body.code]).toEqual([403, 'device_school_mismatch']);
    const bad = await roster('?since=abc');
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
  });
});
