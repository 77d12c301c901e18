/**
 * The consent half of the services: SMS delivery reports, inbound SMS replies and the consent
 * deadlines (consent_request / consent_reminder / consent_timeout).
 *
 * Reply routing: phone → personIds (vault) → cases whose SMS went to them (consent_cases read
 * model, or the memory reads). A reply whose text is one program's code goes to that program's
 * open cases; a parent with two children in the program answers both with one SMS (interpretation:
 * one SMS per case was sent with the same code, and the reply cannot say which it means). When no
 * case is open the newest closed case records it as late. Consent issues the voucher in the same
 * atomic decision (decideAcross over the case and voucher streams).
 */
import { invariant } from '../../domain/shared/decider';
import type { Clock } from '../../adapters/clock/clock';
import type { Vault } from '../../adapters/vault/vault';
import { createMemoryConsentReads, type ConsentReads } from '../../projections/consent/reads';
import type { CaseRoute } from '../../projections/consent/consent-cases';
import { decideAcross, type Decision } from '../command-path';
import type { StreamStates } from '../stream-states';
import type { DeadlineKind, ProgramCode } from '../../domain/events';
import { caseIdOfMessage, interpretReply, policyOf, type ConsentCommand } from '../../domain/consent';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DomainError, refuse } from '../../domain/shared/errors';
import type { LedgerServices, SmsDeliveryReport, SmsDeliveryResult, SmsReplyResult } from './contract';
import { byStream, forEachLimited } from '../scheduler';
import { decideCase, deciders, foodIndexStreams, isConsentStream, resolvePrograms, voucherStreamOfCase, type ProgramsOption } from './consent-streams';

export interface ConsentServiceDeps {
  readonly states: StreamStates;
  readonly clock?: Clock;
  readonly vault: Pick<Vault, 'findByPhone'>;
  readonly programs?: ProgramsOption;
  /** Read models for routing; default: folded from the store in memory. */
  readonly reads?: Pick<ConsentReads, 'casesOfRecipients'>;
}

export const CONSENT_DEADLINE_KINDS: readonly DeadlineKind[] = ['consent_request', 'consent_reminder', 'consent_timeout'];

export type ConsentServices = Pick<LedgerServices, 'recordSmsDelivery' | 'recordSmsDeliveries' | 'receiveSmsReply' | 'fireDeadline'>;

/** Delivery reports of different cases recorded side by side in one batch (as many as the scheduler fires). */
export const BULK_DELIVERY_CONCURRENCY = 64;

