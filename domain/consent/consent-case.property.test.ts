/**
 * Invariants of the consent case over long random command sequences (fast-check, seeded, biased
 * to the edges: the last millisecond before a deadline, the deadline itself, just after):
 *  - nothing happens in a closed case (only late replies, fired deadlines, delivery reports);
 *  - exactly one terminal outcome per case, once every deadline has fired;
 *  - replaying the events (after a JSON round trip, as the store keeps them) gives the same state;
 *  - a yes/no reply strictly before the timeout counts; at or after it, it does not.
 * The sequences include a later monthly list naming the subject again (meals: a case that ended
 * without consent starts again — one terminal outcome per attempt), a food consent standing from an
 * earlier month (no SMS), and quiet hours (the default programs' sending window; opening instants
 * cover the night).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ConsentEvent, Representative } from '../events';
import { addSeconds } from '../shared/calendar';
import { fold } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { consentCase as decider, type ConsentCaseState, type ConsentCommand } from './consent-case';
import { father, guardian, mother, noPhone, openFood, openMeals, testMeta } from '../../test/consent-fixtures';

/** Sequences per property (the issue asks for at least 1,000). */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const SEED = Number(process.env.PROPERTY_SEED ?? 20260305);

const TERMINAL = new Set(['ConsentNotRequired', 'ConsentPhoneNotFound', 'ConsentGiven', 'ConsentRefused', 'ConsentTimedOut', 'ConsentUndeliverable']);
const ALLOWED_WHEN_CLOSED = new Set(['SmsReplyReceived', 'DeadlineFired', 'SmsSent', 'SmsFailed']);

type Anchor = 'now' | 'next_deadline' | 'timeout';
const step = fc.oneof(
  fc.record({
    kind: fc.constant('reply' as const),
    text: fc.constantFrom('3#1', '3#2', ' 3 # 1 ', '21*1', '21*2', '21 * 1', 'ok', '', '1'),
    anchor: fc.constantFrom<Anchor>('now', 'next_deadline', 'timeout'),
    offsetMs: fc.oneof(fc.constantFrom(-1, 0, 1, -1000), fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 })),
  }),
  fc.record({
    kind: fc.constant('fire' as const),
    which: fc.nat(3),
    offsetMs: fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: 0, max: 86_400_000 })),
  }),
  fc.record({ kind: fc.constant('delivery' as const), which: fc.nat(5), sent: fc.boolean(), offsetMs: fc.nat(60_000), times: fc.constantFrom(1, 1, 3) }),
  // A later monthly list names the subject again (meals: a case ended without consent starts again).
  fc.record({ kind: fc.constant('relist' as const), phones: fc.subarray([0, 1, 2]), offsetMs: fc.integer({ min: 0, max: 31 * 86_400_000 }) }),
);
const scenario = fc.record({
  program: fc.constantFrom('school-meals' as const, 'food-vouchers' as const),
  grade: fc.constantFrom(1, 4, 5, 7, 11),
  phones: fc.subarray([0, 1, 2]),
  /** Food: the family consented in an earlier month (consent scope "service period"). */
  standing: fc.boolean(),
  // opened between 26 Feb and 31 March (local), biased to the 4th/5th and the month end
  openedAt: fc.oneof(
    fc.constantFrom('2026-03-04T18:59:59.999Z', '2026-03-05T03:59:59.999Z', '2026-03-05T04:00:00.000Z', '2026-03-31T18:59:59.000Z', '2026-03-02T05:00:00.000Z'),
    fc.integer({ min: Date.parse('2026-03-01T00:00:00Z'), max: Date.parse('2026-03-31T18:00:00Z') }).map((ms) => new Date(ms).toISOString()),
  ),
  // A delivery report `times` times over: three failures of one message are its final failure.
  steps: fc
    .array(step, { maxLength: 25 })
    .map((steps) => steps.flatMap((st): (typeof steps)[number][] => (st.kind === 'delivery' ? Array.from({ length: st.times }, () => st) : [st]))),
});

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => Date.parse(instant);
const isOpen = (s: ConsentCaseState) => s.status === 'Scheduled' || s.status === 'AwaitingReply';

