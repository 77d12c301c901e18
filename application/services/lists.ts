/**
 * receiveList: an eligibility list from SDU (food) or NOBD (meals).
 *  1. The edge already validated shapes; here each IIN is checked (domain/shared/iin.ts) and
 *     pseudonymised; representatives get `hasPhone` from BMG. The people of a row that the
 *     program's rules refuse by themselves (rowRuleOf: ASP date, city, approval, reconciliation,
 *     category) are never stored; the others go into the vault with the name and the BMG phone
 *     before their row is decided. The returns need only the personId. From here on only personIds travel.
 *  2. The rows go in chunks of LIST_CHUNK_ROWS. Each chunk is ONE atomic decision across the list
 *     stream (row outcomes), the case stream of every accepted row (ConsentCaseOpened + first
 *     step) and, for primary grades, the meal voucher stream (issued without consent).
 *  3. A chunk's command id is derived from the list (`{listStream}:chunk:{k}`), not from the
 *     request, so a re-send after a crash — whatever its Idempotency-Key — resumes where the
 *     first attempt stopped, and a completed list is returned as first received.
 *  4. Meals lists are monthly (seed 002): the decider is told what each pupil has this school year
 *     (case and voucher, folded from the streams the chunk loads anyway); a continuing pupil's
 *     voucher is listed for the month (moved to another school or grade when the row says so) in
 *     the same chunk; once the list is processed, one more atomic step records it in the school's
 *     list index and suspends, for the month, the vouchers of the pupils an earlier month's list of
 *     the school named and no list of this month names (`{listStream}:absentees`, resumed like a chunk).
 * Representatives with an invalid IIN are left out (they cannot be looked up); the row is
 * rejected as invalid_iin only when the pupil's (meals) or any member's (food) IIN is invalid.
 */
import { invariant } from '../../domain/shared/decider';
import { createHash } from 'node:crypto';
import type { Clock } from '../../adapters/clock/clock';
import type { PhoneDirectory } from '../../adapters/bmg/phone-directory';
import type { Vault } from '../../adapters/vault/vault';
import { decideAcross, TornRead, type Decision, type Loaded, type Outcome } from '../command-path';
import type { StreamStates } from '../stream-states';
import { statusChangeOf, type StatusChange } from '../../domain/lists/person-status';
import type { FamilySubject, LedgerEvent, ListEvent, PhoneCheck, PupilSubject, Representative, RepresentativeRole } from '../../domain/events';
import { streams } from '../../domain/events';
import {
  createListDecider,
  listedPupils,
  rowRuleOf,
  type ListHeader,
  type ListRowInput,
  type ListState,
  type PupilYear,
} from '../../domain/lists/eligibility-list';
import { absentees, schoolLists } from '../../domain/lists/school-lists';
import { personMonth, type ClaimPersonMonth } from '../../domain/lists/person-month';
import { foodConsent, standingFor } from '../../domain/consent/standing-consent';
import type { ListMealVoucher, SuspendMealVoucher } from '../../domain/vouchers/meal-voucher';
import { pilotCity } from '../../domain/programs/food-vouchers';
import type { OpenCase } from '../../domain/consent';
import type { SmsLanguage } from '../../domain/programs/sms';
import { parseIin } from '../../domain/shared/iin';
import { parseStream } from '../../domain/streams';
import type { CommandMetadata } from '../../domain/shared/decider';
import { DomainError, refuse } from '../../domain/shared/errors';
import { listDataRetainedUntil } from '../../domain/people/personal-data';
import { PartlyWritten } from '../partly-written';
import type { FoodListRow, LedgerServices, ListReceipt, MealsListRow, PersonRow, ReceiveListInput, RowOutcome } from './contract';
import { decideCase, deciders, foodIndexStreams, resolvePrograms, voucherStreamOfCase, type ProgramsOption } from './consent-streams';

