/**
 * School meals through the API, on the virtual clock (seeds 000/001/002):
 *   from − 7 days, 09:00  NOBD uploads each school's list of the first month → per-row outcomes
 *   each later month, its 1st at 07:00: each school's list of that month (simulators/meals-lists.ts):
 *                          a few pupils absent (their voucher suspended for the month: the canteen is
 *                          refused), some of them back the month after, a few at another school or in
 *                          another grade (the voucher moves), a few named for the first time (new
 *                          cases); a case that ended without consent (no phone — some parents are in
 *                          BMG's next load —, timed out) starts again; continuing pupils are continued
 *                          rows, not returns; a parent who refused is returned (consent_refused_earlier)
 *   then                   primary grades get a voucher without SMS; the others' parents get the SMS
 *                          (mother → father → guardian), answer 3#1 / 3#2 / nothing / garbage,
 *                          reminders after 3 days, timeouts 3 days later; parents activate
 *   each school day        pupils with an active voucher come to lunch (attendance); the canteen
 *                          device reads a dynamic QR (the parent issued it a moment before) or the
 *                          ID card, stores records offline and syncs them in batches an hour later —
 *                          or the next morning when the device was offline; some batches are resent,
 *                          some pupils are scanned twice the same day
 * SMS go out only inside the sending window (quiet hours): a reminder is due at midnight and must
 * reach the gateway at the window's first tick; a list that arrives before 09:00 has its start SMS
 * held until then. The run goes on until every case of the last list has ended (`untilCasesEnd`).
 * Truth is each record's outcome as the API answered it; check.ts compares it with the табель,
 * the returns and the status feed, and the pilot outcomes.
 */
import { SCHOOL_MEALS } from '../domain/programs/school-meals';
import { inForceOn, isMealDay } from '../domain/programs/school-calendar';
import { addDays, addSeconds, instantAt, localDate, monthOf, schoolYearOf, type LocalDate } from '../domain/shared/calendar';
import { parseVoucherId } from '../domain/vouchers/ids';
import type { Behaviour } from './behaviour';
import type { Driver } from './driver';
import { bearer, pool } from './http';
import type { Population, Pupil, Representative } from './population';
import { spoilIin } from './population';
import type { Progress } from './progress';
import { createRng, type Rng } from './rng';
import { caseTimetable, insideSendingWindow, listInstant, listMonths, nextPlace, sendableAt, type Place } from './meals-lists';
import { Agenda, Ticks, runDue } from './clock-plan';
import { newFunnel, RequestLog, Tally, type FunnelTruth, type Latencies } from './stats';
import { onboard, registryCallOver, SIMULATION_OPERATOR } from './registry';

export interface MealsRunOptions {
  readonly from: LocalDate;
  /** Calendar days from `from` (weekends, holidays and the school calendar's breaks have no meals). */
  readonly days: number;
  readonly seed: number | string;
  readonly behaviour: Behaviour;
  readonly tickMinutes?: number;
  readonly concurrency?: number;
  readonly progress?: (total: number, title: string) => Progress;
  /**
   * Go on past the last day until every case has ended (default), so that every row's return is
   * known; false stops at the last day (the demo opens on a given day), cases still waiting then.
   */
  readonly untilCasesEnd?: boolean;
  /** Called around each school day's canteen traffic (the bench times a day). */
  readonly onSchoolDay?: (day: LocalDate, phase: 'start' | 'end', records: number) => void;
}

export interface MealsRegionTruth extends FunnelTruth {
  notRequired: number;
  mealsServed: number;
}

/** One month's lists: what NOBD sent and how the population moved since the month before. */
export interface MealsListMonth {
  readonly month: string;
  /** Local date the month's lists arrived. */
  readonly day: LocalDate;
  readonly rows: number;
  readonly accepted: number;
  readonly continued: number;
  readonly rejected: number;
  /** Cases that ended without consent (no phone, timed out) and started again. */
  readonly startedAgain: number;
  /** Vouchers suspended for the month (pupils absent from every list of the month). */
  readonly suspended: number;
  readonly changes: Record<string, number>;
  /** Parents of "no phone" pupils in BMG's load before this month's lists. */
  readonly phonesFound: number;
}

/** One school's day in the NOBD daily report (projections/nobd-daily), as the simulation did it. */
export interface NobdDayTruth {
  vouchersActivated: number;
  mealsProvided: number;
  consentConsented: number;
  consentRefused: number;
  consentTimedOut: number;
  consentNoPhone: number;
  consentNotRequired: number;
  rowsReturned: number;
}

/** Quiet hours as the SMS gateway saw them. */
export interface QuietHoursTruth {
  /** SMS first offered to the gateway outside the sending window (must be 0). */
  readonly outsideWindow: number;
  /** Start SMS and reminders, and those first offered at the tick the simulator expected (the window's start when asked for at night). */
  readonly asked: number;
  readonly onTime: number;
  /** Reminders due at midnight, held for the window and sent at its start. */
  readonly remindersHeld: number;
  /** Start SMS of a list that came before the window, held for it. */
  readonly startsHeld: number;
}