function pendingDeadlines(s: ConsentCaseState) {
  if (s.status === 'None') return [];
  return Object.entries(s.deadlines)
    .filter(([, d]) => !d.fired)
    .map(([id, d]) => ({ id, ...d }))
    .sort((a, b) => ms(a.dueAt) - ms(b.dueAt));
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Runs a scenario, checking the per-step invariants; returns the history and the final state. */
function run(sc: Scenario): { history: ConsentEvent[]; state: ConsentCaseState } {
  const withPhones = (phones: readonly number[]): Representative[] => [mother, father, guardian].map((r, i) => (phones.includes(i) ? r : noPhone(r)));
  const reps = withPhones(sc.phones);
  const opened =
    sc.program === 'school-meals' ? openMeals(sc.openedAt, { grade: sc.grade, representatives: reps }) : openFood(sc.openedAt, { representatives: reps });
  const standing = { caseId: 'consent-food-vouchers-fam-1~2026-02', byPersonId: 'p_mother' };
  const open: ConsentCommand = sc.program === 'food-vouchers' && sc.standing ? { ...opened, data: { ...opened.data, standingConsent: standing } } : opened;
  let history: ConsentEvent[] = decider.decide(open, decider.initialState());
  let state = fold(decider, history);
  let now = ms(sc.openedAt);
  let n = 0;
  for (const st of sc.steps) {
    n += 1;
    let command: ConsentCommand;
    if (st.kind === 'reply') {
      const next = pendingDeadlines(state)[0];
      const base =
        st.anchor === 'timeout' && state.status === 'AwaitingReply' && state.timeoutAt
          ? ms(state.timeoutAt)
          : st.anchor !== 'now' && next
            ? ms(next.dueAt)
            : now;
      now = Math.max(now, base + st.offsetMs);
      const from = state.status === 'AwaitingReply' || state.status === 'Scheduled' ? state.recipient.personId : 'p_mother';
      command = { type: 'ReceiveReply', data: { text: st.text, receivedAt: iso(now), fromPersonId: from }, metadata: testMeta(iso(now), `c${n}`) };
    } else if (st.kind === 'fire') {
      const pending = pendingDeadlines(state);
      const target = pending[st.which % Math.max(1, pending.length)];
      if (!target) continue;
      now = Math.max(now, ms(target.dueAt) + st.offsetMs);
      command = { type: 'FireDeadline', data: { deadlineId: target.id, kind: target.kind }, metadata: testMeta(iso(now), `c${n}`) };
    } else if (st.kind === 'delivery') {
      if (state.status === 'None') continue;
      const ids = Object.keys(state.messages);
      if (ids.length === 0) continue;
      now += st.offsetMs;
      const id = ids[st.which % ids.length]!;
      command = { type: 'RecordDelivery', data: { messageId: id, status: st.sent ? 'sent' : 'failed', at: iso(now) }, metadata: testMeta(iso(now), `c${n}`) };
    } else {
      now += st.offsetMs;
      const again =
        sc.program === 'school-meals'
          ? openMeals(iso(now), { grade: sc.grade, representatives: withPhones(st.phones) })
          : openFood(iso(now), { representatives: withPhones(st.phones) });
      command = { ...again, data: { ...again.data, listId: `list-${n}`, rowNo: n } };
    }
    const events = decideOrRefused(command, state);
    const reopened = events[0]?.type === 'ConsentCaseReopened';
    if (reopened) expect(state).toMatchObject({ status: 'Closed', program: 'school-meals' });
    if (state.status === 'Closed' && !reopened) for (const e of events) expect(ALLOWED_WHEN_CLOSED.has(e.type), `${e.type} in a closed case`).toBe(true);
    if (state.status === 'Closed') for (const e of events) if (e.type === 'SmsReplyReceived') expect(e.data.late).toBe(true);
    checkReplyWindow(state, command, events);
    history = [...history, ...events];
    state = events.reduce(decider.evolve, state);
  }
  return { history, state };
}

/** A later list naming a covered subject is refused (already_covered): no events. */
function decideOrRefused(command: ConsentCommand, state: ConsentCaseState): ConsentEvent[] {
  try {
    return decider.decide(command, state);
  } catch (error) {
    if (command.type === 'OpenCase' && error instanceof DomainError && error.code === 'already_covered') return [];
    throw error;
  }
}

/** The events of the case's last attempt (since the last ConsentCaseReopened). */
function lastAttempt(history: readonly ConsentEvent[]): readonly ConsentEvent[] {
  const at = history.map((e) => e.type).lastIndexOf('ConsentCaseReopened');
  return at < 0 ? history : history.slice(at);
}

function checkReplyWindow(state: ConsentCaseState, command: ConsentCommand, events: ConsentEvent[]): void {
  if (command.type !== 'ReceiveReply' || state.status !== 'AwaitingReply' || state.timeoutAt === undefined) return;
  const types = events.map((e) => e.type);
  const code = state.program === 'school-meals' ? /^\s*3\s*#\s*[12]\s*$/ : /^\s*21\s*\*\s*[12]\s*$/;
  if (ms(command.data.receivedAt) < ms(state.timeoutAt)) {
    if (code.test(command.data.text)) expect(types.some((t) => t === 'ConsentGiven' || t === 'ConsentRefused')).toBe(true);
    expect(types).not.toContain('ConsentTimedOut');
  } else {
    expect(types).toEqual(['ConsentTimedOut', 'SmsReplyReceived']);
  }
}

/** Fires every pending deadline (repeatedly: firing schedules the next) far after it was due. */
function drain(history: ConsentEvent[], state: ConsentCaseState): { history: ConsentEvent[]; state: ConsentCaseState } {
  for (let guard = 0; guard < 10; guard++) {
    const next = pendingDeadlines(state)[0];
    if (!next) break;
    const at = addSeconds(next.dueAt, 1);
    const events = decider.decide({ type: 'FireDeadline', data: { deadlineId: next.id, kind: next.kind }, metadata: testMeta(at, `drain-${guard}`) }, state);
    expect(events[0]?.type).toBe('DeadlineFired');
    history = [...history, ...events];
    state = events.reduce(decider.evolve, state);
  }
  return { history, state };
}

describe('consent case invariants (property)', () => {
  it(`nothing happens in a closed case; replies count only strictly before the timeout (${RUNS} sequences)`, () => {
    fc.assert(
      fc.property(scenario, (sc) => void run(sc)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('exactly one terminal outcome per case once every deadline has fired', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const ran = run(sc);
        const terminalSoFar = lastAttempt(ran.history).filter((e) => TERMINAL.has(e.type)).length;
        expect(terminalSoFar).toBeLessThanOrEqual(1);
        const { history, state } = drain(ran.history, ran.state);
        expect(lastAttempt(history).filter((e) => TERMINAL.has(e.type))).toHaveLength(1);
        const attempts = 1 + history.filter((e) => e.type === 'ConsentCaseReopened').length;
        expect(history.filter((e) => TERMINAL.has(e.type))).toHaveLength(attempts);
        if (sc.program === 'food-vouchers' && sc.standing)
          expect(history[1]).toMatchObject({ type: 'ConsentGiven', data: { standingFrom: 'consent-food-vouchers-fam-1~2026-02' } });
        expect(state.status).toBe('Closed');
        expect(isOpen(state)).toBe(false);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('replaying the stored events gives the same state', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const { history, state } = run(sc);
        const stored = JSON.parse(JSON.stringify(history)) as ConsentEvent[];
        expect(fold(decider, stored)).toEqual(state);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it('the generators reach every outcome, a case started again and a standing consent (the properties are not vacuous)', () => {
    const seen = new Set<string>();
    for (const sc of fc.sample(scenario, { seed: SEED, numRuns: 300 }))
      for (const e of drain(...(Object.values(run(sc)) as [ConsentEvent[], ConsentCaseState])).history)
        seen.add(e.type === 'ConsentGiven' && e.data.standingFrom ? 'ConsentGiven(standing)' : e.type);
    for (const type of [...TERMINAL, 'ConsentCaseReopened', 'ConsentGiven(standing)']) expect(seen, type).toContain(type);
  });

  it('the last millisecond before the timeout counts, the timeout instant does not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('school-meals' as const, 'food-vouchers' as const),
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        fc.constantFrom(-1, 0),
        fc.boolean(),
        (program, offset, delta, yes) => {
          const openedAt = iso(ms('2026-03-05T04:00:00.000Z') + (program === 'food-vouchers' ? offset % (20 * 86_400_000) : offset));
          const open = program === 'school-meals' ? openMeals(openedAt) : openFood(openedAt);
          let state = fold(decider, decider.decide(open, decider.initialState()));
          ({ state } = drainUntilTimeoutScheduled(state));
          if (state.status !== 'AwaitingReply' || !state.timeoutAt) return;
          const at = iso(ms(state.timeoutAt) + delta);
          const text = program === 'school-meals' ? (yes ? '3#1' : '3#2') : yes ? '21*1' : '21*2';
          const events = decider.decide(
            { type: 'ReceiveReply', data: { text, receivedAt: at, fromPersonId: state.recipient.personId }, metadata: testMeta(at) },
            state,
          );
          const closed = events.reduce(decider.evolve, state);
          expect(closed).toMatchObject({ status: 'Closed', outcome: delta < 0 ? (yes ? 'given' : 'refused') : 'timed_out' });
        },
      ),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });
});

/** Fires the request/reminder deadlines (at their due instant) until the timeout is scheduled. */
function drainUntilTimeoutScheduled(state: ConsentCaseState): { state: ConsentCaseState } {
  for (let i = 0; i < 3 && state.status !== 'Closed' && !(state.status === 'AwaitingReply' && state.timeoutAt); i++) {
    const next = pendingDeadlines(state)[0];
    if (!next) break;
    const events = decider.decide({ type: 'FireDeadline', data: { deadlineId: next.id, kind: next.kind }, metadata: testMeta(next.dueAt, `f${i}`) }, state);
    state = events.reduce(decider.evolve, state);
  }
  return { state };
}