/** Rows per atomic chunk: one transaction touches ~2 × this many streams (food: also the family's standing consent and a person-month claim per member). */
export const LIST_CHUNK_ROWS = 200;
/** Rows whose people are looked up in BMG (one query) and stored in the vault (one statement) at once. */
export const LIST_LOOKUP_ROWS = 1_000;

export interface ListServiceDeps {
  readonly states: StreamStates;
  readonly clock?: Clock;
  readonly vault: Vault;
  readonly phones: PhoneDirectory;
  readonly programs?: ProgramsOption;
  /** For tests: a smaller chunk size. */
  readonly chunkRows?: number;
}

interface Prepared {
  readonly input: ListRowInput;
  readonly subject?: PupilSubject | FamilySubject;
  readonly representatives: readonly Representative[];
  readonly language?: SmsLanguage;
  /** What BMG's answer for this row's people stood on. */
  readonly phoneCheck?: PhoneCheck;
}

export function createListServices(deps: ListServiceDeps): Pick<LedgerServices, 'receiveList'> {
  const programs = resolvePrograms(deps.programs);
  const d = deciders(programs);
  const lists = createListDecider(programs);
  const rowRule = rowRuleOf(programs);
  const chunkRows = deps.chunkRows ?? LIST_CHUNK_ROWS;

  /** A person as prepared: no personId when the IIN is invalid (never looked up nor stored). */
  type Person = { personId?: string; hasPhone: boolean; phoneFrom?: string };
  const NO_PERSON: Person = { hasPhone: false };
  type People = { person: (row: PersonRow) => Person; phoneCheck: PhoneCheck };

  /** The people of some rows: their personIds (a keyed hash: nothing is stored) and one BMG look-up for all of them. */
  async function lookUp(rows: readonly PersonRow[], now: string): Promise<People & { phones: ReadonlyMap<string, string> }> {
    const valid = rows.filter((r) => parseIin(r.iin).ok);
    const lookup = await deps.phones.lookupMany(valid.map((r) => r.iin));
    const byIin = new Map(
      valid.map((r): [string, Person] => {
        const found = lookup.phones.get(r.iin.trim());
        return [r.iin.trim(), { personId: deps.vault.pseudonymise(r.iin), hasPhone: found !== undefined, ...(found ? { phoneFrom: found.from } : {}) }];
      }),
    );
    const phones = new Map([...lookup.phones].map(([iin, found]) => [iin, found.phone]));
    const phoneCheck: PhoneCheck = { ...lookup.directory, checkedAt: now };
    return { person: (row) => (parseIin(row.iin).ok ? (byIin.get(row.iin.trim()) ?? NO_PERSON) : NO_PERSON), phones, phoneCheck };
  }

  /** The people kept in the vault (one statement, in row order): names and phones to send SMS and sign the табель. */
  async function keep(rows: readonly PersonRow[], phones: ReadonlyMap<string, string>, list: ReceiveListInput): Promise<void> {
    const valid = rows.filter((r) => parseIin(r.iin).ok);
    if (valid.length === 0) return;
    const program = list.program === 'food-vouchers' ? programs.food : programs.meals;
    await deps.vault.upsertPeople(
      valid.map((r) => {
        const phone = phones.get(r.iin.trim());
        return { iin: r.iin, ...(r.fullName ? { fullName: r.fullName } : {}), ...(phone ? { phone } : {}) };
      }),
      listDataRetainedUntil(list.month, program.personalData, program.timezone),
    );
  }
  const representative = (person: Person & { personId: string }, role: RepresentativeRole): Representative => ({
    personId: person.personId,
    role,
    hasPhone: person.hasPhone,
    ...(person.phoneFrom ? { phoneFrom: person.phoneFrom } : {}),
  });

  function prepareFood(row: FoodListRow, rowNo: number, month: string, person: (row: PersonRow) => Person): Prepared {
    const head = person(row.head);
    const others = row.members.filter((m) => m.iin.trim() !== row.head.iin.trim());
    const members = others.map(person);
    const invalidAt = members.findIndex((m) => !m.personId);
    const iinValid = head.personId !== undefined && invalidAt < 0;
    const memberIds = [head.personId, ...members.map((m) => m.personId)].filter((p): p is string => p !== undefined);
    const input: ListRowInput = {
      kind: 'food',
      rowNo,
      familyId: row.familyId,
      iinValid,
      ...(iinValid ? {} : { invalidDetail: head.personId ? `member ${invalidAt + 2}` : 'head' }),
      ...(head.personId ? { headPersonId: head.personId } : {}),
      memberPersonIds: memberIds,
      city: row.city.toLowerCase(),
      aspOnDate: row.aspOnDate,
    };
    const representatives: Representative[] = head.personId ? [representative({ ...head, personId: head.personId }, row.head.role ?? 'guardian')] : [];
    others.forEach((m, i) => {
      const p = members[i]!;
      if (m.role && p.personId) representatives.push(representative({ ...p, personId: p.personId }, m.role));
    });
    const city = pilotCity(row.city, programs.food);
    const subject: FamilySubject | undefined = city ? { kind: 'family', month, city: city.code, region: city.region, members: memberIds } : undefined;
    return { input, ...(subject ? { subject } : {}), representatives, ...(row.language ? { language: row.language } : {}) };
  }

  function prepareMeals(
    row: MealsListRow,
    rowNo: number,
    list: Extract<ReceiveListInput, { program: 'school-meals' }>,
    person: (row: PersonRow) => Person,
  ): Prepared {
    const pupil = person(row.pupil);
    const reps = row.representatives.map((r) => ({ role: r.role, ...person(r) }));
    const input: ListRowInput = {
      kind: 'meals',
      rowNo,
      familyId: row.familyId,
      iinValid: pupil.personId !== undefined,
      ...(pupil.personId ? { pupilPersonId: pupil.personId } : { invalidDetail: 'pupil' }),
      schoolId: row.schoolId,
      grade: row.grade,
      category: row.category,
      approvedByHead: row.approvedByHead,
      ...(row.reconciliation ? { reconciliation: row.reconciliation } : {}),
    };
    const subject: PupilSubject | undefined = pupil.personId
      ? {
          kind: 'pupil',
          pupilId: pupil.personId,
          schoolId: row.schoolId,
          grade: row.grade,
          category: row.category,
          schoolYear: list.schoolYear,
          region: list.region,
        }
      : undefined;
    const representatives = reps.flatMap((r) => (r.personId ? [representative({ ...r, personId: r.personId }, r.role)] : []));
    return { input, ...(subject ? { subject } : {}), representatives, ...(row.language ? { language: row.language } : {}) };
  }

  /** Every person of a row, in the order the row names them (the vault sees them in list order). */
  function peopleOfRow(list: ReceiveListInput, row: FoodListRow | MealsListRow): PersonRow[] {
    if (list.program === 'food-vouchers') {
      const food = row as FoodListRow;
      return [food.head, ...food.members.filter((m) => m.iin.trim() !== food.head.iin.trim())];
    }
    const meals = row as MealsListRow;
    return [meals.pupil, ...meals.representatives];
  }

  async function prepare(list: ReceiveListInput, now: string): Promise<Prepared[]> {
    const out: Prepared[] = [];
    for (let i = 0; i < list.rows.length; i += LIST_LOOKUP_ROWS) {
      const slice = (list.rows as readonly (FoodListRow | MealsListRow)[]).slice(i, i + LIST_LOOKUP_ROWS);
      const rowPeople = slice.map((row) => peopleOfRow(list, row));
      const { person, phones, phoneCheck } = await lookUp(rowPeople.flat(), now);
      const prepared = slice.map((row, j): Prepared => ({
        ...(list.program === 'food-vouchers'
          ? prepareFood(row as FoodListRow, i + j + 1, list.month, person)
          : prepareMeals(row as MealsListRow, i + j + 1, list, person)),
        phoneCheck,
      }));
      // Before any row is decided: an accepted row's people are in the vault even if the process dies next.
      await keep(
        prepared.flatMap((p, j) => (p.input.iinValid && !rowRule(p.input, list) ? rowPeople[j]! : [])),
        phones,
        list,
      );
      out.push(...prepared);
    }
    return out;
  }

  function openCommand(
    header: ListHeader,
    row: Prepared,
    caseStream: string,
    metadata: CommandMetadata,
    standingConsent?: OpenCase['data']['standingConsent'],
  ): OpenCase {
    invariant(row.subject, `accepted row ${row.input.rowNo} without a subject`);
    return {
      type: 'OpenCase',
      data: {
        caseId: caseStream,
        program: header.program,
        familyId: row.input.familyId,
        subject: row.subject,
        representatives: row.representatives,
        listId: header.listId,
        rowNo: row.input.rowNo,
        ...(row.language ? { language: row.language } : {}),
        ...(row.phoneCheck ? { phoneCheck: row.phoneCheck } : {}),
        ...(standingConsent ? { standingConsent } : {}),
      },
      metadata,
    };
  }

  async function runChunk(
    header: ListHeader,
    listStream: string,
    chunk: readonly Prepared[],
    k: number,
    last: boolean,
    meta: CommandMetadata,
  ): Promise<Outcome['events']> {
    const caseStreams = chunk.flatMap((r) => {
      const s = r.subject
        ? header.program === 'food-vouchers'
          ? streams.consentFood(r.input.familyId, header.month)
          : streams.consentMeals((r.subject as PupilSubject).pupilId, header.schoolYear!)
        : undefined;
      return s ? [s] : [];
    });
    const voucherStreams = caseStreams.map((s) => voucherStreamOfCase(s)!);
    // Food: each family's standing consent and its members' person-month claims (one voucher per person-month).
    const indexStreams =
      header.program === 'food-vouchers'
        ? [
            ...new Set(
              chunk.flatMap((r) =>
                r.subject?.kind === 'family' ? foodIndexStreams(streams.consentFood(r.input.familyId, header.month), r.subject.members) : [],
              ),
            ),
          ]
        : [];
    const chunkMeta: CommandMetadata = {
      ...meta,
      commandId: `${listStream}:chunk:${k}`,
      causationId: meta.commandId,
      correlationId: meta.correlationId ?? meta.commandId,
    };
    const byRow = new Map(chunk.map((r) => [r.input.rowNo, r]));
    const outcome = await decideAcross(deps.states, [listStream, ...caseStreams, ...voucherStreams, ...indexStreams], chunkMeta, (loaded) => {
      const existingCases = new Set(caseStreams.filter((s) => loaded.get(s)!.events.length > 0));
      const pupils = header.program === 'school-meals' ? pupilsOf(existingCases, loaded) : undefined;
      const claims = header.program === 'food-vouchers' ? claimsOf(indexStreams, loaded) : undefined;
      const state = deps.states.fold(lists, loaded.get(listStream)!.events);
      const listEvents = lists.decide(
        {
          type: 'ReceiveListChunk',
          data: { header, rows: chunk.map((r) => r.input), existingCases, ...(pupils ? { pupils } : {}), ...(claims ? { claims } : {}), last },
          metadata: chunkMeta,
        },
        state,
      );
      const decisions: Decision[] = [{ stream: listStream, events: listEvents, metadata: { program: header.program } }];
      for (const e of listEvents) {
        if (e.type === 'ListRowAccepted') {
          const row = byRow.get(e.data.rowNo)!;
          const standing = header.program === 'food-vouchers' ? standingConsentOf(row.input.familyId, header.month, loaded) : undefined;
          decisions.push(...claimMembers(header, row, e.data.caseStream, loaded, chunkMeta));
          decisions.push(...decideCase(deps.states, d, loaded, e.data.caseStream, openCommand(header, row, e.data.caseStream, chunkMeta, standing)).decisions);
        } else if (e.type === 'ListRowContinued' && e.data.covered === 'voucher') {
          const stream = voucherStreamOfCase(e.data.caseStream)!;
          const voucher = deps.states.fold(d.meals, loaded.get(stream)!.events);
          const command: ListMealVoucher = {
            type: 'ListMealVoucher',
            data: { month: header.month, listId: header.listId, rowNo: e.data.rowNo, schoolId: e.data.schoolId, grade: e.data.grade },
            metadata: chunkMeta,
          };
          decisions.push({ stream, events: d.meals.decide(command, voucher), metadata: { program: header.program, familyId: e.data.familyId } });
        }
      }
      return decisions;
    });
    return outcome.events;
  }

  /** The person-month index as loaded: member → the case that claimed them this month. */
  function claimsOf(indexStreams: readonly string[], loaded: ReadonlyMap<string, Loaded>): Map<string, string> {
    const out = new Map<string, string>();
    for (const stream of indexStreams) {
      const name = parseStream(stream);
      if (name?.kind !== 'personMonth') continue;
      const claim = deps.states.fold(personMonth, loaded.get(stream)!.events).claim;
      if (claim) out.set(name.personId, claim.caseId);
    }
    return out;
  }

  /** Food, consent scope "service period": the consent the family gave in an earlier month of the pilot. */
  function standingConsentOf(familyId: string, month: string, loaded: ReadonlyMap<string, Loaded>): OpenCase['data']['standingConsent'] {
    if (programs.food.consentScope !== 'service_period') return undefined;
    const given = standingFor(deps.states.fold(foodConsent, loaded.get(streams.foodConsent(familyId))!.events), month);
    return given ? { caseId: given.caseId, byPersonId: given.byPersonId } : undefined;
  }

  /** An accepted food row claims its members for the month (the index the next list is checked against). */
  function claimMembers(header: ListHeader, row: Prepared, caseStream: string, loaded: ReadonlyMap<string, Loaded>, metadata: CommandMetadata): Decision[] {
    if (row.subject?.kind !== 'family') return [];
    return row.subject.members.map((personId) => {
      const stream = streams.personMonth(personId, header.month);
      const command: ClaimPersonMonth = {
        type: 'ClaimPersonMonth',
        data: { personId, month: header.month, familyId: row.input.familyId, caseId: caseStream, listId: header.listId, rowNo: row.input.rowNo },
        metadata,
      };
      return {
        stream,
        events: personMonth.decide(command, deps.states.fold(personMonth, loaded.get(stream)!.events)),
        metadata: { program: header.program, familyId: row.input.familyId },
      };
    });
  }

  /** What each pupil with a case has this school year: the case's state and the voucher's school and grade. */
  function pupilsOf(caseStreams: ReadonlySet<string>, loaded: ReadonlyMap<string, Loaded>): Map<string, PupilYear> {
    const out = new Map<string, PupilYear>();
    for (const caseStream of caseStreams) {
      const c = deps.states.fold(d.consent, loaded.get(caseStream)!.events);
      if (c.status === 'None') continue;
      const v = deps.states.fold(d.meals, loaded.get(voucherStreamOfCase(caseStream)!)!.events);
      out.set(caseStream, {
        consent: c.status === 'Closed' ? { open: false, outcome: c.outcome } : { open: true },
        ...(v.status !== 'None' ? { voucher: { schoolId: v.schoolId, grade: v.grade } } : {}),
      });
    }
    return out;
  }

  /**
   * After a meals list is processed: its pupils go into the school's list index, and the vouchers of
   * the pupils an earlier month's list of the school named and no list of this month names are suspended for the month
   * (one atomic step; repeated after a crash by its derived command id, it records nothing twice).
   */
  async function suspendAbsentees(header: ListHeader, listStream: string, meta: CommandMetadata): Promise<void> {
    invariant(header.program === 'school-meals' && header.schoolId && header.schoolYear, 'a meals list names its school and school year');
    const schoolStream = streams.schoolLists(header.schoolId, header.schoolYear);
    const listed = listedPupils(deps.states.fold(lists, await deps.states.history(listStream)));
    const known = absentees(deps.states.fold(schoolLists, await deps.states.history(schoolStream)), header.month, listed);
    const voucherOf = (pupilId: string) => streams.meals(pupilId, header.schoolYear!);
    const stepMeta: CommandMetadata = {
      ...meta,
      commandId: `${listStream}:absentees`,
      causationId: meta.commandId,
      correlationId: meta.correlationId ?? meta.commandId,
    };
    await decideAcross(deps.states, [schoolStream, ...known.map(voucherOf)], stepMeta, (loaded) => {
      const school = deps.states.fold(schoolLists, loaded.get(schoolStream)!.events);
      const absent = absentees(school, header.month, listed);
      // The index grew between the read and the load (another list of the school): read again.
      if (absent.some((pupilId) => !loaded.has(voucherOf(pupilId)))) throw new TornRead(`the list index of ${header.schoolId} changed`);
      const recorded = schoolLists.decide(
        {
          type: 'RecordSchoolList',
          data: { schoolId: header.schoolId!, schoolYear: header.schoolYear!, month: header.month, listId: header.listId, listed },
          metadata: stepMeta,
        },
        school,
      );
      const decisions: Decision[] = [{ stream: schoolStream, events: recorded, metadata: { program: header.program } }];
      if (recorded.length === 0) return decisions;
      for (const pupilId of absent) {
        const stream = voucherOf(pupilId);
        const voucher = deps.states.fold(d.meals, loaded.get(stream)!.events);
        const command: SuspendMealVoucher = {
          type: 'SuspendMealVoucher',
          data: { month: header.month, listId: header.listId, schoolId: header.schoolId! },
          metadata: stepMeta,
        };
        const events = d.meals.decide(command, voucher);
        if (events.length > 0)
          decisions.push({ stream, events, metadata: { program: header.program, ...(voucher.status !== 'None' ? { familyId: voucher.familyId } : {}) } });
      }
      return decisions;
    });
  }

  async function receiveList(input: ReceiveListInput, meta: CommandMetadata): Promise<ListReceipt> {
    const listStream = streams.list(input.source, input.listId);
    const header = headerOf(input);
    const earlier = deps.states.fold(lists, await deps.states.history(listStream));
    if (earlier.status !== 'None' && earlier.header.contentHash !== header.contentHash) refuse('list_already_received_with_different_content', input.listId);
    if (earlier.status === 'Processed') {
      // A re-send after a crash between the last chunk and the absentees' step finishes that step.
      if (header.program === 'school-meals') await suspendAbsentees(header, listStream, meta);
      return receipt(input.listId, earlier, true);
    }
    const prepared = await prepare(input, meta.now);
    const chunks = Math.max(1, Math.ceil(prepared.length / chunkRows));
    const decided: Outcome['events'][number][] = [];
    for (let k = 0; k < chunks; k++) {
      try {
        decided.push(...(await runChunk(header, listStream, prepared.slice(k * chunkRows, (k + 1) * chunkRows), k, k === chunks - 1, meta)));
      } catch (error) {
        if (error instanceof DomainError || (error as Error)?.name === 'DomainError') throw error;
        throw new PartlyWritten(interruptedListStatement(input, k * chunkRows, Math.min((k + 1) * chunkRows, prepared.length)), { cause: error });
      }
    }
    if (header.program === 'school-meals') await suspendAbsentees(header, listStream, meta);
    const final = deps.states.fold(lists, await deps.states.history(listStream));
    const check = prepared.at(-1)?.phoneCheck;
    const phoneDirectory = check
      ? { source: check.source, ...(check.loadId ? { loadId: check.loadId } : {}), ...(check.asOf ? { asOf: check.asOf } : {}) }
      : undefined;
    const atIntake = receipt(input.listId, final, false);
    const rows = withIntakeStatus(atIntake.rows, decided);
    return { ...atIntake, rows, pending: rows.filter((r) => r.status === 'pending').map((r) => r.rowNo), ...(phoneDirectory ? { phoneDirectory } : {}) };
  }

  return { receiveList };
}