export interface MealsTruth {
  readonly from: LocalDate;
  /** Calendar days asked for from `from`. */
  readonly dayCount: number;
  readonly schoolDays: readonly LocalDate[];
  readonly listRows: number;
  readonly accepted: number;
  readonly rejectedByReason: Record<string, number>;
  readonly unexpectedRowOutcomes: number;
  /** Every row of every list and the reason it must come back in the returns with (none: it ended with a voucher, or the pupil continued). */
  readonly listRowsTruth: readonly { listId: string; rowNo: number; returnReason?: string }[];
  readonly months: readonly MealsListMonth[];
  readonly byRegionMonth: Record<string, MealsRegionTruth>;
  /** schoolId → month → pupilId → day → meals recorded. */
  readonly tabel: Record<string, Record<string, Record<string, Record<string, number>>>>;
  /**
   * The NOBD daily report: schoolId → local day → counters. Activations count at the school that
   * issued the voucher, consent outcomes at the school that first opened the case (each attempt on
   * the day it ended), returned rows at the list's school on its day, meals at the device's school.
   */
  readonly nobdDaily: Record<string, Record<string, NobdDayTruth>>;
  /** Every local day of the run, from the first list's to the last tick's (the daily reports checked). */
  readonly days: readonly LocalDate[];
  /** schoolId → month → pupils whose voucher is suspended for the month there (on no табель). */
  readonly suspendedPupils: Record<string, Record<string, string[]>>;
  readonly recordOutcomes: Record<string, number>;
  readonly recordsSent: number;
  readonly batches: number;
  readonly resends: number;
  readonly offlineDeviceDays: number;
  readonly modelMismatches: number;
  readonly smsByKind: Record<string, number>;
  readonly replies: Record<string, number>;
  readonly quietHours: QuietHoursTruth;
  readonly requests: number;
  readonly refusals: Record<string, number>;
  readonly latencies: Record<string, ReturnType<Latencies['summary']>>;
}

type Answer = 'yes' | 'no' | 'never' | 'garbage';

/** A list row and the reason it must be in the returns with (set once the row's case has ended). */
interface RowTruth {
  readonly listId: string;
  readonly rowNo: number;
  returnReason?: string;
}

/** One consent case attempt: opened by a list row, started again by a later one after no consent. */
interface Attempt {
  /** The row the case's changes land on (a later row continuing a waiting case takes it over). */
  row: RowTruth;
  readonly answer: Answer;
  readonly primary: boolean;
  readonly noPhone: boolean;
  /** When the start SMS may go out and when the case times out without an answer. */
  readonly requestAt: string;
  readonly reminderDue: string;
  readonly timeoutAt: string;
  sawRequest: boolean;
  sawReminder: boolean;
  outcome?: 'consent_given' | 'consent_refused';
}

interface PupilRun {
  readonly pupil: Pupil;
  readonly rng: Rng;
  /** What the parent does with the first start SMS (drawn first, so a run's other draws stay as they were). */
  readonly firstAnswer: Answer;
  readonly region: string;
  /** Where the latest list named the pupil (the voucher is there). */
  schoolId: string;
  grade: number;
  /** Month index from which lists name the pupil. */
  readonly joinsAt: number;
  place: Place | undefined;
  lastNamed: Exclude<Place, 'absent'> | undefined;
  readonly attempts: Attempt[];
  /** Local month the case was first opened (the pilot outcomes count it there), and its school (the NOBD report's). */
  caseMonth?: string;
  caseSchool?: string;
  /** The school that issued the voucher (the NOBD report counts its activation there). */
  voucherSchool?: string;
  /** Whom the SMS reached (phone without +), and as whom the parent logs in. */
  smsPhone?: string;
  parent: Representative;
  parentPersonId: string;
  voucherId?: string;
  /** Local month the voucher was issued in, and the tick. */
  voucherMonth?: string;
  voucherTick?: number;
  /** Months the voucher is suspended for (absent from every list of the month). */
  readonly suspended: Set<string>;
  active: boolean;
  activationPlanned: boolean;
}

type Action =
  { readonly kind: 'reply'; readonly run: PupilRun; readonly attempt: Attempt; readonly text: string } | { readonly kind: 'activate'; readonly run: PupilRun };

interface PendingBatch {
  readonly deviceId: string;
  readonly schoolId: string;
  readonly batchId: string;
  readonly records: { seq: number; token?: string; cardIin?: string; scannedAt: string }[];
  /** What the simulator expects per seq: the pupil, the outcome and the day. */
  readonly expect: Map<number, { run: PupilRun; want: string; day: LocalDate }>;
  resend: boolean;
}

/** A school's list upload may take long (vault and BMG per person). */
const LIST_TIMEOUT_MS = 120_000;
const GARBAGE = ['да', '3', '31', 'Согласна', '3*1', 'ok'];
const LUNCH = '12:00';
/** An offline device syncs the next morning at this hour. */
const OFFLINE_SYNC = '08:00';

function newRegion(): MealsRegionTruth {
  return { ...newFunnel(), notRequired: 0, mealsServed: 0 };
}

/** Days some grade has lunch at school (domain/programs/school-calendar.ts). */
export function schoolDaysOf(from: LocalDate, days: number): LocalDate[] {
  const out: LocalDate[] = [];
  for (let i = 0; i < days; i++) {
    const day = addDays(from, i);
    if (inForceOn(day, SCHOOL_MEALS) && isMealDay(day, undefined, SCHOOL_MEALS)) out.push(day);
  }
  return out;
}

