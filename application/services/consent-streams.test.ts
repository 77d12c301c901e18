/** decideCase: consent and its voucher in one decision; an issuing refusal never erases the consent (review finding 1). */
import { describe, expect, it } from 'vitest';
import { parseRecorded, type LedgerRecorded } from '../../adapters/eventstore/ledger-events';
import type { ConsentEvent, PersonMonthClaimed } from '../../domain/events';
import { streams } from '../../domain/events';
import { createConsentDecider, DEFAULT_PROGRAMS } from '../../domain/consent';
import { openFood, reply } from '../../test/consent-fixtures';
import type { Loaded } from '../command-path';
import { decideCase, deciders } from './consent-streams';
import { testStates } from '../../test/stream-states';
import { createMemoryEventStore } from '../../adapters/eventstore/memory';

const CASE = streams.consentFood('fam-1', '2026-03');
const WALLET = streams.food('fam-1', '2026-03');

const STANDING = streams.foodConsent('fam-1');
const empty = (stream: string): [string, Loaded] => [stream, { stream, events: [], version: undefined }];

function loaded(caseEvents: readonly ConsentEvent[], members: readonly string[] = [], claims: readonly [string, string][] = []): Map<string, Loaded> {
  const recorded = (stream: string, events: readonly (ConsentEvent | PersonMonthClaimed)[]): LedgerRecorded[] =>
    events.map((e, i) =>
      parseRecorded({
        id: `${stream}#${i}`,
        type: e.type,
        data: e.data,
        metadata: { commandId: 'c', correlationId: 'c', causationId: 'c', actor: { role: 'test', id: 'test' }, recordedAt: '2026-03-05T04:00:00.000Z' },
        stream,
        streamVersion: BigInt(i),
        position: BigInt(i + 1),
      }),
    );
  const claimed = new Map(claims);
  const monthOf = (member: string): [string, Loaded] => {
    const stream = streams.personMonth(member, '2026-03');
    const by = claimed.get(member);
    if (!by) return empty(stream);
    const claim: PersonMonthClaimed = {
      type: 'PersonMonthClaimed',
      data: { personId: member, month: '2026-03', familyId: 'fam-9', caseId: by, listId: 'sdu-2', rowNo: 1, at: '2026-03-01T04:00:00.000Z' },
    };
    return [stream, { stream, events: recorded(stream, [claim]), version: 0n }];
  };
  return new Map([
    [CASE, { stream: CASE, events: recorded(CASE, caseEvents), version: caseEvents.length ? BigInt(caseEvents.length - 1) : undefined }],
    empty(WALLET),
    empty(STANDING),
    ...members.map(monthOf),
  ]);
}

describe('decideCase (review finding 1)', () => {
  const d = deciders(DEFAULT_PROGRAMS);
  const opened = (members: readonly string[]) => {
    const open = openFood('2026-03-05T04:00:00.000Z', { representatives: [{ personId: 'p_head', role: 'guardian', hasPhone: true }] });
    const command = { ...open, data: { ...open.data, subject: { ...(open.data.subject as object), members } } } as typeof open;
    return createConsentDecider().decide(command, { status: 'None' });
  };

  it('issues the vouchers judged at the reply’s receipt: a reply in the month’s last second processed after midnight', () => {
    const command = {
      ...reply('21*1', '2026-03-31T18:59:59.000Z', 'p_head'),
      metadata: { commandId: 'sms-1', now: '2026-03-31T19:00:05.000Z', actor: { role: 'test', id: 'test' } },
    };
    const { decisions } = decideCase(testStates(createMemoryEventStore()), d, loaded(opened(['p_head', 'p_child']), ['p_head', 'p_child']), CASE, command);
    expect(decisions.map((x) => [x.stream, x.events.map((e) => e.type)])).toEqual([
      [CASE, ['SmsReplyReceived', 'ConsentGiven', 'SmsRequested']],
      // Consent scope "service period" (seed 004 annex): the consent stands for the later months.
      [STANDING, ['StandingConsentRecorded']],
      [WALLET, ['FoodVouchersIssued', 'DeadlineScheduled']],
    ]);
  });

  it('when issuing is refused, the reply and the consent are still recorded, with the refusal code', () => {
    const command = reply('21*1', '2026-03-06T04:00:00.000Z', 'p_head');
    const { decisions } = decideCase(
      testStates(createMemoryEventStore()),
      d,
      loaded(opened(['p_head', 'p_child', 'p_child']), ['p_head', 'p_child']),
      CASE,
      command,
    );
    expect(decisions.map((x) => x.stream)).toEqual([CASE, STANDING]);
    expect(decisions[0]!.events.map((e) => e.type)).toEqual(['SmsReplyReceived', 'ConsentGiven', 'SmsRequested']);
    expect(decisions[0]!.events[1]).toMatchObject({
      type: 'ConsentGiven',
      data: { at: '2026-03-06T04:00:00.000Z', voucherNotIssued: { code: 'validation_failed' } },
    });
  });

  it('refuses the vouchers when the person-month index has a member in another family this month (one voucher per person-month), keeping the consent', () => {
    // Old reading: a person named by two SDU lists of the month in two families was paid twice.
    const command = reply('21*1', '2026-03-06T04:00:00.000Z', 'p_head');
    const { decisions } = decideCase(
      testStates(createMemoryEventStore()),
      d,
      loaded(opened(['p_head', 'p_child']), ['p_head', 'p_child'], [['p_child', 'consent-food-vouchers-fam-9~2026-03']]),
      CASE,
      command,
    );
    expect(decisions.map((x) => x.stream)).toEqual([CASE, STANDING]);
    expect(decisions[0]!.events[1]).toMatchObject({
      type: 'ConsentGiven',
      data: { voucherNotIssued: { code: 'already_covered', detail: 'member 2 has vouchers in another family this month' } },
    });
  });
});