/**
 * What a list upload that failed in a chunk recorded: the chunks before it were committed, the
 * failing one may or may not have been (its commit may have gone through before the failure), the
 * rest were not. A re-send resumes by the chunks' derived command ids.
 */
function interruptedListStatement(input: ReceiveListInput, recorded: number, inDoubt: number): string {
  const total = input.rows.length;
  const rows = (from: number, to: number) => (from === to ? `row ${from}` : `rows ${from}–${to}`);
  const were = (from: number, to: number) => (from === to ? 'was' : 'were');
  const parts = [
    recorded > 0
      ? `${rows(1, recorded)} of ${total} of list ${input.listId} ${were(1, recorded)} recorded`
      : `no row of list ${input.listId} was recorded for sure`,
    `${rows(recorded + 1, inDoubt)} may or may not have been`,
    ...(inDoubt < total ? [`${rows(inDoubt + 1, total)} ${were(inDoubt + 1, total)} not`] : []),
  ];
  return `${parts.join('; ')}. Re-send the same list (same listId and rows, any Idempotency-Key): it resumes after what is recorded and records no row twice. GET /v1/lists/${input.source}/${input.listId} shows what is recorded.`;
}

/** SHA-256 of the canonical list (header fields and rows as sent): a re-send must match it. */
export function listContentHash(input: ReceiveListInput): string {
  const { listId: _id, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function headerOf(input: ReceiveListInput): ListHeader {
  return {
    listId: input.listId,
    source: input.source,
    program: input.program,
    month: input.month,
    ...(input.program === 'school-meals' ? { schoolYear: input.schoolYear, schoolId: input.schoolId } : {}),
    rowCount: input.rows.length,
    contentHash: listContentHash(input),
  };
}

function receipt(listId: string, state: ListState, repeated: boolean): ListReceipt {
  if (state.status === 'None') return { listId, accepted: 0, rejected: 0, continued: 0, rows: [], repeated };
  const rows = [...state.rows.values()]
    .sort((a, b) => a.rowNo - b.rowNo)
    .map((r) => ({ rowNo: r.rowNo, outcome: r.outcome, ...(r.caseStream ? { caseStream: r.caseStream } : {}) }));
  const accepted = rows.filter((r) => r.outcome === 'row_accepted').length;
  const continued = rows.filter((r) => r.outcome === 'row_continued').length;
  return { listId, accepted, rejected: rows.length - accepted - continued, continued, rows, repeated };
}

/**
 * Each row's status right after intake, from the events its chunk decided: returned (rejected, or
 * its case ended at once: no phone), voucher_issued (no consent needed), or pending a decision.
 */
function withIntakeStatus(rows: readonly RowOutcome[], events: Outcome['events']): RowOutcome[] {
  const lastOf = new Map<string, StatusChange>();
  const cases = new Map(rows.flatMap((r) => (r.caseStream ? [[voucherStreamOfCase(r.caseStream) ?? '', r.caseStream] as const] : [])));
  const caseOfVoucher = (stream: string) => cases.get(stream);
  for (const event of events) {
    const found = statusChangeOf(event as LedgerEvent);
    if (!found || found.target === 'list_row') continue;
    const caseStream = found.target === 'case' ? event.stream : caseOfVoucher(event.stream);
    if (caseStream) lastOf.set(caseStream, found.change);
  }
  return rows.map((row) => {
    // A pupil covered already this school year stays on the month's list: not a return (issue 16).
    if (row.outcome === 'row_continued') return { ...row, status: 'continued' as const };
    if (row.outcome !== 'row_accepted') return { ...row, status: 'returned' as const };
    const last = row.caseStream ? lastOf.get(row.caseStream) : undefined;
    if (last?.status === 'returned') return { ...row, status: 'returned' as const, ...(last.reason ? { reason: last.reason } : {}) };
    if (last?.status === 'voucher_issued') return { ...row, status: 'voucher_issued' as const };
    return { ...row, status: 'pending' as const };
  });
}

export type { ListEvent };