/** What the ledger must answer for a pupil's row on a later list, given the pupil's case so far. */
function expectedRowOutcome(run: PupilRun, now: string): string {
  if (run.pupil.defect) return run.pupil.defect;
  const last = run.attempts.at(-1);
  if (!last) return 'row_accepted';
  if (run.voucherMonth) return 'row_continued';
  if (last.outcome === 'consent_refused') return 'consent_refused_earlier';
  if (last.noPhone || (!last.outcome && now >= last.timeoutAt)) return 'row_accepted';
  return 'row_continued';
}

/** The reason an attempt's row is returned with, or undefined (a voucher, not required, or still waiting when the run ended). */
function returnReasonOf(attempt: Attempt, timedOut: (attempt: Attempt) => boolean): string | undefined {
  if (attempt.primary || attempt.outcome === 'consent_given') return undefined;
  if (attempt.noPhone) return 'no_phone';
  if (attempt.outcome === 'consent_refused') return 'consent_refused';
  return timedOut(attempt) ? 'consent_timed_out' : undefined;
}

/** The consent funnel per region and month: each case once, in the month first opened, as its latest attempt ended (or waits). */
function countCases(runs: readonly PupilRun[], region: (r: string, m: string) => MealsRegionTruth, timedOut: (attempt: Attempt) => boolean): void {
  for (const run of runs) {
    const last = run.attempts.at(-1);
    if (!last || !run.caseMonth) continue;
    const r = region(run.region, run.caseMonth);
    r.eligible++;
    if (last.primary) r.notRequired++;
    else if (last.noPhone) r.noPhone++;
    else {
      if (last.sawRequest) r.smsSent++;
      if (last.sawReminder) r.reminded++;
      if (last.outcome === 'consent_given') r.consented++;
      else if (last.outcome === 'consent_refused') r.refused++;
      else if (timedOut(last)) r.timedOut++;
    }
    if (run.voucherMonth) region(run.region, run.voucherMonth).issued++;
  }
}

