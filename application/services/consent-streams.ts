/**
 * Shared by the list and consent services: the deciders, the stream a consent case issues its
 * voucher into, and the issue command of that voucher (meals: IssueMealVoucher on
 * meals-{pupilId}-{schoolYear}; food: IssueFoodVouchers on food-{familyId}-{month}).
 *
 * Food consent also touches two indexes, which the caller loads with the case (`foodIndexStreams`):
 * the family's standing consent (`foodconsent-{familyId}`, recorded with a consent when the
 * program's consentScope is the service period) and its members' person-month claims
 * (`personmonth-{personId}~{month}`, read when the vouchers are issued: one voucher per person-month).
 */
import type { Loaded } from '../command-path';
import type { ConsentEvent, FamilySubject, PupilSubject } from '../../domain/events';
import { parseStream, streams } from '../../domain/streams';
import { createConsentDecider, DEFAULT_PROGRAMS, type ConsentCaseState, type ConsentCommand, type Programs } from '../../domain/consent';
import { createMealVoucherDecider } from '../../domain/vouchers/meal-voucher';
import { createFoodWalletDecider } from '../../domain/vouchers/food-wallet';
import { foodConsent } from '../../domain/consent/standing-consent';
import { personMonth } from '../../domain/lists/person-month';
import { mealVoucherId } from '../../domain/vouchers/ids';
import { invariant, type CommandMetadata } from '../../domain/shared/decider';
import { DomainError } from '../../domain/shared/errors';
import type { Decision } from '../command-path';
import type { StreamStates } from '../stream-states';
import type { SchoolMealsProgram } from '../../domain/programs/school-meals';
import type { FoodVouchersProgram } from '../../domain/programs/food-vouchers';

export interface ProgramsOption {
  readonly meals?: SchoolMealsProgram;
  readonly food?: FoodVouchersProgram;
}
export function resolvePrograms(programs?: ProgramsOption): Programs {
  return { meals: programs?.meals ?? DEFAULT_PROGRAMS.meals, food: programs?.food ?? DEFAULT_PROGRAMS.food };
}

export function deciders(programs: Programs) {
  return { programs, consent: createConsentDecider(programs), meals: createMealVoucherDecider(programs.meals), food: createFoodWalletDecider(programs.food) };
}

/** The index streams a food case's consent touches: the family's standing consent and each member's month. */
export function foodIndexStreams(caseStream: string, members: readonly string[]): string[] {
  const name = parseStream(caseStream);
  if (name?.kind !== 'consentFood') return [];
  return [streams.foodConsent(name.familyId), ...members.map((m) => streams.personMonth(m, name.month))];
}
export type Deciders = ReturnType<typeof deciders>;

/** The voucher stream a case stream issues into. */
export function voucherStreamOfCase(caseStream: string): string | undefined {
  const name = parseStream(caseStream);
  if (name?.kind === 'consentMeals') return streams.meals(name.pupilId, name.schoolYear);
  if (name?.kind === 'consentFood') return streams.food(name.familyId, name.month);
  return undefined;
}
export const isConsentStream = (stream: string) => voucherStreamOfCase(stream) !== undefined;

/**
 * Runs a consent command on a loaded case stream; when the case ends in consent (or needs none,
 * primary grades) also issues the voucher in the same decision — judged at the consent instant
 * (ConsentGiven.at, the reply's receipt), not at processing time. When issuing is refused, the
 * case events are appended anyway, the consent event carrying `voucherNotIssued` (the code): a
 * refusal never erases a consent.
 */
