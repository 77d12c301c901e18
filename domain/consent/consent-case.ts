/**
 * The consent case (seed 001 appendix 1 p. 7–10 and its annex; seed 002; seed 004 p. 15–21), one
 * per stream `consent-{program}-{caseKey}` (meals: pupil × school year; food: family × month):
 *
 *   OpenCase → ConsentCaseOpened, then one of
 *     ConsentGiven(standingFrom)    food, consent scope "service period": the family consented in an
 *                                   earlier month of the pilot, so no SMS (seed 004 annex: «действует в
 *                                   период оказания указанной услуги»)
 *     ConsentNotRequired            primary grade (meals; 2026 order) — the case ends
 *     ConsentPhoneNotFound          no representative has a phone in BMG — the case ends
 *     SmsRequested(consent_request) meals: to the first representative with a phone by priority
 *                                   (mother → father → guardian); food: to the family head only
 *                                   (program parameter smsRecipient) + DeadlineScheduled(reminder | timeout)
 *     DeadlineScheduled(consent_request)   food, before the 5th: the start SMS waits for the 5th
 *   ReceiveReply   yes → ConsentGiven + SmsRequested(consent_confirmed)
 *                  no  → ConsentRefused + SmsRequested(consent_refused_ack)
 *                  anything else → SmsReplyReceived(unrecognised); the case stays open
 *                  after the case ended → SmsReplyReceived(late) only
 *   FireDeadline   always DeadlineFired; plus the start SMS, the reminder (and the timeout deadline),
 *                  or ConsentTimedOut — nothing more when the case has already ended
 *   RecordDelivery SmsSent / SmsFailed from the gateway's delivery report (in any status); the
 *                  FINAL failure of the start SMS to the current recipient: meals asks the next
 *                  representative with a phone by the seeds' priority (a new start SMS, its own
 *                  windows), and when nobody is left — food asks only the head — the case ends
 *                  ConsentUndeliverable (its own outcome, not a timeout; seed 000 app. 1 p. 9)
 *   OpenCase on a case that ended without consent (meals: no phone, timed out, undeliverable; a
 *     refusal only when the program asks again after one) from a later monthly list (seed 002:
 *     «на ежемесячной основе … формирует список») → ConsentCaseReopened and the first steps again,
 *     on the same stream: one case per pupil and school year, attempts in it
 *
 * Timing is in policy.ts. A reply counts when it was received strictly before the timeout instant;
 * when a reply arrives at or after it and the scheduler has not fired the timeout yet, the reply
 * itself ends the case (ConsentTimedOut at the timeout instant) and is recorded as late.
 *
 * SMS outbox: a decider never sends. SmsRequested is the outbox entry; the gateway reports back.
 * A failed delivery is retried by the outbox re-offering the SAME message (SmsFailed.willRetry,
 * retryAt) until MAX_SMS_ATTEMPTS failures; no new SmsRequested is written for a retry, so the
 * case's windows do not move. (A final failure leaves the case running: its deadlines still fire.)
 *
 * Texts: the annex's, in the case's language (the list row's, else the program's default; a
 * language the seeds give no text in falls back to the default), as templates — the parent's and
 * the child's names are filled from the vault when the gateway pulls the message, never stored
 * here. No reply to a refusal is sent when the annex has none (food).
 * Quiet hours (policy.ts): a start SMS falling outside the sending window waits for it as a
 * scheduled request (the food 5th works the same way); a reminder or reply due at night is
 * requested at once with `notBefore`; a retry's `retryAt` is inside the window too. Every answer
 * window counts from the instant the SMS may go out.
 *
 * Refusals: case_not_found (reply or delivery for a case never opened), sms_message_not_found,
 * already_covered (opening a case that exists for another list row and may not start again).
 *
 * Each recipient asked within an attempt is a "contact"; the deadlines of a contact carry its
 * number (`:reminder`, `:reminder:2`, …), so a deadline of an earlier contact fires as a no-op.
 */
