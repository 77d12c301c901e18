/**
 * Forgetting people at the service level: on request (by IIN or pseudonym, all or some kinds) and
 * by the retention job, with the periods the programs set (domain/people/personal-data.ts), counted
 * from the month of the last list that named the person. Every forgetting is a PersonForgotten
 * event without the data; our copy of BMG loses the person's row.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';
import { createMemoryPhoneDirectory } from '../../adapters/bmg/phone-directory';
import { createMemoryVault } from '../../adapters/vault/vault';
import { streams } from '../../domain/events';
import { makeIin } from '../../domain/shared/iin';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DEFAULT_RETENTION, afterDays } from '../../domain/people/personal-data';
import { testStates } from '../../test/stream-states';
import { createForgettingServices } from './forgetting';
import { createListServices } from './lists';
import type { ReceiveListInput } from './contract';

const HEAD = makeIin('1985-01-01', 'female', 701);
const OTHER = makeIin('1986-01-01', 'female', 702);
const meta = (now: string, commandId: string): CommandMetadata => ({ commandId, now, actor: { role: 'test', id: 'test' } });
const foodList = (listId: string, month: string, iin: string, familyId: string): ReceiveListInput => ({
  program: 'food-vouchers',
  source: 'sdu',
  listId,
  month,
  rows: [
    {
      familyId,
      city: 'Kokshetau',
      aspOnDate: month === '2026-03' ? '2026-02-28' : '2026-03-31',
      head: { iin, fullName: `Name ${familyId}` },
      members: [{ iin, fullName: `Name ${familyId}` }],
    },
  ],
});

function subject() {
  const store = createMemoryEventStore();
  const vault = createMemoryVault('test-vault-key-0123456789');
  const phones = createMemoryPhoneDirectory([
    [HEAD, '87010000701'],
    [OTHER, '87010000702'],
  ]);
  const lists = createListServices({ states: testStates(store), vault, phones });
  const forgetting = createForgettingServices({ states: testStates(store), vault, directories: [phones] });
  return { store, vault, phones, lists, forgetting };
}

describe('forgetting people', () => {
  it('on request: by IIN, every kind; recorded once per request, without the data', async () => {
    const { store, vault, phones, lists, forgetting } = subject();
    await lists.receiveList(foodList('l-1', '2026-03', HEAD, 'fam-1'), meta('2026-03-02T05:00:00.000Z', 'l-1'));
    const id = vault.pseudonymise(HEAD);
    expect(await vault.get(id)).toMatchObject({ iin: HEAD, phone: '77010000701' });
    const result = await forgetting.forgetPerson({ iin: HEAD, reason: 'subject_request', reference: 'case-7' }, meta('2026-03-10T05:00:00.000Z', 'f-1'));
    expect(result).toEqual({
      personId: id,
      kinds: ['iin', 'name', 'phone', 'complaint'],
      deleted: ['iin', 'name', 'phone'],
      forgottenAt: '2026-03-10T05:00:00.000Z',
    });
    expect(await vault.get(id)).toBeUndefined();
    expect((await phones.lookupMany([HEAD])).phones.has(HEAD)).toBe(false);
    const again = await forgetting.forgetPerson({ iin: HEAD, reason: 'subject_request', reference: 'case-7' }, meta('2026-03-10T05:00:00.000Z', 'f-1'));
    expect(again.deleted).toEqual([]);
    const events = await store.readStream(streams.person(id));
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'PersonForgotten',
        { personId: id, kinds: ['iin', 'name', 'phone', 'complaint'], reason: 'subject_request', reference: 'case-7', forgottenAt: '2026-03-10T05:00:00.000Z' },
      ],
    ]);
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).not.toContain(HEAD);
  });

  it('refuses a request that names nobody, or both ways, or a malformed IIN', async () => {
    const { forgetting } = subject();
    for (const input of [{}, { iin: HEAD, personId: 'p_0123456789abcdef0123456789abcdef' }, { iin: '123456789012' }, { personId: 'someone' }])
      await expect(forgetting.forgetPerson({ ...input, reason: 'subject_request' }, meta('2026-03-10T05:00:00.000Z', 'bad'))).rejects.toMatchObject({
        code: 'validation_failed',
      });
  });

  it('the retention job forgets each kind when its period, counted from the last list month, has passed', async () => {
    const { store, vault, forgetting, lists: listServices } = subject();
    await listServices.receiveList(foodList('l-3', '2026-03', HEAD, 'fam-1'), meta('2026-03-02T05:00:00.000Z', 'l-3'));
    await listServices.receiveList(foodList('l-3b', '2026-03', OTHER, 'fam-2'), meta('2026-03-02T05:00:00.000Z', 'l-3b'));
    // OTHER is named again in April: their period runs from April's end.
    await listServices.receiveList(foodList('l-4', '2026-04', OTHER, 'fam-2'), meta('2026-04-02T05:00:00.000Z', 'l-4'));
    await vault.keepText(vault.pseudonymise(OTHER), 'complaint-1', 'a complaint', afterDays('2026-04-05T00:00:00.000Z', DEFAULT_RETENTION.complaintDays));
    const marchEnd = '2026-03-31T19:00:00.000Z'; // 1 April 00:00 in Almaty
    const job = (at: string) => forgetting.forgetExpired(meta(at, `retention-${at}`));
    expect(await job(afterDays(marchEnd, DEFAULT_RETENTION.phoneDays - 1))).toBe(0);
    expect(await job(afterDays(marchEnd, DEFAULT_RETENTION.phoneDays + 1))).toBe(1);
    expect(await vault.get(vault.pseudonymise(HEAD))).toEqual({ personId: vault.pseudonymise(HEAD), iin: HEAD, fullName: 'Name fam-1' });
    expect((await vault.get(vault.pseudonymise(OTHER)))?.phone).toBe('77010000702');
    // A year on: OTHER's phone (April + 93 days) and complaint (366 days) in one forgetting.
    expect(await job(afterDays(marchEnd, DEFAULT_RETENTION.complaintDays + 10))).toBe(1);
    expect(await vault.textOf('complaint-1')).toBeUndefined();
    expect(await vault.get(vault.pseudonymise(OTHER))).toEqual({ personId: vault.pseudonymise(OTHER), iin: OTHER, fullName: 'Name fam-2' });
    expect((await store.readStream(streams.person(vault.pseudonymise(OTHER)))).map((e) => (e.data as { kinds: string[] }).kinds)).toEqual([
      ['phone', 'complaint'],
    ]);
    expect(await job(afterDays(marchEnd, DEFAULT_RETENTION.nameDays + 1))).toBe(1);
    expect(await vault.get(vault.pseudonymise(HEAD))).toBeUndefined();
    const recorded = await store.readStream(streams.person(vault.pseudonymise(HEAD)));
    expect(recorded.map((e) => (e.data as { kinds: string[]; reason: string }).kinds)).toEqual([['phone'], ['iin', 'name']]);
    expect(recorded.every((e) => (e.data as { reason: string }).reason === 'retention_expired')).toBe(true);
  });
});