export async function simulateMeals(driver: Driver, population: Population, options: MealsRunOptions): Promise<MealsTruth> {
  const { behaviour } = options;
  const concurrency = options.concurrency ?? 32;
  const rng = createRng(`${options.seed}/meals/${options.from}`);
  const schoolYear = schoolYearOf(options.from);
  if (!schoolYear) throw new Error(`${options.from} is in the summer break`);
  const schoolDays = schoolDaysOf(options.from, options.days);
  const listPlan = listMonths(options.from, schoolDays);
  const ticks = new Ticks(instantAt(listPlan[0]!.day, listPlan[0]!.time), options.tickMinutes ?? 60);
  const atTick = (instant: string) => ticks.at(ticks.ceil(instant));
  const lastDay = addDays(options.from, options.days - 1);
  let endTick = ticks.ceil(instantAt(addDays(lastDay, 1), '10:00'));
  const agenda = new Agenda<Action>();
  const log = new RequestLog();
  const smsByKind = new Tally();
  const replies = new Tally();
  const recordOutcomes = new Tally();
  let modelMismatches = 0;
  let unexpectedRowOutcomes = 0;
  let batchesSent = 0;
  let resends = 0;
  let recordsSent = 0;
  let offlineDeviceDays = 0;
  const quiet = { outsideWindow: 0, asked: 0, onTime: 0, remindersHeld: 0, startsHeld: 0 };
  const byRegionMonth: Record<string, MealsRegionTruth> = {};
  const region = (r: string, m: string) => (byRegionMonth[`${r}|${m}`] ??= newRegion());
  const tabel: MealsTruth['tabel'] = {};
  const nobdDaily: MealsTruth['nobdDaily'] = {};
  const nobd = (schoolId: string, at: string): NobdDayTruth =>
    ((nobdDaily[schoolId] ??= {})[localDate(at)] ??= {
      vouchersActivated: 0,
      mealsProvided: 0,
      consentConsented: 0,
      consentRefused: 0,
      consentTimedOut: 0,
      consentNoPhone: 0,
      consentNotRequired: 0,
      rowsReturned: 0,
    });
  const http = driver.http;

  const timed: RequestLog['timed'] = (op, call) => log.timed(op, call);

  const schools = new Map(population.schools.map((s) => [s.schoolId, s]));
  const schoolsOfRegion = (schoolId: string) => population.schools.filter((s) => s.region === schools.get(schoolId)!.region);
  /** BMG's directory as the simulation knows it: some parents get a phone between months. */
  const phones = new Map(population.phones);
  let nextPhone = 0;
  const actingParent = (pupil: Pupil): Representative => {
    const byPriority = [...pupil.representatives].sort(
      (a, b) => SCHOOL_MEALS.recipientPriority.indexOf(a.role) - SCHOOL_MEALS.recipientPriority.indexOf(b.role),
    );
    // The parent who acts in the wallet: the first representative by priority who has a phone, else the first.
    return byPriority.find((p) => phones.has(p.iin)) ?? byPriority[0]!;
  };
  const runs: PupilRun[] = population.pupils.map((pupil) => {
    const r = rng.fork(pupil.person.iin);
    const lists = rng.fork(`${pupil.person.iin}/lists`);
    const acting = actingParent(pupil);
    return {
      pupil,
      rng: r,
      firstAnswer: r.weighted(behaviour.consent.answers),
      region: schools.get(pupil.schoolId)!.region,
      schoolId: pupil.schoolId,
      grade: pupil.grade,
      joinsAt: listPlan.length > 1 && lists.chance(behaviour.lists.newcomers) ? lists.int(1, listPlan.length - 1) : 0,
      place: undefined,
      lastNamed: undefined,
      attempts: [],
      parent: acting,
      parentPersonId: driver.personId(acting.iin),
      suspended: new Set(),
      active: false,
      activationPlanned: false,
    };
  });
  const byPhone = new Map<string, PupilRun>();
  const indexPhones = (run: PupilRun) => {
    for (const rep of run.pupil.representatives) {
      const phone = phones.get(rep.iin);
      if (phone) byPhone.set(phone.replace(/^\+/, ''), run);
    }
  };
  for (const run of runs) indexPhones(run);
  await driver.loadPhones([...phones.entries()]);

  const citizenToken = (run: PupilRun) =>
    driver.token({ role: 'citizen', sub: `citizen-${run.pupil.familyId}`, familyId: run.pupil.familyId, personId: run.parentPersonId });
  const deviceToken = (deviceId: string, schoolId: string) => driver.token({ role: 'canteen-device', sub: deviceId, deviceId, schoolId });
  // The operator onboards every school and canteen device through the registry's door first.
  await onboard(registryCallOver(http, await driver.token(SIMULATION_OPERATOR)), {
    schools: population.schools.map((school) => ({ schoolId: school.schoolId, region: school.region, city: school.city })),
    devices: population.schools.flatMap((school) => school.deviceIds.map((deviceId) => ({ deviceId, schoolId: school.schoolId }))),
  });

  // Primary grades: voucher without SMS; the parent activates after a delay.
  const planActivation = (run: PupilRun, tick: number) => {
    if (run.activationPlanned) return;
    run.activationPlanned = true;
    if (run.rng.chance(behaviour.activation.never)) return;
    const delay = Math.max(1, Math.ceil((run.rng.exponential(behaviour.activation.delayMeanHours) * 60) / ticks.tickMinutes));
    agenda.add(tick + delay, { kind: 'activate', run });
  };

  // ── lists: each school's list of each month ────────────────────────────────────────────
  await driver.advanceTo(ticks.at(0));
  const rejectedByReason = new Tally();
  let accepted = 0;
  let listRows = 0;
  const rowsOfLists: RowTruth[] = [];
  const monthsTruth: MealsListMonth[] = [];

  /** Month k ≥ 1: where each pupil is on the month's lists; BMG's next load when parents got a phone. */
  const moveOn = async (k: number, month: string, tick: number) => {
    const changes = new Tally();
    let phonesFound = 0;
    for (const run of runs) {
      const draw = rng.fork(`${run.pupil.person.iin}/lists/${month}`);
      const last = run.attempts.at(-1);
      const pending = !!last && !run.voucherMonth && !last.noPhone && !last.outcome && ticks.at(tick) < last.timeoutAt;
      const next = nextPlace(
        { pupil: run.pupil, joinsAt: run.joinsAt, previous: run.place, lastNamed: run.lastNamed, hasVoucher: !!run.voucherMonth, pending },
        k,
        draw,
        behaviour.lists,
        schoolsOfRegion,
      );
      if (next.change !== 'same' && next.change !== 'still_absent') changes.add(next.change);
      run.place = next.place;
      if (next.place !== 'absent' && last?.noPhone && draw.chance(behaviour.lists.phoneFound)) {
        const rep = actingParent(run.pupil);
        phones.set(rep.iin, `+7702${String(1_000_000 + ++nextPhone).padStart(7, '0')}`);
        indexPhones(run);
        phonesFound++;
      }
    }
    if (phonesFound > 0) await driver.loadPhones([...phones.entries()]);
    return { changes: changes.sorted(), phonesFound };
  };

  /** Opens (or starts again) the case of an accepted row. */
  const startAttempt = (run: PupilRun, row: RowTruth, tick: number, status: string | undefined) => {
    const at = ticks.at(tick);
    const primary = SCHOOL_MEALS.consentSkippedForGrades.includes(run.grade);
    run.parent = actingParent(run.pupil);
    run.parentPersonId = driver.personId(run.parent.iin);
    const noPhone = !primary && !phones.has(run.parent.iin);
    // A case started again is a new SMS: the parent may answer differently this time.
    const answer = run.attempts.length === 0 ? run.firstAnswer : run.rng.weighted(behaviour.consent.answers);
    const timetable = caseTimetable(at, atTick);
    const attempt: Attempt = { row, answer, primary, noPhone, ...timetable, sawRequest: false, sawReminder: false };
    run.attempts.push(attempt);
    run.caseMonth ??= monthOf(localDate(at));
    run.caseSchool ??= run.schoolId;
    if (primary) nobd(run.caseSchool, at).consentNotRequired++;
    else if (noPhone) nobd(run.caseSchool, at).consentNoPhone++;
    if (status !== (primary ? 'voucher_issued' : noPhone ? 'returned' : 'pending')) unexpectedRowOutcomes++;
    if (primary) {
      run.voucherMonth = monthOf(localDate(at));
      run.voucherTick = tick;
      run.voucherSchool = run.schoolId;
      planActivation(run, tick);
    } else if (!noPhone && options.untilCasesEnd !== false) endTick = Math.max(endTick, ticks.ceil(attempt.timeoutAt));
    if (!primary && !noPhone && at !== attempt.requestAt && !insideSendingWindow(at)) quiet.startsHeld++;
  };

  const uploadSchool = async (schoolId: string, pupils: PupilRun[], month: string, tick: number, tally: Tally) => {
    const school = schools.get(schoolId)!;
    const rows = pupils.map((run) => {
      const p = run.pupil;
      return {
        familyId: p.familyId,
        pupil: { iin: p.defect === 'invalid_iin' ? spoilIin(p.person.iin) : p.person.iin, fullName: p.person.fullName },
        schoolId,
        grade: run.grade,
        category: p.category,
        approvedByHead: p.defect !== 'not_approved_by_head',
        ...(p.defect === 'failed_sdu_reconciliation' ? { reconciliation: { ok: false, reason: 'not found in the Digital Family Map' } } : {}),
        representatives: p.representatives.map((r) => ({ iin: r.iin, fullName: r.fullName, role: r.role })),
      };
    });
    const expected = pupils.map((run) => expectedRowOutcome(run, ticks.at(tick)));
    listRows += rows.length;
    const listId = `nobd-${schoolId}-${month}-sim`;
    const nobdToken = await driver.token({ role: 'nobd', sub: 'nobd-simulator' });
    const reply = await timed('list_upload', () =>
      http.send(
        http.api.POST('/v1/lists/school-meals', {
          headers: bearer(nobdToken),
          body: { listId, month, schoolYear, schoolId, region: school.region, rows },
          signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
        }),
      ),
    );
    if (reply.status >= 300) throw new Error(`list upload refused: ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
    for (const outcome of reply.body.rows) {
      const run = pupils[outcome.rowNo - 1];
      if (!run) continue;
      if (outcome.outcome !== expected[outcome.rowNo - 1]) unexpectedRowOutcomes++;
      const row: RowTruth = { listId, rowNo: outcome.rowNo };
      rowsOfLists.push(row);
      tally.add(outcome.outcome);
      if (outcome.outcome === 'row_accepted') {
        accepted++;
        if (run.attempts.length > 0) tally.add('started_again');
        startAttempt(run, row, tick, outcome.status);
      } else if (outcome.outcome === 'row_continued') {
        const last = run.attempts.at(-1);
        // A case still waiting for an answer: its changes land on this row from now on.
        if (last && !run.voucherMonth && !last.noPhone && !last.outcome) last.row = row;
      } else {
        rejectedByReason.add(outcome.outcome);
        nobd(schoolId, ticks.at(tick)).rowsReturned++;
        row.returnReason = outcome.outcome;
      }
    }
  };

  /** A month's lists, one per school, 4 side by side; then who is absent has the voucher suspended. */
  const sendLists = async (k: number, tick: number) => {
    const { month, day } = listPlan[k]!;
    const moved = k === 0 ? { changes: {}, phonesFound: 0 } : await moveOn(k, month, tick);
    const bySchool = new Map<string, PupilRun[]>();
    for (const run of runs) {
      if (k === 0) run.place = run.joinsAt === 0 ? { schoolId: run.pupil.schoolId, grade: run.pupil.grade } : 'absent';
      if (run.place === undefined || run.place === 'absent') continue;
      run.schoolId = run.place.schoolId;
      run.grade = run.place.grade;
      run.lastNamed = run.place;
      let list = bySchool.get(run.schoolId);
      if (!list) bySchool.set(run.schoolId, (list = []));
      list.push(run);
    }
    const tally = new Tally();
    await pool([...bySchool.entries()], Math.min(4, concurrency), ([schoolId, pupils]) => uploadSchool(schoolId, pupils, month, tick, tally));
    await driver.settle();
    let suspended = 0;
    for (const run of runs)
      if (run.place === 'absent' && run.voucherTick !== undefined && run.voucherTick < tick) {
        run.suspended.add(month);
        suspended++;
      }
    const t = tally.sorted();
    const count = (key: string) => t[key] ?? 0;
    monthsTruth.push({
      month,
      day,
      rows: Object.entries(t).reduce((n, [key, v]) => (key === 'started_again' ? n : n + v), 0),
      accepted: count('row_accepted'),
      continued: count('row_continued'),
      rejected: Object.entries(t).reduce((n, [key, v]) => (key === 'started_again' || key.startsWith('row_') ? n : n + v), 0),
      startedAgain: count('started_again'),
      suspended,
      changes: moved.changes,
      phonesFound: moved.phonesFound,
    });
  };

  const scheduleReply = (run: PupilRun, attempt: Attempt, tick: number, kind: string) => {
    const c = behaviour.consent;
    const delay = () => Math.max(1, Math.ceil(run.rng.exponential(c.replyDelayMeanHours / 2) * (60 / ticks.tickMinutes)));
    const reply = (at: number, text: string) => agenda.add(at, { kind: 'reply', run, attempt, text });
    if (kind === 'consent_reminder') {
      if (attempt.answer === 'never' && run.rng.chance(c.answerAfterReminder)) reply(tick + delay(), SCHOOL_MEALS.replyCodes.yes);
      return;
    }
    const d = delay();
    if (d > Math.ceil((c.replyDelayMaxHours * 60) / ticks.tickMinutes)) return;
    if (attempt.answer === 'yes') reply(tick + d, SCHOOL_MEALS.replyCodes.yes);
    else if (attempt.answer === 'no') reply(tick + d, SCHOOL_MEALS.replyCodes.no);
    else if (attempt.answer === 'garbage') {
      reply(tick + d, run.rng.pick(GARBAGE));
      if (run.rng.chance(c.garbageThenYes)) reply(tick + d + delay(), SCHOOL_MEALS.replyCodes.yes);
    }
  };

  // Signed again as the virtual clock moves (a run may outlive one token): the driver hands out the current one.
  const gatewayPrincipal = { role: 'sms-gateway', sub: 'sms-gateway-sim' } as const;
  const reported = new Set<string>();
  const failedOnce = new Set<string>();
  const offered = new Set<string>();
  /** Quiet hours: first offered inside the window, and — start SMS and reminders — at the tick the timetable says. */
  const firstOffer = (m: { messageId: string; kind: string }, run: PupilRun | undefined, tick: number) => {
    if (offered.has(m.messageId)) return;
    offered.add(m.messageId);
    if (!insideSendingWindow(ticks.at(tick))) quiet.outsideWindow++;
    const attempt = run?.attempts.at(-1);
    if (!attempt || (m.kind !== 'consent_request' && m.kind !== 'consent_reminder')) return;
    quiet.asked++;
    const due = m.kind === 'consent_request' ? attempt.requestAt : sendableAt(atTick(attempt.reminderDue));
    if (ticks.at(tick) === atTick(due)) quiet.onTime++;
    if (m.kind === 'consent_reminder' && !insideSendingWindow(attempt.reminderDue)) quiet.remindersHeld++;
  };
  const gateway = async (tick: number) => {
    const at = ticks.at(tick);
    const gatewayToken = await driver.token(gatewayPrincipal);
    for (let round = 0; round < 1_000; round++) {
      const pulled = await timed('sms_pull', () =>
        http.send(http.api.GET('/v1/sms/outbound', { params: { query: { limit: 500 } }, headers: bearer(gatewayToken) })),
      );
      const fresh = pulled.body.messages.filter((m) => !reported.has(m.messageId));
      if (fresh.length === 0) return;
      await pool(fresh, concurrency, async (m) => {
        const phone = m.phone.replace(/^\+/, '');
        const run = byPhone.get(phone);
        firstOffer(m, run, tick);
        const fail = !failedOnce.has(m.messageId) && rng.chance(behaviour.consent.smsFailure);
        const reply = await timed('sms_delivery', () =>
          http.send(
            http.api.POST('/v1/sms/outbound/{messageId}/delivery', {
              params: { path: { messageId: m.messageId } },
              headers: bearer(gatewayToken),
              body: fail ? { status: 'failed', reason: 'simulated: no network', at } : { status: 'sent', at },
            }),
          ),
        );
        if (fail) {
          failedOnce.add(m.messageId);
          return;
        }
        if (reply.status >= 300) return;
        reported.add(m.messageId);
        smsByKind.add(m.kind);
        const attempt = run?.attempts.at(-1);
        if (!run || !attempt) return;
        if (m.kind === 'consent_request' && !attempt.sawRequest) {
          attempt.sawRequest = true;
          run.smsPhone = phone;
          scheduleReply(run, attempt, tick, m.kind);
        } else if (m.kind === 'consent_reminder' && !attempt.sawReminder) {
          attempt.sawReminder = true;
          scheduleReply(run, attempt, tick, m.kind);
        }
      });
      await driver.settle();
    }
  };

  const act = async (action: Action, tick: number) => {
    const run = action.run;
    if (action.kind === 'reply') {
      // A reply meant for an earlier attempt of the case is not sent (that attempt has ended).
      if (!run.smsPhone || action.attempt !== run.attempts.at(-1)) return;
      const gatewayToken = await driver.token(gatewayPrincipal);
      const reply = await timed('sms_inbound', () =>
        http.send(
          http.api.POST('/v1/sms/inbound', {
            headers: bearer(gatewayToken),
            body: { phone: `+${run.smsPhone}`, text: action.text, receivedAt: ticks.at(tick) },
          }),
        ),
      );
      const outcome = reply.code ?? reply.body.outcome;
      replies.add(outcome);
      if (outcome === 'consent_given' && !action.attempt.outcome) {
        action.attempt.outcome = 'consent_given';
        nobd(run.caseSchool!, ticks.at(tick)).consentConsented++;
        run.voucherSchool = run.schoolId;
        run.voucherMonth = monthOf(localDate(ticks.at(tick)));
        run.voucherTick = tick;
        planActivation(run, tick);
      } else if (outcome === 'consent_refused' && !action.attempt.outcome) {
        action.attempt.outcome = 'consent_refused';
        nobd(run.caseSchool!, ticks.at(tick)).consentRefused++;
      }
      return;
    }
    const token = await citizenToken(run);
    const listed = await timed('my_vouchers', () => http.send(http.api.GET('/v1/me/vouchers', { headers: bearer(token) })));
    const voucher = (listed.body.vouchers ?? []).find((v) => v.program === 'school-meals');
    if (!voucher) {
      modelMismatches++;
      return;
    }
    run.voucherId = voucher.voucherId;
    if (voucher.status === 'active') {
      run.active = true;
      return;
    }
    const reply = await timed('activate', () =>
      http.send(
        http.api.POST('/v1/me/vouchers/{voucherId}/activate', {
          params: { path: { voucherId: voucher.voucherId }, header: { 'Idempotency-Key': `act-${voucher.voucherId}` } },
          headers: bearer(token),
        }),
      ),
    );
    if (reply.status === 200) {
      run.active = true;
      region(run.region, run.voucherMonth!).activated++;
      nobd(run.voucherSchool!, ticks.at(tick)).vouchersActivated++;
    }
  };

  // ── canteens ───────────────────────────────────────────────────────────────────────────
  const seqOf = new Map<string, number>();
  const pendingSync = new Map<number, PendingBatch[]>();
  const addSync = (tick: number, batch: PendingBatch) => {
    let list = pendingSync.get(tick);
    if (!list) pendingSync.set(tick, (list = []));
    list.push(batch);
  };
  /** Lunch on a school day: QR tokens issued by parents, every scan stored on its device. */
  const lunch = async (day: LocalDate, tick: number) => {
    const lunchAt = ticks.at(tick);
    const c = behaviour.canteen;
    // A grade on its own break (first grade's extra week) does not come to lunch.
    // A pupil absent from the month's lists (voucher suspended) comes now and then all the same: the device is refused.
    const month = monthOf(day);
    const eating = runs.filter(
      (r) =>
        r.active &&
        r.voucherId &&
        isMealDay(day, r.grade, SCHOOL_MEALS) &&
        r.rng.chance(r.suspended.has(month) ? behaviour.lists.suspendedStillCome : c.attendance),
    );
    options.onSchoolDay?.(day, 'start', eating.length);
    const viaQr = eating.filter((r) => r.rng.chance(c.qrShare));
    const tokens = new Map<PupilRun, string>();
    await pool(viaQr, concurrency, async (run) => {
      const token = await citizenToken(run);
      const reply = await timed('qr', () =>
        http.send(http.api.POST('/v1/me/vouchers/{voucherId}/qr', { params: { path: { voucherId: run.voucherId! } }, headers: bearer(token) })),
      );
      if (reply.status === 201) tokens.set(run, reply.body.token);
    });
    const perDevice = new Map<string, { schoolId: string; records: PendingBatch['records']; expect: PendingBatch['expect'] }>();
    const record = (run: PupilRun, first: boolean, offsetSeconds: number, deviceId: string) => {
      const school = schools.get(run.schoolId)!;
      let entry = perDevice.get(deviceId);
      if (!entry) perDevice.set(deviceId, (entry = { schoolId: school.schoolId, records: [], expect: new Map() }));
      const seq = (seqOf.get(deviceId) ?? 0) + 1;
      seqOf.set(deviceId, seq);
      const token = first ? tokens.get(run) : undefined;
      entry.records.push({ seq, ...(token ? { token } : { cardIin: run.pupil.person.iin }), scannedAt: addSeconds(lunchAt, offsetSeconds) });
      const suspended = run.suspended.has(month);
      entry.expect.set(seq, { run, day, want: !first ? 'meal_already_recorded_today' : suspended ? 'voucher_suspended' : 'meal_recorded' });
    };
    for (const run of eating) {
      // A second scan happens in the same canteen queue, so at the same device, later.
      const deviceIds = schools.get(run.schoolId)!.deviceIds;
      const deviceId = deviceIds[run.rng.int(0, deviceIds.length - 1)]!;
      record(run, true, run.rng.int(1, 50), deviceId);
      if (!run.suspended.has(month) && run.rng.chance(c.secondScan)) record(run, false, 55 + run.rng.int(0, 600), deviceId);
    }
    // Devices sync an hour after lunch, or the next morning when offline that day.
    let records = 0;
    for (const [deviceId, entry] of perDevice) {
      const offline = rng.chance(c.offlineDeviceDays);
      if (offline) offlineDeviceDays++;
      const syncTick = offline ? ticks.local(addDays(day, 1), OFFLINE_SYNC) : tick + Math.max(1, Math.ceil((c.syncDelayHours * 60) / ticks.tickMinutes));
      for (let i = 0; i < entry.records.length; i += c.batchSize) {
        const part = entry.records.slice(i, i + c.batchSize);
        records += part.length;
        const expect = new Map(part.map((r) => [r.seq, entry.expect.get(r.seq)!]));
        addSync(syncTick, {
          deviceId,
          schoolId: entry.schoolId,
          batchId: `${deviceId}-${day}-${i / c.batchSize + 1}`,
          records: part,
          expect,
          resend: rng.chance(c.duplicateResend),
        });
      }
    }
    return records;
  };

  const sync = async (batch: PendingBatch) => {
    const token = await deviceToken(batch.deviceId, batch.schoolId);
    const send = () =>
      timed('canteen_batch', () =>
        http.send(http.api.POST('/v1/canteen/batches', { headers: bearer(token), body: { batchId: batch.batchId, records: batch.records } })),
      );
    const reply = await send();
    batchesSent++;
    recordsSent += batch.records.length;
    if (reply.status !== 200) return;
    for (const result of reply.body.results) {
      const expected = batch.expect.get(result.seq);
      if (!expected) continue;
      recordOutcomes.add(result.outcome);
      if (result.outcome !== expected.want || result.repeated) modelMismatches++;
      if (result.outcome === 'meal_recorded' && !result.repeated) {
        const ref = result.voucherId ? parseVoucherId(result.voucherId) : undefined;
        const pupilId = ref?.program === 'school-meals' ? ref.pupilId : 'unknown';
        const m = monthOf(expected.day);
        const sheet = ((tabel[batch.schoolId] ??= {})[m] ??= {});
        const days = (sheet[pupilId] ??= {});
        days[expected.day] = (days[expected.day] ?? 0) + 1;
        region(expected.run.region, m).mealsServed++;
      }
    }
    if (batch.resend) {
      // The acknowledgement was lost: the device sends the same batch again; nothing changes.
      const again = await send();
      resends++;
      if (again.status === 200)
        for (const result of again.body.results) {
          const expected = batch.expect.get(result.seq);
          if (expected && !result.repeated) modelMismatches++;
        }
    }
  };

  const lunchTicks = new Map(schoolDays.map((day) => [ticks.local(day, LUNCH), day]));
  const listTicks = new Map(listPlan.map((month, k) => [ticks.ceil(listInstant(month)), k]));
  const bar = options.progress?.(endTick, `meals ${options.from}+${options.days}d`);
  // The end moves when a list opens cases: the run goes on until each has ended.
  for (let tick = 0; tick <= endTick; tick++) {
    await driver.advanceTo(ticks.at(tick));
    const k = listTicks.get(tick);
    if (k !== undefined) await sendLists(k, tick);
    await gateway(tick);
    const due = agenda.take(tick);
    if (due.length > 0) {
      await runDue(due, concurrency, (a) => act(a, tick));
      await driver.settle();
      // What the replies asked for (a confirmation) goes out at once when the window allows.
      await gateway(tick);
    }
    const syncs = pendingSync.get(tick);
    if (syncs) {
      pendingSync.delete(tick);
      // One device's batches in order; devices side by side.
      const byDevice = new Map<string, PendingBatch[]>();
      for (const b of syncs) {
        let list = byDevice.get(b.deviceId);
        if (!list) byDevice.set(b.deviceId, (list = []));
        list.push(b);
      }
      await pool([...byDevice.values()], concurrency, async (batches) => {
        for (const b of batches) await sync(b);
      });
      const day = [...lunchTicks.entries()]
        .filter(([t]) => t < tick)
        .map(([, d]) => d)
        .at(-1);
      if (day) options.onSchoolDay?.(day, 'end', 0);
    }
    const day = lunchTicks.get(tick);
    if (day) await lunch(day, tick);
    bar?.update(tick, localDate(ticks.at(tick)));
  }
  await driver.settle();
  bar?.finish();

  // A case times out once the clock passed its timeout: at the run's last tick at the latest.
  const timedOut = (attempt: Attempt) => ticks.ceil(attempt.timeoutAt) <= endTick;
  for (const run of runs)
    for (const attempt of run.attempts) {
      const reason = returnReasonOf(attempt, timedOut);
      if (reason) attempt.row.returnReason = reason;
      // The case times out at its instant, whenever the scheduler gets to it.
      if (reason === 'consent_timed_out') nobd(run.caseSchool!, attempt.timeoutAt).consentTimedOut++;
    }
  for (const [schoolId, months] of Object.entries(tabel))
    for (const pupils of Object.values(months))
      for (const days of Object.values(pupils)) for (const [day, meals] of Object.entries(days)) nobd(schoolId, instantAt(day, LUNCH)).mealsProvided += meals;
  const days: LocalDate[] = [];
  for (let day = localDate(ticks.at(0)); day <= localDate(ticks.at(endTick)); day = addDays(day, 1)) days.push(day);
  countCases(runs, region, timedOut);
  const suspendedPupils: MealsTruth['suspendedPupils'] = {};
  for (const run of runs) {
    const ref = run.voucherId ? parseVoucherId(run.voucherId) : undefined;
    if (ref?.program !== 'school-meals') continue;
    for (const month of run.suspended) ((suspendedPupils[run.schoolId] ??= {})[month] ??= []).push(ref.pupilId);
  }
  return {
    from: options.from,
    dayCount: options.days,
    days,
    schoolDays,
    listRows,
    accepted,
    rejectedByReason: rejectedByReason.sorted(),
    unexpectedRowOutcomes,
    listRowsTruth: rowsOfLists
      .map(({ listId, rowNo, returnReason }) => ({ listId, rowNo, ...(returnReason ? { returnReason } : {}) }))
      .sort((a, b) => a.listId.localeCompare(b.listId) || a.rowNo - b.rowNo),
    months: monthsTruth,
    byRegionMonth,
    tabel,
    suspendedPupils,
    nobdDaily,
    recordOutcomes: recordOutcomes.sorted(),
    recordsSent,
    batches: batchesSent,
    resends,
    offlineDeviceDays,
    modelMismatches,
    smsByKind: smsByKind.sorted(),
    replies: replies.sorted(),
    quietHours: { ...quiet },
    requests: log.requests,
    refusals: log.refusals.sorted(),
    latencies: log.summaries(),
  };
}
