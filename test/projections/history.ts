/**
 * A seeded, catalogue-consistent event history across both programs, for the rebuild-equals-live
 * tests and the projection bench. It follows the rules the deciders enforce (a voucher is issued
 * after consent, activated before use, holds settle once, capture ≤ hold, lapses take what is
 * left, one meal per pupil per school day, (device, seq) unique), so the read models see what
 * production would write. Generated cohort by cohort (one eligibility list each) and yielded as
 * it goes: a million events never sit in memory at once.
 */
import type { NewEvent } from '../../adapters/eventstore/port';
import type { Allocation, BasketLine, LedgerEvent, ListRowRejected, ProgramCode, SmsKind } from '../../domain/events';
import { streams } from '../../domain/events';
import { addDays, instantAt, isWeekend, lastDayOfMonth, addMonths, type Month } from '../../domain/shared/calendar';
import { nameUuid } from '../../domain/shared/ids';
import { SCHOOL_MEALS } from '../../domain/programs/school-meals';
import { FOOD_VOUCHERS, memberVoucherTiyn } from '../../domain/programs/food-vouchers';
import { FOOD_CATEGORIES, SAMPLE_CATALOGUE } from '../../domain/programs/food-list';

export interface HistoryOptions {
  readonly seed: number;
  /** Pupils in the school-meals program (one consent case each). */
  readonly pupils: number;
  /** Family-months in the food-voucher program (one consent case each). */
  readonly familyMonths: number;
  /** At most this many school days with a meal per pupil (meals dominate the volume). */
  readonly mealDaysPerPupil?: number;
  /** Entities per eligibility list. */
  readonly cohortSize?: number;
}

export interface HistoryItem {
  readonly stream: string;
  readonly event: NewEvent;
}

const DEFAULT_MEAL_DAYS = 20;
const DEFAULT_COHORT = 50;
const SCHOOL_YEAR = '2025-2026';
const MEAL_MONTHS: readonly Month[] = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03', '2026-04'];
const REGIONS = ['akmola', 'pavlodar', 'astana', 'almaty'] as const;
const PUPILS_PER_SCHOOL = 400;
const SHOPS_PER_CITY = 5;
const MEALS_REJECT_REASONS: ListRowRejected['data']['reason'][] = [
  'invalid_iin',
  'duplicate_row',
  'not_approved_by_head',
  'failed_sdu_reconciliation',
  'not_eligible_category',
];
const FOOD_REJECT_REASONS: ListRowRejected['data']['reason'][] = ['invalid_iin', 'not_in_pilot_city', 'not_on_asp_at_month_end', 'already_covered'];
const SKUS = Object.keys(SAMPLE_CATALOGUE);
const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Timed extends HistoryItem {
  readonly time: number;
  readonly order: number;
}

class Cohort {
  readonly items: Timed[] = [];
  constructor(private readonly gen: GenState) {}
  add(stream: string, event: LedgerEvent, time: number, program: ProgramCode, familyId?: string): void {
    const n = this.gen.counter++;
    const at = new Date(time).toISOString();
    this.items.push({
      stream,
      time,
      order: n,
      event: {
        id: nameUuid(`history-${this.gen.seed}-${n}`),
        type: event.type,
        data: event.data,
        metadata: {
          commandId: `cmd-${this.gen.seed}-${n}`,
          correlationId: `corr-${this.gen.seed}-${n}`,
          causationId: `cmd-${this.gen.seed}-${n}`,
          actor: { role: 'system', id: 'history' },
          recordedAt: at,
          program,
          ...(familyId ? { familyId } : {}),
        },
      },
    });
  }
  sorted(): Timed[] {
    return this.items.sort((a, b) => a.time - b.time || a.order - b.order);
  }
}

