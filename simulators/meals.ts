/**
 * School meals through the API, on the virtual clock (seeds 000/001/002):
 *   from − 7 days, 09:00  NOBD uploads each school's list → per-row outcomes
 *   then                   primary grades get a voucher without SMS; the others' parents get the SMS
 *                          (mother → father → guardian), answer 3#1 / 3#2 / nothing / garbage,
 *                          reminders after 3 days, timeouts 3 days later; parents activate
 *   each school day        pupils with an active voucher come to lunch (attendance); the canteen
 *                          device reads a dynamic QR (the parent issued it a moment before) or the
 *                          ID card, stores records offline and syncs them in batches an hour later —
 *                          or the next morning when the device was offline; some batches are resent,
 *                          some pupils are scanned twice the same day
 * Truth is each record's outcome as the API answered it; check.ts compares it with the табель
 * and the pilot outcomes.
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
  /** Called around each school day's canteen traffic (the bench times a day). */
  readonly onSchoolDay?: (day: LocalDate, phase: 'start' | 'end', records: number) => void;
}

export interface MealsRegionTruth extends FunnelTruth {
  notRequired: number;
  mealsServed: number;
}

export interface MealsTruth {
  readonly from: LocalDate;
  readonly days: number;
  readonly schoolDays: readonly LocalDate[];
  readonly listRows: number;
  readonly accepted: number;
  readonly rejectedByReason: Record<string, number>;
  readonly unexpectedRowOutcomes: number;
  /** Every row of every list and the reason it must come back in the returns with (none: it ended with a voucher). */
  readonly listRowsTruth: readonly { listId: string; rowNo: number; returnReason?: string }[];
  readonly byRegionMonth: Record<string, MealsRegionTruth>;
  /** schoolId → month → pupilId → day → meals recorded. */
  readonly tabel: Record<string, Record<string, Record<string, Record<string, number>>>>;
  readonly recordOutcomes: Record<string, number>;
  readonly recordsSent: number;
  readonly batches: number;
  readonly resends: number;
  readonly offlineDeviceDays: number;
  readonly modelMismatches: number;
  readonly smsByKind: Record<string, number>;
  readonly replies: Record<string, number>;
  readonly requests: number;
  readonly refusals: Record<string, number>;
  readonly latencies: Record<string, ReturnType<Latencies['summary']>>;
}

type Answer = 'yes' | 'no' | 'never' | 'garbage';

interface PupilRun {
  readonly pupil: Pupil;
  readonly rng: Rng;
  readonly answer: Answer;
  readonly region: string;
  accepted: boolean;
  /** Whom the SMS reached (phone without +), and as whom the parent logs in. */
  smsPhone?: string;
  parent: Representative;
  parentPersonId: string;
  sawRequest: boolean;
  sawReminder: boolean;
  outcome?: 'consent_given' | 'consent_refused';
  voucherId?: string;
  /** Local month the voucher was issued in (the pilot outcomes count it there). */
  voucherMonth?: string;
  active: boolean;
  activationPlanned: boolean;
}

type Action = { readonly kind: 'reply'; readonly run: PupilRun; readonly text: string } | { readonly kind: 'activate'; readonly run: PupilRun };