export function decideCase(
  states: StreamStates,
  d: Deciders,
  loaded: ReadonlyMap<string, Loaded>,
  caseStream: string,
  command: ConsentCommand,
): { decisions: Decision[]; events: ConsentEvent[] } {
  const before = states.fold(d.consent, loaded.get(caseStream)!.events);
  const events = d.consent.decide(command, before);
  const after = events.reduce(d.consent.evolve, before);
  if (after.status === 'None') return { decisions: [], events };
  const meta = { familyId: after.familyId, program: after.program };
  const decisions: Decision[] = [{ stream: caseStream, events, metadata: meta }];
  const consent = events.find((e) => e.type === 'ConsentGiven' || e.type === 'ConsentNotRequired');
  if (!consent) return { decisions, events };
  const consentAt = consent.type === 'ConsentGiven' ? consent.data.at : undefined;
  if (consent.type === 'ConsentGiven') decisions.push(...standing(states, d, loaded, after, consent, command.metadata));
  try {
    decisions.push(issueVoucher(states, d, loaded, after, command.metadata, consentAt));
    return { decisions, events };
  } catch (error) {
    // An issuing refusal never erases the recorded reply and consent: the case keeps them, its
    // consent event saying why no voucher came (voucherNotIssued); a bug (not a DomainError) still fails loudly.
    if (!(error instanceof DomainError)) throw error;
    const voucherNotIssued = { code: error.code, ...(error.detail ? { detail: error.detail } : {}) };
    const caseEvents = events.map((e): ConsentEvent => (e === consent ? ({ ...consent, data: { ...consent.data, voucherNotIssued } } as ConsentEvent) : e));
    return { decisions: [{ ...decisions[0]!, events: caseEvents }, ...decisions.slice(1)], events: caseEvents };
  }
}

/** Food, consent scope "service period": a consent given by SMS stands for the later months (foodconsent-{familyId}). */
function standing(
  states: StreamStates,
  d: Deciders,
  loaded: ReadonlyMap<string, Loaded>,
  c: Exclude<ConsentCaseState, { status: 'None' }>,
  consent: Extract<ConsentEvent, { type: 'ConsentGiven' }>,
  metadata: CommandMetadata,
): Decision[] {
  if (c.subject.kind !== 'family' || d.programs.food.consentScope !== 'service_period' || consent.data.standingFrom) return [];
  const stream = streams.foodConsent(c.familyId);
  invariant(loaded.has(stream), `${stream} is loaded with ${c.caseId}`);
  const events = foodConsent.decide(
    { type: 'RecordStandingConsent', data: { familyId: c.familyId, caseId: c.caseId, month: c.subject.month, byPersonId: consent.data.byPersonId }, metadata },
    states.fold(foodConsent, loaded.get(stream)!.events),
  );
  return [{ stream, events, metadata: { familyId: c.familyId, program: c.program } }];
}

/** Members the person-month index puts in another family's vouchers this month (they were loaded with the case). */
function claimedByOthers(states: StreamStates, loaded: ReadonlyMap<string, Loaded>, caseId: string, s: FamilySubject): string[] {
  return s.members.filter((member) => {
    const stream = streams.personMonth(member, s.month);
    invariant(loaded.has(stream), `${stream} is loaded with ${caseId}`);
    const claim = states.fold(personMonth, loaded.get(stream)!.events).claim;
    return claim !== undefined && claim.caseId !== caseId;
  });
}

function issueVoucher(
  states: StreamStates,
  d: Deciders,
  loaded: ReadonlyMap<string, Loaded>,
  c: Exclude<ConsentCaseState, { status: 'None' }>,
  metadata: CommandMetadata,
  consentAt: string | undefined,
): Decision {
  const stream = voucherStreamOfCase(c.caseId);
  invariant(stream !== undefined && loaded.has(stream), `voucher stream of ${c.caseId} not loaded`);
  const meta = { familyId: c.familyId, program: c.program };
  if (c.subject.kind === 'pupil') {
    const s: PupilSubject = c.subject;
    const state = states.fold(d.meals, loaded.get(stream)!.events);
    const events = d.meals.decide(
      {
        type: 'IssueMealVoucher',
        data: {
          voucherId: mealVoucherId(s.pupilId, s.schoolYear),
          pupilId: s.pupilId,
          familyId: c.familyId,
          schoolId: s.schoolId,
          region: s.region,
          grade: s.grade,
          category: s.category,
          schoolYear: s.schoolYear,
          caseId: c.caseId,
          viaConsent: c.status === 'Closed' && c.outcome === 'given',
          ...(consentAt ? { consentAt } : {}),
        },
        metadata,
      },
      state,
    );
    return { stream, events, metadata: meta };
  }
  const s: FamilySubject = c.subject;
  const state = states.fold(d.food, loaded.get(stream)!.events);
  const events = d.food.decide(
    {
      type: 'IssueFoodVouchers',
      data: {
        familyId: c.familyId,
        month: s.month,
        city: s.city,
        region: s.region,
        members: s.members,
        caseId: c.caseId,
        claimedByOthers: claimedByOthers(states, loaded, c.caseId, s),
        ...(consentAt ? { consentAt } : {}),
      },
      metadata,
    },
    state,
  );
  return { stream, events, metadata: meta };
}