import type {
  ConsentEvent,
  DeadlineKind,
  DeadlineScheduled,
  FamilySubject,
  PhoneCheck,
  ProgramCode,
  PupilSubject,
  Representative,
  SmsKind,
  SmsRequested,
} from '../events';
import type { Instant } from '../shared/calendar';
import { addSeconds } from '../shared/calendar';
import { templatesFor, type SmsLanguage } from '../programs/sms';
import { evolveEach, invariant, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';
import { DEFAULT_PROGRAMS, policyOf, type ConsentPolicy, type Programs } from './policy';
import { interpretReply, redactReply } from './reply';

/** Delivery attempts of one SMS before the outbox gives up (the first send included). */
export const MAX_SMS_ATTEMPTS = 3;
/** Wait before re-offering a failed SMS: this many seconds × the attempt number (then the sending window). */
export const SMS_RETRY_BACKOFF_SECONDS = 60;

// ── commands ────────────────────────────────────────────────────────────────────────────────
export interface OpenCase {
  readonly type: 'OpenCase';
  readonly data: {
    readonly caseId: string;
    readonly program: ProgramCode;
    readonly familyId: string;
    readonly subject: PupilSubject | FamilySubject;
    /** With `hasPhone` from the BMG lookup, in any order: the decider applies the priority. */
    readonly representatives: readonly Representative[];
    readonly listId: string;
    readonly rowNo: number;
    /** The recipients' language from the list row; absent: the program's default. */
    readonly language?: SmsLanguage;
    /**
     * Food, consent scope "service period": the consent the family gave in an earlier month of the
     * pilot (the service finds it; the decider records it as this month's consent, no SMS).
     */
    readonly standingConsent?: { readonly caseId: string; readonly byPersonId: string };
    /** What the phone check stood on; recorded as it is. */
    readonly phoneCheck?: PhoneCheck;
  };
  readonly metadata: CommandMetadata;
}
export interface ReceiveReply {
  readonly type: 'ReceiveReply';
  readonly data: { readonly text: string; readonly receivedAt: Instant; readonly fromPersonId: string };
  readonly metadata: CommandMetadata;
}
export interface FireConsentDeadline {
  readonly type: 'FireDeadline';
  readonly data: { readonly deadlineId: string; readonly kind: DeadlineKind };
  readonly metadata: CommandMetadata;
}
export interface RecordDelivery {
  readonly type: 'RecordDelivery';
  readonly data: {
    readonly messageId: string;
    readonly status: 'sent' | 'failed';
    readonly reason?: string;
    readonly at: Instant;
    readonly gatewayRef?: string;
  };
  readonly metadata: CommandMetadata;
}
export type ConsentCommand = OpenCase | ReceiveReply | FireConsentDeadline | RecordDelivery;

// ── state ───────────────────────────────────────────────────────────────────────────────────
export type CaseOutcome = 'not_required' | 'no_phone' | 'given' | 'refused' | 'timed_out' | 'undeliverable';
export interface OutboxMessage {
  readonly kind: SmsKind;
  readonly recipientPersonId: string;
  readonly status: 'requested' | 'sent' | 'failed';
  /** Failed deliveries so far. */
  readonly failures: number;
}
export interface CaseDeadline {
  readonly kind: DeadlineKind;
  readonly dueAt: Instant;
  readonly fired: boolean;
}
export interface CaseFacts {
  readonly caseId: string;
  readonly program: ProgramCode;
  readonly familyId: string;
  readonly subject: PupilSubject | FamilySubject;
  readonly representatives: readonly Representative[];
  readonly listId: string;
  readonly rowNo: number;
  readonly language?: SmsLanguage;
  readonly openedAt: Instant;
  /** 1, then one more each time a later list starts the case again (ConsentCaseReopened). */
  readonly attempt: number;
  /** The recipient asked now, counted over the case's life: it numbers the deadlines. */
  readonly contact: number;
  /** Who was asked in this attempt (a final delivery failure moves on to the next by priority). */
  readonly tried: readonly string[];
  readonly messages: Readonly<Record<string, OutboxMessage>>;
  readonly deadlines: Readonly<Record<string, CaseDeadline>>;
}
export type ConsentCaseState =
  | { readonly status: 'None' }
  /** Only between ConsentCaseOpened and the next event of the same decision. */
  | ({ readonly status: 'Opened' } & CaseFacts)
  /** Food, before the 5th: the start SMS is scheduled. */
  | ({ readonly status: 'Scheduled'; readonly recipient: Representative } & CaseFacts)
  | ({
      readonly status: 'AwaitingReply';
      readonly recipient: Representative;
      readonly stage: 'request' | 'reminder';
      /** Set once the timeout is scheduled: replies at or after it are late. */
      readonly timeoutAt?: Instant;
    } & CaseFacts)
  | ({ readonly status: 'Closed'; readonly outcome: CaseOutcome; readonly recipient?: Representative } & CaseFacts);

const ofContact = (contact: number) => (contact > 1 ? `:${contact}` : '');
export const requestDeadlineId = (caseId: string, contact = 1) => `${caseId}:request${ofContact(contact)}`;
export const reminderDeadlineId = (caseId: string, contact = 1) => `${caseId}:reminder${ofContact(contact)}`;
export const timeoutDeadlineId = (caseId: string, contact = 1) => `${caseId}:timeout${ofContact(contact)}`;
/** `{caseId}#{n}`: the case id (its stream) is recoverable from a delivery report's message id. */
export const messageIdOf = (caseId: string, n: number) => `${caseId}#${n}`;
export function caseIdOfMessage(messageId: string): string | undefined {
  const at = messageId.lastIndexOf('#');
  return at > 0 && /^\d+$/.test(messageId.slice(at + 1)) ? messageId.slice(0, at) : undefined;
}

// ── decide ──────────────────────────────────────────────────────────────────────────────────
/** The consent policy of each program, built once from the configured programs. */
function policiesOf(programs: Programs): (program: ProgramCode) => ConsentPolicy {
  const policies = new Map<ProgramCode, ConsentPolicy>([
    ['school-meals', policyOf('school-meals', programs)],
    ['food-vouchers', policyOf('food-vouchers', programs)],
  ]);
  return (program) => policies.get(program)!;
}

export function createConsentDecider(programs: Programs = DEFAULT_PROGRAMS): Decider<ConsentCaseState, ConsentCommand, ConsentEvent> {
  const policy = policiesOf(programs);

  /** The text of one kind in the case's language; undefined when the annex has none (food: no reply to a refusal). */
  function textOf(state: CaseFacts, kind: SmsKind): { text: string; language: SmsLanguage } | undefined {
    const { language, templates } = templatesFor(policy(state.program).sms, state.language);
    const text = {
      consent_request: templates.request,
      consent_reminder: templates.reminder,
      consent_confirmed: templates.confirmed,
      consent_refused_ack: templates.refused,
    }[kind];
    return text === undefined ? undefined : { text, language };
  }

  /** The outbox entry; `sendAt` later than now (quiet hours) becomes its `notBefore`. */
  function sms(state: CaseFacts, recipient: Representative, kind: SmsKind, now: Instant, replyBy?: Instant): SmsRequested[] {
    const text = textOf(state, kind);
    if (!text) return [];
    const n = Object.keys(state.messages).length + 1;
    const sendAt = policy(state.program).sendableAt(now);
    return [
      {
        type: 'SmsRequested',
        data: {
          caseId: state.caseId,
          messageId: messageIdOf(state.caseId, n),
          kind,
          recipientPersonId: recipient.personId,
          role: recipient.role,
          text: text.text,
          language: text.language,
          ...(state.subject.kind === 'pupil' ? { aboutPersonId: state.subject.pupilId } : {}),
          ...(replyBy ? { replyBy } : {}),
          ...(sendAt > now ? { notBefore: sendAt } : {}),
        },
      },
    ];
  }
  const deadline = (state: CaseFacts, deadlineId: string, kind: DeadlineKind, dueAt: Instant): DeadlineScheduled => ({
    type: 'DeadlineScheduled',
    data: { deadlineId, kind, dueAt, stream: state.caseId },
  });

  /**
   * The start SMS and what follows it: the reminder, or straight the timeout when there is no room.
   * The windows count from when the SMS may go out (quiet hours), never from an earlier instant.
   */
  function startRequest(facts: CaseFacts, recipient: Representative, now: Instant, contact = facts.contact): ConsentEvent[] {
    const p = policy(facts.program);
    const sendAt = p.sendableAt(now);
    const reminderAt = p.reminderDueAt(sendAt, facts.subject);
    if (reminderAt) {
      return [
        ...sms(facts, recipient, 'consent_request', now, reminderAt),
        deadline(facts, reminderDeadlineId(facts.caseId, contact), 'consent_reminder', reminderAt),
      ];
    }
    const timeoutAt = p.timeoutAt(sendAt, facts.subject);
    return [
      ...sms(facts, recipient, 'consent_request', now, timeoutAt),
      deadline(facts, timeoutDeadlineId(facts.caseId, contact), 'consent_timeout', timeoutAt),
    ];
  }

  /** After the case is opened (or opened again): no consent needed, standing consent, no phone, or the start SMS. */
  function firstSteps(facts: CaseFacts, standing: OpenCase['data']['standingConsent'], now: Instant): ConsentEvent[] {
    const p = policy(facts.program);
    if (facts.subject.kind === 'pupil' && p.consentSkippedForGrades.includes(facts.subject.grade))
      return [{ type: 'ConsentNotRequired', data: { caseId: facts.caseId, reason: 'primary_grade' } }];
    if (standing) return [{ type: 'ConsentGiven', data: { caseId: facts.caseId, byPersonId: standing.byPersonId, at: now, standingFrom: standing.caseId } }];
    const recipient = p.recipient(facts.representatives, facts.subject);
    if (!recipient) return [{ type: 'ConsentPhoneNotFound', data: { caseId: facts.caseId } }];
    // Food: the 5th at 09:00; both: the morning when the list came at night (quiet hours).
    const sendAt = p.sendableAt(p.requestAt(now, facts.subject));
    if (sendAt > now) return [deadline(facts, requestDeadlineId(facts.caseId, facts.contact), 'consent_request', sendAt)];
    return startRequest(facts, recipient, now);
  }

  function open(command: OpenCase, state: ConsentCaseState): ConsentEvent[] {
    const d = command.data;
    const now = command.metadata.now;
    if (state.status !== 'None') {
      if (state.listId === d.listId && state.rowNo === d.rowNo) return [];
      if (state.status === 'Closed' && policy(state.program).mayStartAgain(state.outcome)) return reopen(command, state);
      return refuse('already_covered', state.caseId);
    }
    invariant((d.program === 'school-meals') === (d.subject.kind === 'pupil'), `${d.program} case with a ${d.subject.kind} subject`);
    const { standingConsent, ...opened } = d;
    const facts: CaseFacts = { ...opened, openedAt: now, attempt: 1, contact: 1, tried: [], messages: {}, deadlines: {} };
    return [{ type: 'ConsentCaseOpened', data: { ...opened, openedAt: now } }, ...firstSteps(facts, standingConsent, now)];
  }

  /** A later monthly list starts a case that ended without consent again, on the same stream. */
  function reopen(command: OpenCase, state: Extract<ConsentCaseState, { status: 'Closed' }>): ConsentEvent[] {
    const d = command.data;
    const now = command.metadata.now;
    invariant(d.program === state.program && d.caseId === state.caseId, 'a case starts again in its own stream');
    const attempt = state.attempt + 1;
    const reopened: ConsentEvent = {
      type: 'ConsentCaseReopened',
      data: {
        caseId: d.caseId,
        attempt,
        previousOutcome: state.outcome,
        subject: d.subject,
        representatives: d.representatives,
        listId: d.listId,
        rowNo: d.rowNo,
        ...(d.language ? { language: d.language } : {}),
        reopenedAt: now,
      },
    };
    const { language: _language, ...kept } = state;
    const facts: CaseFacts = {
      ...kept,
      subject: d.subject,
      representatives: d.representatives,
      listId: d.listId,
      rowNo: d.rowNo,
      ...(d.language ? { language: d.language } : {}),
      attempt,
      contact: state.contact + 1,
      tried: [],
    };
    return [reopened, ...firstSteps(facts, d.standingConsent, now)];
  }

  function reply(command: ReceiveReply, state: ConsentCaseState): ConsentEvent[] {
    const d = command.data;
    if (state.status === 'None') return refuse('case_not_found');
    const p = policy(state.program);
    // Read from the full text; only a redacted form is recorded (free text may carry PII).
    const interpretation = interpretReply(d.text, p.replyCodes);
    const text = redactReply(d.text);
    const received = (late: boolean): ConsentEvent => ({
      type: 'SmsReplyReceived',
      data: { caseId: state.caseId, text, ...(text !== d.text ? { textLength: d.text.length } : {}), interpretation, receivedAt: d.receivedAt, late },
    });
    if (state.status === 'Closed' || state.status === 'Opened') return [received(true)];
    // The timeout once scheduled; before that, the program's hard end (food: the month end, known
    // from the opening — a reply after it is late even when the reminder has not fired yet).
    const timeoutAt = (state.status === 'AwaitingReply' ? state.timeoutAt : undefined) ?? p.hardDeadline(state.subject);
    if (timeoutAt !== undefined && d.receivedAt >= timeoutAt)
      return [{ type: 'ConsentTimedOut', data: { caseId: state.caseId, at: timeoutAt } }, received(true)];
    const at = d.receivedAt;
    switch (interpretation) {
      case 'yes':
        return [
          received(false),
          { type: 'ConsentGiven', data: { caseId: state.caseId, byPersonId: d.fromPersonId, at } },
          ...sms(state, state.recipient, 'consent_confirmed', command.metadata.now),
        ];
      case 'no':
        return [
          received(false),
          { type: 'ConsentRefused', data: { caseId: state.caseId, byPersonId: d.fromPersonId, at } },
          ...sms(state, state.recipient, 'consent_refused_ack', command.metadata.now),
        ];
      case 'unrecognised':
        return [received(false)];
      default:
        return unreachable(interpretation, 'reply interpretation');
    }
  }

  function fire(command: FireConsentDeadline, state: ConsentCaseState): ConsentEvent[] {
    const { deadlineId, kind } = command.data;
    const now = command.metadata.now;
    if (state.status === 'None') return [];
    const pending = state.deadlines[deadlineId];
    // Unknown, already fired, another kind or not yet due: nothing to record (the scheduler may race itself).
    if (!pending || pending.fired || pending.kind !== kind || now < pending.dueAt) return [];
    const fired: ConsentEvent = { type: 'DeadlineFired', data: { deadlineId, kind, firedAt: now } };
    // A deadline of an earlier contact (another recipient, an earlier attempt) only records its firing.
    const current = { consent_request: requestDeadlineId, consent_reminder: reminderDeadlineId, consent_timeout: timeoutDeadlineId }[kind as 'consent_request'];
    if (!current || deadlineId !== current(state.caseId, state.contact)) return [fired];
    const p = policy(state.program);
    // A start SMS or reminder fired so late (scheduler downtime) that the answer window it would have
    // opened, had it fired on time, is over — food: the month ended; meals: the 3 days after the
    // due reminder passed (interpretation): nothing is sent, the case times out at that window's end.
    const missedWindowEnd = (): Instant | undefined => {
      const end = p.timeoutAt(p.sendableAt(pending.dueAt), state.subject);
      return now >= end ? end : undefined;
    };
    const timedOut = (at: Instant): ConsentEvent => ({ type: 'ConsentTimedOut', data: { caseId: state.caseId, at } });
    switch (state.status) {
      case 'Opened':
      case 'Closed':
        return [fired];
      case 'Scheduled': {
        if (kind !== 'consent_request') return [fired];
        const missed = missedWindowEnd();
        return missed ? [fired, timedOut(missed)] : [fired, ...startRequest(state, state.recipient, now)];
      }
      case 'AwaitingReply': {
        if (kind === 'consent_reminder' && state.stage === 'request') {
          const missed = missedWindowEnd();
          if (missed) return [fired, timedOut(missed)];
          // The deadline fires at its instant; the SMS waits for the morning and the window with it.
          const timeoutAt = p.timeoutAt(p.sendableAt(now), state.subject);
          return [
            fired,
            ...sms(state, state.recipient, 'consent_reminder', now, timeoutAt),
            deadline(state, timeoutDeadlineId(state.caseId, state.contact), 'consent_timeout', timeoutAt),
          ];
        }
        if (kind === 'consent_timeout') return [fired, timedOut(pending.dueAt)];
        return [fired];
      }
      default:
        return unreachable(state, 'consent case status');
    }
  }

  function delivery(command: RecordDelivery, state: ConsentCaseState): ConsentEvent[] {
    const d = command.data;
    if (state.status === 'None') return refuse('sms_message_not_found', d.messageId);
    const message = state.messages[d.messageId];
    if (!message) return refuse('sms_message_not_found', d.messageId);
    // A report after the outcome is known (a duplicate, or "sent" after the final failure) changes nothing.
    if (message.status !== 'requested') return [];
    if (d.status === 'sent')
      return [{ type: 'SmsSent', data: { caseId: state.caseId, messageId: d.messageId, sentAt: d.at, ...(d.gatewayRef ? { gatewayRef: d.gatewayRef } : {}) } }];
    const attempt = message.failures + 1;
    const willRetry = attempt < MAX_SMS_ATTEMPTS;
    const retryAt = willRetry ? policy(state.program).sendableAt(addSeconds(d.at, SMS_RETRY_BACKOFF_SECONDS * attempt)) : undefined;
    const failed: ConsentEvent = {
      type: 'SmsFailed',
      data: {
        caseId: state.caseId,
        messageId: d.messageId,
        failedAt: d.at,
        reason: d.reason ?? 'unknown',
        attempt,
        willRetry,
        ...(retryAt ? { retryAt } : {}),
      },
    };
    return willRetry ? [failed] : [failed, ...undelivered(state, message, command.metadata.now)];
  }

  /**
   * The start SMS to the recipient asked now can never be delivered: ask the next representative
   * with a phone by the program's priority (meals: mother, father, other — seed 000 app. 1 p. 9),
   * or end the case as undeliverable when nobody is left. Other messages failing changes nothing
   * (a failed reminder: the family had the start SMS; the case runs to its timeout).
   */
  function undelivered(state: Exclude<ConsentCaseState, { status: 'None' }>, message: OutboxMessage, now: Instant): ConsentEvent[] {
    if (state.status !== 'AwaitingReply' || state.stage !== 'request' || message.kind !== 'consent_request') return [];
    if (message.recipientPersonId !== state.recipient.personId) return [];
    const next = policy(state.program).nextRecipient(state.representatives, state.subject, state.tried);
    if (next) return startRequest(state, next, now, state.contact + 1);
    return [{ type: 'ConsentUndeliverable', data: { caseId: state.caseId, at: now, triedPersonIds: state.tried } }];
  }

  function decide(command: ConsentCommand, state: ConsentCaseState): ConsentEvent[] {
    switch (command.type) {
      case 'OpenCase':
        return open(command, state);
      case 'ReceiveReply':
        return reply(command, state);
      case 'FireDeadline':
        return fire(command, state);
      case 'RecordDelivery':
        return delivery(command, state);
      default:
        return unreachable(command, 'consent command');
    }
  }

  const evolve = createConsentEvolve(programs);
  return { initialState: () => ({ status: 'None' }), decide, evolve, evolveAll: evolveEach(evolve) };
}

// ── evolve ──────────────────────────────────────────────────────────────────────────────────
function facts(state: ConsentCaseState, event: ConsentEvent): Exclude<ConsentCaseState, { status: 'None' }> {
  invariant(state.status !== 'None', `${event.type} before ConsentCaseOpened`);
  return state;
}

function close(state: ConsentCaseState, event: ConsentEvent, outcome: CaseOutcome): ConsentCaseState {
  const s = facts(state, event);
  invariant(s.status !== 'Closed', `${event.type} in a closed case`);
  return { ...s, status: 'Closed', outcome };
}

/**
 * evolve for the configured programs: the recipient of a scheduled request is chosen by the same
 * policy the decider used (not the default programs'), so replay gives what the decision meant.
 */
export function createConsentEvolve(programs: Programs = DEFAULT_PROGRAMS): (state: ConsentCaseState, event: ConsentEvent) => ConsentCaseState {
  const policy = policiesOf(programs);
  return (state, event) => evolveWith(policy, state, event);
}

function evolveWith(policy: (program: ProgramCode) => ConsentPolicy, state: ConsentCaseState, event: ConsentEvent): ConsentCaseState {
  switch (event.type) {
    case 'ConsentCaseOpened': {
      invariant(state.status === 'None', 'case opened twice');
      const { openedAt, ...d } = event.data;
      return { status: 'Opened', ...d, openedAt, attempt: 1, contact: 1, tried: [], messages: {}, deadlines: {} };
    }
    case 'ConsentCaseReopened': {
      invariant(state.status === 'Closed', `a case starts again only once it ended (is ${state.status})`);
      const d = event.data;
      invariant(d.attempt === state.attempt + 1, `attempt ${d.attempt} follows ${state.attempt}`);
      const { outcome: _outcome, recipient: _recipient, language: _language, ...kept } = state;
      return {
        ...kept,
        status: 'Opened',
        subject: d.subject,
        representatives: d.representatives,
        listId: d.listId,
        rowNo: d.rowNo,
        ...(d.language ? { language: d.language } : {}),
        attempt: d.attempt,
        contact: state.contact + 1,
        tried: [],
      };
    }
    case 'ConsentUndeliverable':
      return close(state, event, 'undeliverable');
    case 'ConsentNotRequired':
      return close(state, event, 'not_required');
    case 'ConsentPhoneNotFound':
      return close(state, event, 'no_phone');
    case 'ConsentGiven':
      return close(state, event, 'given');
    case 'ConsentRefused':
      return close(state, event, 'refused');
    case 'ConsentTimedOut':
      return close(state, event, 'timed_out');
    case 'DeadlineScheduled': {
      const s = facts(state, event);
      const d = event.data;
      const deadlines = { ...s.deadlines, [d.deadlineId]: { kind: d.kind, dueAt: d.dueAt, fired: false } };
      if (d.kind === 'consent_request' && s.status === 'Opened') {
        const recipient = policy(s.program).recipient(s.representatives, s.subject);
        invariant(recipient, 'a scheduled request needs a recipient with a phone');
        return { ...s, status: 'Scheduled', recipient, deadlines };
      }
      if (d.kind === 'consent_timeout' && s.status === 'AwaitingReply') return { ...s, timeoutAt: d.dueAt, deadlines };
      return { ...s, deadlines };
    }
    case 'DeadlineFired': {
      const s = facts(state, event);
      const pending = s.deadlines[event.data.deadlineId];
      invariant(pending, `fired unknown deadline ${event.data.deadlineId}`);
      return { ...s, deadlines: { ...s.deadlines, [event.data.deadlineId]: { ...pending, fired: true } } };
    }
    case 'SmsRequested': {
      const s = facts(state, event);
      const d = event.data;
      const messages = { ...s.messages, [d.messageId]: { kind: d.kind, recipientPersonId: d.recipientPersonId, status: 'requested' as const, failures: 0 } };
      if (d.kind !== 'consent_request' && d.kind !== 'consent_reminder') return { ...s, messages };
      invariant(s.status === 'Opened' || s.status === 'Scheduled' || s.status === 'AwaitingReply', `${d.kind} SMS in a ${s.status} case`);
      const recipient = s.representatives.find((r) => r.personId === d.recipientPersonId);
      invariant(recipient, 'SMS to someone who is not a representative');
      if (d.kind === 'consent_reminder') return { ...s, status: 'AwaitingReply', recipient, stage: 'reminder', messages };
      // A start SMS while one was already out: the next representative after an undeliverable one.
      const switched = s.status === 'AwaitingReply';
      invariant(!s.tried.includes(recipient.personId), `${recipient.personId} is asked once per attempt`);
      const { timeoutAt: _timeoutAt, ...rest } = s as Extract<ConsentCaseState, { status: 'AwaitingReply' }>;
      return {
        ...rest,
        status: 'AwaitingReply',
        recipient,
        stage: 'request',
        messages,
        tried: [...s.tried, recipient.personId],
        contact: switched ? s.contact + 1 : s.contact,
      };
    }
    case 'SmsSent':
    case 'SmsFailed': {
      const s = facts(state, event);
      const message = s.messages[event.data.messageId];
      invariant(message, `delivery of unknown message ${event.data.messageId}`);
      const next: OutboxMessage =
        event.type === 'SmsSent'
          ? { ...message, status: 'sent' }
          : { ...message, failures: event.data.attempt, status: event.data.willRetry ? 'requested' : 'failed' };
      return { ...s, messages: { ...s.messages, [event.data.messageId]: next } };
    }
    case 'SmsReplyReceived':
      return facts(state, event);
    default:
      return unreachable(event, 'consent event');
  }
}

/** evolve under the default programs (read models and tests that do not configure programs). */
export const evolveConsentCase = createConsentEvolve(DEFAULT_PROGRAMS);

export const consentCase = createConsentDecider();