interface PendingBatch {
  readonly deviceId: string;
  readonly schoolId: string;
  readonly batchId: string;
  readonly records: { seq: number; token?: string; cardIin?: string; scannedAt: string }[];
  /** What the simulator expects per seq: the pupil and whether it is the day's first meal. */
  readonly expect: Map<number, { run: PupilRun; first: boolean; day: LocalDate }>;
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

export async function simulateMeals(driver: Driver, population: Population, options: MealsRunOptions): Promise<MealsTruth> {
  const { behaviour } = options;
  const concurrency = options.concurrency ?? 32;
  const rng = createRng(`${options.seed}/meals/${options.from}`);
  const listDay = addDays(options.from, -7);
  const month = monthOf(options.from);
  const schoolYear = schoolYearOf(options.from);
  if (!schoolYear) throw new Error(`${options.from} is in the summer break`);
  const ticks = new Ticks(instantAt(listDay, '09:00'), options.tickMinutes ?? 60);
  const lastDay = addDays(options.from, options.days - 1);
  const endTick = ticks.ceil(instantAt(addDays(lastDay, 1), '10:00'));
  const schoolDays = schoolDaysOf(options.from, options.days);
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
  const byRegionMonth: Record<string, MealsRegionTruth> = {};
  /** Cases count in the local month they were opened: the list's upload day. */
  const caseMonth = monthOf(listDay);
  const region = (r: string, m = caseMonth) => (byRegionMonth[`${r}|${m}`] ??= newRegion());
  const tabel: MealsTruth['tabel'] = {};
  const http = driver.http;

  const timed: RequestLog['timed'] = (op, call) => log.timed(op, call);

  const schools = new Map(population.schools.map((s) => [s.schoolId, s]));
  const runs: PupilRun[] = population.pupils.map((pupil) => {
    const r = rng.fork(pupil.person.iin);
    // The parent who acts in the wallet: the first representative by priority who has a phone, else the first.
    const parent = [...pupil.representatives].sort((a, b) => SCHOOL_MEALS.recipientPriority.indexOf(a.role) - SCHOOL_MEALS.recipientPriority.indexOf(b.role));
    const withPhone = parent.find((p) => population.phones.has(p.iin));
    const acting = withPhone ?? parent[0]!;
    return {
      pupil,
      rng: r,
      answer: r.weighted(behaviour.consent.answers),
      region: schools.get(pupil.schoolId)!.region,
      accepted: false,
      parent: acting,
      parentPersonId: driver.personId(acting.iin),
      sawRequest: false,
      sawReminder: false,
      active: false,
      activationPlanned: false,
    };
  });
  const byPhone = new Map<string, PupilRun>();
  for (const run of runs)
    for (const rep of run.pupil.representatives) {
      const phone = population.phones.get(rep.iin);
      if (phone) byPhone.set(phone.replace(/^\+/, ''), run);
    }
  await driver.loadPhones([...population.phones.entries()]);

  const citizenToken = (run: PupilRun) =>
    driver.token({ role: 'citizen', sub: `citizen-${run.pupil.familyId}`, familyId: run.pupil.familyId, personId: run.parentPersonId });
  const deviceToken = (deviceId: string, schoolId: string) => driver.token({ role: 'canteen-device', sub: deviceId, deviceId, schoolId });
  // The operator onboards every school and canteen device through the registry's door first.
  await onboard(registryCallOver(http, await driver.token(SIMULATION_OPERATOR)), {
    schools: population.schools.map((school) => ({ schoolId: school.schoolId, region: school.region, city: school.city })),
    devices: population.schools.flatMap((school) => school.deviceIds.map((deviceId) => ({ deviceId, schoolId: school.schoolId }))),
  });

  // ── lists: one per school ──────────────────────────────────────────────────────────────
  await driver.advanceTo(ticks.at(0));
  const nobdToken = await driver.token({ role: 'nobd', sub: 'nobd-simulator' });
  const bySchool = new Map<string, PupilRun[]>();
  for (const run of runs) {
    let list = bySchool.get(run.pupil.schoolId);
    if (!list) bySchool.set(run.pupil.schoolId, (list = []));
    list.push(run);
  }
  const rejectedByReason = new Tally();
  let accepted = 0;
  let listRows = 0;
  const rowsOfLists: { listId: string; rowNo: number; run: PupilRun; outcome: string }[] = [];
  await pool([...bySchool.entries()], Math.min(4, concurrency), async ([schoolId, pupils]) => {
    const school = schools.get(schoolId)!;
    const rows = pupils.map(({ pupil: p }) => ({
      familyId: p.familyId,
      pupil: { iin: p.defect === 'invalid_iin' ? spoilIin(p.person.iin) : p.person.iin, fullName: p.person.fullName },
      schoolId,
      grade: p.grade,
      category: p.category,
      approvedByHead: p.defect !== 'not_approved_by_head',
      ...(p.defect === 'failed_sdu_reconciliation' ? { reconciliation: { ok: false, reason: 'not found in the Digital Family Map' } } : {}),
      representatives: p.representatives.map((r) => ({ iin: r.iin, fullName: r.fullName, role: r.role })),
    }));
    listRows += rows.length;
    const listId = `nobd-${schoolId}-${month}-sim`;
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
      if (outcome.outcome !== (run.pupil.defect ?? 'row_accepted')) unexpectedRowOutcomes++;
      rowsOfLists.push({ listId, rowNo: outcome.rowNo, run, outcome: outcome.outcome });
      if (outcome.outcome === 'row_accepted') {
        accepted++;
        run.accepted = true;
        region(run.region).eligible++;
      } else rejectedByReason.add(outcome.outcome);
    }
  });
  await driver.settle();