export function createConsentServices(deps: ConsentServiceDeps): ConsentServices {
  const programs = resolvePrograms(deps.programs);
  const d = deciders(programs);
  const reads = deps.reads ?? createMemoryConsentReads(deps.states.store);

  /** The food indexes a reply may touch (standing consent, person-month claims): the members come from the case itself. */
  async function foodIndexesOf(caseStreams: readonly string[]): Promise<string[]> {
    const food = caseStreams.filter((s) => foodIndexStreams(s, []).length > 0);
    if (food.length === 0) return [];
    const histories = await deps.states.read(food);
    return food.flatMap((s, i) => {
      const c = deps.states.fold(d.consent, histories[i]!);
      return c.status === 'None' || c.subject.kind !== 'family' ? [] : foodIndexStreams(s, c.subject.members);
    });
  }

  /** One atomic decision over cases (and their voucher streams; with `indexes`, a food consent's index streams too). */
  async function onCases(caseStreams: readonly string[], meta: CommandMetadata, command: (caseStream: string) => ConsentCommand, indexes = false) {
    const voucherStreams = caseStreams.map((s) => voucherStreamOfCase(s)).filter((s): s is string => s !== undefined);
    const indexStreams = indexes ? await foodIndexesOf(caseStreams) : [];
    return decideAcross(deps.states, [...caseStreams, ...voucherStreams, ...indexStreams], meta, (loaded) => {
      const decisions: Decision[] = [];
      for (const stream of caseStreams) decisions.push(...decideCase(deps.states, d, loaded, stream, command(stream)).decisions);
      return decisions;
    });
  }

  async function recordSmsDelivery(report: Parameters<LedgerServices['recordSmsDelivery']>[0], meta: CommandMetadata): Promise<void> {
    const caseStream = caseIdOfMessage(report.messageId);
    if (!caseStream || !isConsentStream(caseStream)) refuse('sms_message_not_found', report.messageId);
    await onCases([caseStream], meta, () => ({
      type: 'RecordDelivery',
      data: {
        messageId: report.messageId,
        status: report.status,
        at: report.at,
        ...(report.reason ? { reason: report.reason } : {}),
        ...(report.gatewayRef ? { gatewayRef: report.gatewayRef } : {}),
      },
      metadata: meta,
    }));
  }

  /** The reports of one case in order (they append to its stream), different cases side by side. */
  async function recordSmsDeliveries(reports: readonly SmsDeliveryReport[], meta: CommandMetadata): Promise<readonly SmsDeliveryResult[]> {
    const results: SmsDeliveryResult[] = reports.map((r) => ({ messageId: r.messageId, outcome: 'recorded' }));
    const indexed = reports.map((report, i) => ({ report, i, stream: caseIdOfMessage(report.messageId) ?? report.messageId }));
    await forEachLimited(byStream(indexed), BULK_DELIVERY_CONCURRENCY, async (ofCase) => {
      for (const { report, i } of ofCase) {
        try {
          await recordSmsDelivery(report, { ...meta, commandId: `${meta.commandId}/${report.messageId}` });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          results[i] = { messageId: report.messageId, outcome: 'refused', code: error.code };
        }
      }
    });
    return results;
  }

  function targets(routes: readonly CaseRoute[], text: string): CaseRoute[] {
    const open = routes.filter((r) => r.open);
    if (open.length === 0) return routes.slice(0, 1);
    const program = (['school-meals', 'food-vouchers'] as ProgramCode[]).find((p) => interpretReply(text, policyOf(p, programs).replyCodes) !== 'unrecognised');
    const ofProgram = program ? open.filter((r) => r.program === program) : open;
    return ofProgram.length > 0 ? ofProgram : open;
  }

  async function receiveSmsReply(reply: Parameters<LedgerServices['receiveSmsReply']>[0], meta: CommandMetadata): Promise<SmsReplyResult> {
    const personIds = await deps.vault.findByPhone(reply.phone);
    const chosen = targets(await reads.casesOfRecipients(personIds), reply.text);
    if (chosen.length === 0) return { outcome: 'no_open_case_for_phone' };
    const byStream = new Map(chosen.map((r) => [r.caseStream, r]));
    const outcome = await onCases(
      [...byStream.keys()],
      meta,
      (stream) => ({
        type: 'ReceiveReply',
        data: { text: reply.text, receivedAt: reply.receivedAt, fromPersonId: byStream.get(stream)!.recipientPersonId },
        metadata: meta,
      }),
      true,
    );
    const first = chosen[0]!.caseStream;
    const events = outcome.events.filter((e) => e.stream === first);
    const result = (o: SmsReplyResult['outcome']): SmsReplyResult => ({ outcome: o, caseId: first });
    if (events.some((e) => e.type === 'ConsentGiven')) return result('consent_given');
    if (events.some((e) => e.type === 'ConsentRefused')) return result('consent_refused');
    const received = events.flatMap((e) => (e.type === 'SmsReplyReceived' ? [e.data] : []))[0];
    return result(received?.late ? 'late' : 'unrecognised');
  }

  async function fireDeadline(input: Parameters<LedgerServices['fireDeadline']>[0], meta: CommandMetadata): Promise<void> {
    if (!CONSENT_DEADLINE_KINDS.includes(input.kind) || !isConsentStream(input.stream))
      return invariant(false, `${input.kind} on ${input.stream} is not a consent deadline`);
    await onCases([input.stream], meta, () => ({ type: 'FireDeadline', data: { deadlineId: input.deadlineId, kind: input.kind }, metadata: meta }));
  }

  return { recordSmsDelivery, recordSmsDeliveries, receiveSmsReply, fireDeadline };
}

/** For the composition root: which deadlines this half fires, and how. */
export function consentDeadlineHandler(services: Pick<ConsentServices, 'fireDeadline'>) {
  return {
    kinds: CONSENT_DEADLINE_KINDS,
    handles: (input: { stream: string; kind: DeadlineKind }) => CONSENT_DEADLINE_KINDS.includes(input.kind) && isConsentStream(input.stream),
    fire: services.fireDeadline,
  };
}