interface GenState {
  readonly seed: number;
  counter: number;
  readonly rand: () => number;
  readonly deviceSeq: Map<string, number>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => Date.parse(instant);
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

export function* generateHistory(options: HistoryOptions): Generator<HistoryItem> {
  const gen: GenState = { seed: options.seed, counter: 0, rand: prng(options.seed), deviceSeq: new Map() };
  const size = options.cohortSize ?? DEFAULT_COHORT;
  const mealCohorts = Math.ceil(options.pupils / size);
  const foodCohorts = Math.ceil(options.familyMonths / size);
  let pupilsLeft = options.pupils;
  let familiesLeft = options.familyMonths;
  for (let c = 0; c < mealCohorts + foodCohorts; c++) {
    // Interleave the programs in proportion to their cohort counts.
    const meals = familiesLeft <= 0 || (pupilsLeft > 0 && gen.rand() * (pupilsLeft + familiesLeft) < pupilsLeft);
    const cohort = new Cohort(gen);
    if (meals) {
      const n = Math.min(size, pupilsLeft);
      pupilsLeft -= n;
      mealsCohort(gen, cohort, c, n, options.mealDaysPerPupil ?? DEFAULT_MEAL_DAYS);
    } else {
      const n = Math.min(size, familiesLeft);
      familiesLeft -= n;
      foodCohort(gen, cohort, c, n);
    }
    for (const item of cohort.sorted()) yield { stream: item.stream, event: item.event };
  }
}

// ── consent, shared by both programs ─────────────────────────────────────────────────────
type ConsentResult = { kind: 'consented'; at: number } | { kind: 'ended' };

function consent(
  gen: GenState,
  cohort: Cohort,
  stream: string,
  caseId: string,
  program: ProgramCode,
  familyId: string,
  recipient: string,
  opened: number,
  replyDays: number,
  timeoutAt: number,
): ConsentResult {
  const { rand } = gen;
  if (rand() < 0.08) {
    cohort.add(stream, { type: 'ConsentPhoneNotFound', data: { caseId } }, opened + MINUTE, program, familyId);
    return { kind: 'ended' };
  }
  let message = 0;
  const sms = (kind: SmsKind, at: number) => {
    const messageId = `${caseId}-m${message++}`;
    cohort.add(
      stream,
      { type: 'SmsRequested', data: { caseId, messageId, kind, recipientPersonId: recipient, role: 'mother', text: kind } },
      at,
      program,
      familyId,
    );
    cohort.add(
      stream,
      { type: 'SmsSent', data: { caseId, messageId, sentAt: iso(at + MINUTE), gatewayRef: `gw-${messageId}` } },
      at + MINUTE,
      program,
      familyId,
    );
  };
  const deadline = (kind: 'consent_reminder' | 'consent_timeout', due: number, fired: boolean, scheduledAt: number) => {
    const deadlineId = `${caseId}-${kind}`;
    cohort.add(stream, { type: 'DeadlineScheduled', data: { deadlineId, kind, dueAt: iso(due), stream } }, scheduledAt, program, familyId);
    if (fired) cohort.add(stream, { type: 'DeadlineFired', data: { deadlineId, kind, firedAt: iso(due) } }, due, program, familyId);
  };
  const reply = (yes: boolean, at: number): ConsentResult => {
    cohort.add(
      stream,
      { type: 'SmsReplyReceived', data: { caseId, text: yes ? 'yes' : 'no', interpretation: yes ? 'yes' : 'no', receivedAt: iso(at), late: false } },
      at,
      program,
      familyId,
    );
    if (!yes) {
      cohort.add(stream, { type: 'ConsentRefused', data: { caseId, byPersonId: recipient, at: iso(at) } }, at, program, familyId);
      sms('consent_refused_ack', at + 1000);
      return { kind: 'ended' };
    }
    cohort.add(stream, { type: 'ConsentGiven', data: { caseId, byPersonId: recipient, at: iso(at) } }, at, program, familyId);
    sms('consent_confirmed', at + 1000);
    return { kind: 'consented', at: at + 2000 };
  };
  const first = opened + 5 * MINUTE;
  sms('consent_request', first);
  const remindAt = first + replyDays * DAY;
  const r = rand();
  if (r < 0.55) return (deadline('consent_reminder', remindAt, false, first), reply(true, first + int(rand, 1, replyDays * 24 - 1) * HOUR));
  if (r < 0.7) return (deadline('consent_reminder', remindAt, false, first), reply(false, first + int(rand, 1, replyDays * 24 - 1) * HOUR));
  deadline('consent_reminder', remindAt, true, first);
  sms('consent_reminder', remindAt + 1000);
  const s = rand();
  if (s < 0.5) return (deadline('consent_timeout', timeoutAt, false, remindAt), reply(true, remindAt + int(rand, 1, 47) * HOUR));
  if (s < 0.6) return (deadline('consent_timeout', timeoutAt, false, remindAt), reply(false, remindAt + int(rand, 1, 47) * HOUR));
  deadline('consent_timeout', timeoutAt, true, remindAt);
  cohort.add(stream, { type: 'ConsentTimedOut', data: { caseId, at: iso(timeoutAt) } }, timeoutAt, program, familyId);
  return { kind: 'ended' };
}

function listEvents(
  cohort: Cohort,
  gen: GenState,
  source: 'sdu' | 'nobd',
  listId: string,
  program: ProgramCode,
  month: Month,
  at: number,
  rows: { familyId: string; personId: string; caseStream: string; schoolId?: string; city?: string }[],
  rejectReasons: ListRowRejected['data']['reason'][],
  schoolId?: string,
): void {
  const stream = streams.list(source, listId);
  const rejected = Math.floor(rows.length * 0.06) + (gen.rand() < 0.5 ? 1 : 0);
  cohort.add(
    stream,
    {
      type: 'EligibilityListReceived',
      data: {
        listId,
        source,
        program,
        month,
        ...(program === 'school-meals' ? { schoolYear: SCHOOL_YEAR } : {}),
        ...(schoolId ? { schoolId } : {}),
        rowCount: rows.length + rejected,
        contentHash: `hash-${listId}`,
        receivedAt: iso(at),
      },
    },
    at,
    program,
  );
  let rowNo = 1;
  for (const row of rows) {
    cohort.add(stream, { type: 'ListRowAccepted', data: { listId, rowNo: rowNo++, ...row } }, at, program, row.familyId);
  }
  for (let i = 0; i < rejected; i++) {
    const familyId = `${listId}-rej-${i}`;
    cohort.add(
      stream,
      {
        type: 'ListRowRejected',
        data: {
          listId,
          rowNo: rowNo++,
          reason: pick(gen.rand, rejectReasons),
          detail: 'generated',
          familyId,
          personId: `${familyId}-p`,
          // Some NOBD rows omit the school: the list's school applies.
          ...(schoolId && gen.rand() < 0.5 ? { schoolId } : {}),
          returnTo: source,
        },
      },
      at,
      program,
      familyId,
    );
  }
  cohort.add(stream, { type: 'EligibilityListProcessed', data: { listId, accepted: rows.length, rejected } }, at + 1000, program);
}

// ── school meals ─────────────────────────────────────────────────────────────────────────
function mealsCohort(gen: GenState, cohort: Cohort, c: number, n: number, mealDays: number): void {
  const { rand } = gen;
  const month = pick(rand, MEAL_MONTHS);
  const schoolNo = int(rand, 0, Math.max(0, Math.floor((n * 1000) / PUPILS_PER_SCHOOL)));
  const schoolId = `school-${schoolNo}`;
  const region = REGIONS[schoolNo % REGIONS.length]!;
  const deviceId = `dev-${schoolId}`;
  const listId = `nobd-${gen.seed}-${c}`;
  const listAt = ms(instantAt(`${month}-0${int(rand, 1, 4)}`, '09:00'));
  const pupils = Array.from({ length: n }, (_, i) => {
    const pupilId = `pupil-${gen.seed}-${c}-${i}`;
    return { pupilId, familyId: `fam-m-${gen.seed}-${c}-${i}`, grade: int(rand, 1, 11) };
  });
  listEvents(
    cohort,
    gen,
    'nobd',
    listId,
    'school-meals',
    month,
    listAt,
    pupils.map((p) => ({ familyId: p.familyId, personId: p.pupilId, caseStream: streams.consentMeals(p.pupilId, SCHOOL_YEAR), schoolId })),
    MEALS_REJECT_REASONS,
    schoolId,
  );
  for (const p of pupils) {
    const stream = streams.consentMeals(p.pupilId, SCHOOL_YEAR);
    const caseId = `case-${p.pupilId}`;
    const opened = listAt + int(rand, 1, 120) * MINUTE;
    cohort.add(
      stream,
      {
        type: 'ConsentCaseOpened',
        data: {
          caseId,
          program: 'school-meals',
          familyId: p.familyId,
          listId,
          rowNo: 0,
          openedAt: iso(opened),
          subject: { kind: 'pupil', pupilId: p.pupilId, schoolId, grade: p.grade, category: 'asp_family', schoolYear: SCHOOL_YEAR, region },
          representatives: [{ personId: `${p.familyId}-mother`, role: 'mother', hasPhone: true }],
        },
      },
      opened,
      'school-meals',
      p.familyId,
    );
    let issueAt: number;
    let viaConsent = true;
    if (SCHOOL_MEALS.consentSkippedForGrades.includes(p.grade)) {
      cohort.add(stream, { type: 'ConsentNotRequired', data: { caseId, reason: 'primary_grade' } }, opened + MINUTE, 'school-meals', p.familyId);
      issueAt = opened + 2 * MINUTE;
      viaConsent = false;
    } else {
      const timeoutAt = opened + (SCHOOL_MEALS.replyWindowDays + SCHOOL_MEALS.reminderWindowDays) * DAY + 5 * MINUTE;
      const result = consent(gen, cohort, stream, caseId, 'school-meals', p.familyId, `${p.familyId}-mother`, opened, SCHOOL_MEALS.replyWindowDays, timeoutAt);
      if (result.kind === 'ended') continue;
      issueAt = result.at;
    }
    mealVoucher(gen, cohort, p, schoolId, region, deviceId, caseId, issueAt, viaConsent, mealDays);
  }
}

function mealVoucher(
  gen: GenState,
  cohort: Cohort,
  p: { pupilId: string; familyId: string; grade: number },
  schoolId: string,
  region: string,
  deviceId: string,
  caseId: string,
  issuedAt: number,
  viaConsent: boolean,
  mealDays: number,
): void {
  const { rand } = gen;
  const stream = streams.meals(p.pupilId, SCHOOL_YEAR);
  const voucherId = `mv-${p.pupilId}`;
  const add = (event: LedgerEvent, time: number) => cohort.add(stream, event, time, 'school-meals', p.familyId);
  add(
    {
      type: 'MealVoucherIssued',
      data: {
        voucherId,
        pupilId: p.pupilId,
        familyId: p.familyId,
        schoolId,
        region,
        grade: p.grade,
        category: 'asp_family',
        schoolYear: SCHOOL_YEAR,
        validFrom: '2025-09-01',
        validUntil: '2026-05-31',
        viaConsent,
        caseId,
        issuedAt: iso(issuedAt),
      },
    },
    issuedAt,
  );
  if (rand() < 0.15) return;
  const activatedAt = issuedAt + int(rand, 1, 72) * HOUR;
  add({ type: 'MealVoucherActivated', data: { voucherId, byPersonId: `${p.familyId}-mother`, activatedAt: iso(activatedAt) } }, activatedAt);
  let day = addDays(new Date(activatedAt + 5 * HOUR).toISOString().slice(0, 10), 1);
  for (let served = 0; served < mealDays && day <= '2026-05-31'; day = addDays(day, 1)) {
    if (isWeekend(day) || SCHOOL_MEALS.holidays.includes(day) || rand() < 0.15) continue;
    served++;
    const scannedAt = ms(instantAt(day, `${int(rand, 11, 13)}:${String(int(rand, 0, 59)).padStart(2, '0')}`));
    // Most devices are online; some sync hours or days later (a few after the табель is final).
    const offline = rand();
    const receivedAt = scannedAt + (offline < 0.9 ? int(rand, 1, 30) * 1000 : offline < 0.98 ? int(rand, 1, 30) * HOUR : int(rand, 3, 30) * DAY);
    const seq = (gen.deviceSeq.get(deviceId) ?? 0) + 1;
    gen.deviceSeq.set(deviceId, seq);
    if (rand() < 0.02) {
      add(
        {
          type: 'MealRefused',
          data: {
            voucherId,
            pupilId: p.pupilId,
            schoolId,
            deviceId,
            seq,
            schoolDay: day,
            scannedAt: iso(scannedAt),
            receivedAt: iso(receivedAt),
            method: 'qr',
            code: 'qr_token_expired',
          },
        },
        receivedAt,
      );
      continue;
    }
    add(
      {
        type: 'MealServed',
        data: {
          voucherId,
          pupilId: p.pupilId,
          schoolId,
          deviceId,
          seq,
          schoolDay: day,
          scannedAt: iso(scannedAt),
          receivedAt: iso(receivedAt),
          method: rand() < 0.8 ? 'qr' : 'card',
        },
      },
      receivedAt,
    );
  }
  if (rand() < 0.03) {
    const at = activatedAt + 10 * DAY;
    cohort.add(
      streams.feedback(p.familyId),
      {
        type: 'FeedbackSubmitted',
        data: {
          feedbackId: `fb-${p.pupilId}`,
          familyId: p.familyId,
          program: 'school-meals',
          voucherId,
          kind: 'rating',
          rating: int(rand, 1, 5),
          submittedAt: iso(at),
        },
      },
      at,
      'school-meals',
      p.familyId,
    );
  }
}

// ── food vouchers ────────────────────────────────────────────────────────────────────────
function foodCohort(gen: GenState, cohort: Cohort, c: number, n: number): void {
  const { rand } = gen;
  const months: Month[] = [];
  for (let m = FOOD_VOUCHERS.firstMonth; m <= FOOD_VOUCHERS.lastMonth; m = addMonths(m, 1)) months.push(m);
  const month = pick(rand, months);
  const city = pick(rand, FOOD_VOUCHERS.pilotCities);
  const listId = `sdu-${gen.seed}-${c}`;
  const listAt = ms(instantAt(`${month}-0${FOOD_VOUCHERS.listDueDay}`, '09:00'));
  const families = Array.from({ length: n }, (_, i) => {
    const familyId = `fam-f-${gen.seed}-${c}-${i}`;
    return { familyId, members: Array.from({ length: int(rand, 1, 5) }, (_, j) => `${familyId}-p${j}`) };
  });
  listEvents(
    cohort,
    gen,
    'sdu',
    listId,
    'food-vouchers',
    month,
    listAt,
    families.map((f) => ({ familyId: f.familyId, personId: f.members[0]!, caseStream: streams.consentFood(f.familyId, month), city: city.code })),
    FOOD_REJECT_REASONS,
  );
  const monthEnd = ms(instantAt(addDays(lastDayOfMonth(month), 1)));
  for (const f of families) {
    const stream = streams.consentFood(f.familyId, month);
    const caseId = `case-${f.familyId}-${month}`;
    const opened = ms(instantAt(`${month}-0${FOOD_VOUCHERS.smsDay}`, '10:00')) + int(rand, 0, 300) * MINUTE;
    cohort.add(
      stream,
      {
        type: 'ConsentCaseOpened',
        data: {
          caseId,
          program: 'food-vouchers',
          familyId: f.familyId,
          listId,
          rowNo: 0,
          openedAt: iso(opened),
          subject: { kind: 'family', month, city: city.code, region: city.region, members: f.members },
          representatives: [{ personId: f.members[0]!, role: 'mother', hasPhone: true }],
        },
      },
      opened,
      'food-vouchers',
      f.familyId,
    );
    const result = consent(gen, cohort, stream, caseId, 'food-vouchers', f.familyId, f.members[0]!, opened, FOOD_VOUCHERS.reminderAfterDays, monthEnd - MINUTE);
    if (result.kind === 'ended') continue;
    wallet(gen, cohort, f, month, city, caseId, result.at, monthEnd);
  }
}

function wallet(
  gen: GenState,
  cohort: Cohort,
  f: { familyId: string; members: string[] },
  month: Month,
  city: { code: string; region: string },
  caseId: string,
  issuedAt: number,
  monthEnd: number,
): void {
  const { rand } = gen;
  const stream = streams.food(f.familyId, month);
  const add = (event: LedgerEvent, time: number, s = stream) => cohort.add(s, event, time, 'food-vouchers', f.familyId);
  const amount = memberVoucherTiyn(month);
  const vouchers = f.members.map((m, j) => ({ voucherId: `fv-${f.familyId}-${month}-${j}`, memberPersonId: m, amountTiyn: amount }));
  add(
    {
      type: 'FoodVouchersIssued',
      data: {
        familyId: f.familyId,
        month,
        city: city.code,
        region: city.region,
        mrpTiyn: amount,
        vouchers,
        totalTiyn: amount * vouchers.length,
        activationUntil: lastDayOfMonth(month),
        caseId,
        issuedAt: iso(issuedAt),
      },
    },
    issuedAt,
  );
  const deadlineId = `${f.familyId}-${month}-end`;
  add({ type: 'DeadlineScheduled', data: { deadlineId, kind: 'food_month_end', dueAt: iso(monthEnd), stream } }, issuedAt + 1);
  const available = new Map<string, number>();
  let t = issuedAt;
  for (const v of vouchers) {
    if (rand() < 0.2) continue;
    t = Math.min(t + int(rand, 1, 24) * HOUR, monthEnd - HOUR);
    add({ type: 'FoodVoucherActivated', data: { voucherId: v.voucherId, byPersonId: v.memberPersonId, activatedAt: iso(t) } }, t);
    available.set(v.voucherId, v.amountTiyn);
  }
  const purchases = available.size ? int(rand, 0, 4) : 0;
  for (let k = 0; k < purchases; k++) {
    t = t + int(rand, 1, 48) * HOUR;
    if (t > monthEnd - 2 * HOUR) break;
    t = purchase(gen, add, f.familyId, month, stream, city.code, k, t, available);
  }
  const lapses = vouchers.map((v) => {
    const left = available.get(v.voucherId);
    return { voucherId: v.voucherId, notActivatedTiyn: left === undefined ? v.amountTiyn : 0, unspentTiyn: left ?? 0 };
  });
  add({ type: 'DeadlineFired', data: { deadlineId, kind: 'food_month_end', firedAt: iso(monthEnd) } }, monthEnd);
  add(
    {
      type: 'FoodVouchersLapsed',
      data: { familyId: f.familyId, month, lapses, totalTiyn: lapses.reduce((s, l) => s + l.notActivatedTiyn + l.unspentTiyn, 0), at: iso(monthEnd) },
    },
    monthEnd,
  );
}

function basket(rand: () => number): BasketLine[] {
  const lines: BasketLine[] = [];
  for (let i = int(rand, 1, 4); i > 0; i--) {
    const sku = pick(rand, SKUS);
    const category = SAMPLE_CATALOGUE[sku]!;
    const unit = FOOD_CATEGORIES.find((c) => c.id === category)!.unit;
    const quantity = unit === 'pcs' ? int(rand, 1, 10) : int(rand, 1, 5) * 500;
    const unitPriceTiyn = unit === 'pcs' ? int(rand, 50, 400) * 100 : int(rand, 10, 120);
    lines.push({ sku, name: category, category, quantity, unit, unitPriceTiyn, lineTiyn: quantity * unitPriceTiyn, eligible: true });
  }
  if (rand() < 0.3) lines.push({ sku: '4870000000001', name: 'soda', quantity: 1, unit: 'pcs', unitPriceTiyn: 45_000, lineTiyn: 45_000, eligible: false });
  return lines;
}

function purchase(
  gen: GenState,
  add: (event: LedgerEvent, time: number, stream?: string) => void,
  familyId: string,
  month: Month,
  stream: string,
  city: string,
  k: number,
  at: number,
  available: Map<string, number>,
): number {
  const { rand } = gen;
  const shopId = `shop-${city}-${int(rand, 1, SHOPS_PER_CITY)}`;
  const holdId = `hold-${familyId}-${month}-${k}`;
  const lines = basket(rand);
  const basketTiyn = lines.reduce((s, l) => s + l.lineTiyn, 0);
  const eligibleTiyn = lines.filter((l) => l.eligible).reduce((s, l) => s + l.lineTiyn, 0);
  const total = [...available.values()].reduce((s, a) => s + a, 0);
  const heldTiyn = Math.min(eligibleTiyn, total);
  if (heldTiyn === 0) return at;
  const allocations: Allocation[] = [];
  let need = heldTiyn;
  for (const [voucherId, left] of available) {
    const take = Math.min(left, need);
    if (take === 0) continue;
    allocations.push({ voucherId, amountTiyn: take });
    available.set(voucherId, left - take);
    need -= take;
  }
  const expiresAt = at + FOOD_VOUCHERS.holdTtlSeconds * 1000;
  add(
    {
      type: 'FoodPurchaseAuthorized',
      data: { holdId, shopId, lines, basketTiyn, eligibleTiyn, heldTiyn, allocations, expiresAt: iso(expiresAt), authorizedAt: iso(at) },
    },
    at,
  );
  add({ type: 'FoodHoldRegistered', data: { holdId, shopId, familyId, month, stream, at: iso(at) } }, at, streams.foodHold(shopId, holdId));
  const release = (parts: readonly Allocation[]) => {
    for (const a of parts) available.set(a.voucherId, available.get(a.voucherId)! + a.amountTiyn);
  };
  const r = rand();
  if (r < 0.75) {
    const capturedTiyn = rand() < 0.8 ? heldTiyn : heldTiyn - int(rand, 0, Math.floor(heldTiyn / 4));
    const captured: Allocation[] = [];
    const back: Allocation[] = [];
    let left = capturedTiyn;
    for (const a of allocations) {
      const take = Math.min(a.amountTiyn, left);
      left -= take;
      if (take > 0) captured.push({ voucherId: a.voucherId, amountTiyn: take });
      if (a.amountTiyn > take) back.push({ voucherId: a.voucherId, amountTiyn: a.amountTiyn - take });
    }
    release(back);
    const when = at + int(rand, 1, 10) * MINUTE;
    add(
      {
        type: 'FoodPurchaseCaptured',
        data: {
          holdId,
          shopId,
          lines,
          capturedTiyn,
          releasedTiyn: heldTiyn - capturedTiyn,
          allocations: captured,
          paymentStatus: 'paid',
          capturedAt: iso(when),
        },
      },
      when,
    );
    return when;
  }
  release(allocations);
  if (r < 0.85) {
    const when = at + int(rand, 1, 10) * MINUTE;
    add({ type: 'FoodPurchaseVoided', data: { holdId, shopId, releasedTiyn: heldTiyn, reason: 'shop_voided', at: iso(when) } }, when);
    return when;
  }
  add({ type: 'FoodHoldExpired', data: { holdId, shopId, releasedTiyn: heldTiyn, at: iso(expiresAt) } }, expiresAt);
  return expiresAt;
}