  // Primary grades: voucher without SMS; the parent activates after a delay.
  const planActivation = (run: PupilRun, tick: number) => {
    if (run.activationPlanned) return;
    run.activationPlanned = true;
    if (run.rng.chance(behaviour.activation.never)) return;
    const delay = Math.max(1, Math.ceil((run.rng.exponential(behaviour.activation.delayMeanHours) * 60) / ticks.tickMinutes));
    agenda.add(tick + delay, { kind: 'activate', run });
  };
  for (const run of runs)
    if (run.accepted && SCHOOL_MEALS.consentSkippedForGrades.includes(run.pupil.grade)) {
      region(run.region).notRequired++;
      run.voucherMonth = caseMonth;
      planActivation(run, 0);
    }

  const scheduleReply = (run: PupilRun, tick: number, kind: string) => {
    const c = behaviour.consent;
    const delay = () => Math.max(1, Math.ceil(run.rng.exponential(c.replyDelayMeanHours / 2) * (60 / ticks.tickMinutes)));
    if (kind === 'consent_reminder') {
      if (run.answer === 'never' && run.rng.chance(c.answerAfterReminder))
        agenda.add(tick + delay(), { kind: 'reply', run, text: SCHOOL_MEALS.replyCodes.yes });
      return;
    }
    const d = delay();
    if (d > Math.ceil((c.replyDelayMaxHours * 60) / ticks.tickMinutes)) return;
    if (run.answer === 'yes') agenda.add(tick + d, { kind: 'reply', run, text: SCHOOL_MEALS.replyCodes.yes });
    else if (run.answer === 'no') agenda.add(tick + d, { kind: 'reply', run, text: SCHOOL_MEALS.replyCodes.no });
    else if (run.answer === 'garbage') {
      agenda.add(tick + d, { kind: 'reply', run, text: run.rng.pick(GARBAGE) });
      if (run.rng.chance(c.garbageThenYes)) agenda.add(tick + d + delay(), { kind: 'reply', run, text: SCHOOL_MEALS.replyCodes.yes });
    }
  };

  const gatewayToken = await driver.token({ role: 'sms-gateway', sub: 'sms-gateway-sim' });
  const reported = new Set<string>();
  const failedOnce = new Set<string>();
  const gateway = async (tick: number) => {
    const at = ticks.at(tick);
    for (let round = 0; round < 1_000; round++) {
      const pulled = await timed('sms_pull', () =>
        http.send(http.api.GET('/v1/sms/outbound', { params: { query: { limit: 500 } }, headers: bearer(gatewayToken) })),
      );
      const fresh = pulled.body.messages.filter((m) => !reported.has(m.messageId));
      if (fresh.length === 0) return;
      await pool(fresh, concurrency, async (m) => {
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
        const phone = m.phone.replace(/^\+/, '');
        const run = byPhone.get(phone);
        if (!run) return;
        if (m.kind === 'consent_request' && !run.sawRequest) {
          run.sawRequest = true;
          run.smsPhone = phone;
          region(run.region).smsSent++;
          scheduleReply(run, tick, m.kind);
        } else if (m.kind === 'consent_reminder' && !run.sawReminder) {
          run.sawReminder = true;
          region(run.region).reminded++;
          scheduleReply(run, tick, m.kind);
        }
      });
      await driver.settle();
    }
  };

  const act = async (action: Action, tick: number) => {
    const run = action.run;
    if (action.kind === 'reply') {
      if (!run.smsPhone) return;
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
      if (outcome === 'consent_given' && !run.outcome) {
        run.outcome = 'consent_given';
        region(run.region).consented++;
        run.voucherMonth = monthOf(localDate(ticks.at(tick)));
        planActivation(run, tick);
      } else if (outcome === 'consent_refused' && !run.outcome) {
        run.outcome = 'consent_refused';
        region(run.region).refused++;
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
      region(run.region, run.voucherMonth).activated++;
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
    const eating = runs.filter((r) => r.active && r.voucherId && isMealDay(day, r.pupil.grade, SCHOOL_MEALS) && r.rng.chance(c.attendance));
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
      const school = schools.get(run.pupil.schoolId)!;
      let entry = perDevice.get(deviceId);
      if (!entry) perDevice.set(deviceId, (entry = { schoolId: school.schoolId, records: [], expect: new Map() }));
      const seq = (seqOf.get(deviceId) ?? 0) + 1;
      seqOf.set(deviceId, seq);
      const token = first ? tokens.get(run) : undefined;
      entry.records.push({ seq, ...(token ? { token } : { cardIin: run.pupil.person.iin }), scannedAt: addSeconds(lunchAt, offsetSeconds) });
      entry.expect.set(seq, { run, first, day });
    };
    for (const run of eating) {
      // A second scan happens in the same canteen queue, so at the same device, later.
      const deviceIds = schools.get(run.pupil.schoolId)!.deviceIds;
      const deviceId = deviceIds[run.rng.int(0, deviceIds.length - 1)]!;
      record(run, true, run.rng.int(1, 50), deviceId);
      if (run.rng.chance(c.secondScan)) record(run, false, 55 + run.rng.int(0, 600), deviceId);
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
      const want = expected.first ? 'meal_recorded' : 'meal_already_recorded_today';
      if (result.outcome !== want || result.repeated) modelMismatches++;
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
  const bar = options.progress?.(endTick, `meals ${options.from}+${options.days}d`);
  for (let tick = 0; tick <= endTick; tick++) {
    await driver.advanceTo(ticks.at(tick));
    await gateway(tick);
    const due = agenda.take(tick);
    if (due.length > 0) {
      await runDue(due, concurrency, (a) => act(a, tick));
      await driver.settle();
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

  const listRowsTruth = rowsOfLists.map(({ listId, rowNo, run, outcome }) => {
    const primary = SCHOOL_MEALS.consentSkippedForGrades.includes(run.pupil.grade);
    const reason =
      outcome !== 'row_accepted'
        ? outcome
        : primary
          ? undefined
          : !run.sawRequest
            ? 'no_phone'
            : run.outcome === 'consent_refused'
              ? 'consent_refused'
              : !run.outcome
                ? 'consent_timed_out'
                : undefined;
    return { listId, rowNo, ...(reason ? { returnReason: reason } : {}) };
  });
  for (const run of runs) {
    if (!run.accepted) continue;
    const r = region(run.region);
    const primary = SCHOOL_MEALS.consentSkippedForGrades.includes(run.pupil.grade);
    if (!primary && !run.sawRequest) r.noPhone++;
    else if (!primary && !run.outcome) r.timedOut++;
    if (run.voucherMonth) region(run.region, run.voucherMonth).issued++;
  }
  return {
    from: options.from,
    days: options.days,
    schoolDays,
    listRows,
    accepted,
    rejectedByReason: rejectedByReason.sorted(),
    unexpectedRowOutcomes,
    listRowsTruth,
    byRegionMonth,
    tabel,
    recordOutcomes: recordOutcomes.sorted(),
    recordsSent,
    batches: batchesSent,
    resends,
    offlineDeviceDays,
    modelMismatches,
    smsByKind: smsByKind.sorted(),
    replies: replies.sorted(),
    requests: log.requests,
    refusals: log.refusals.sorted(),
    latencies: log.summaries(),
  };
}
