/**
 * A food-voucher month through the API, on the virtual clock (seed 004):
 *   4th 09:00  SDU uploads the month's list (in chunks) → per-row outcomes; a family that consented
 *              in an earlier simulated month has its vouchers at once, without an SMS (consent scope
 *              "service period", seed 004 annex)
 *   5th        the ledger's start SMS (a deadline) → the simulator, as the SMS gateway, pulls the
 *              outbox, reports delivery (a few fail once and are retried) and has each head answer
 *              per the behaviour model: yes / no / never / garbage, after a random delay
 *   +5 days    reminders for the silent; some answer them
 *   …          consenting families activate their members' vouchers, visit shops (QR → balance →
 *              authorize → capture | void | walk away), holds expire
 *   month end  timeouts and lapse; then the truth is checked against the read models (check.ts)
 * Truth is what the simulator did and what the API answered it — not what it intended.
 */
import { FOOD_VOUCHERS, memberVoucherTiyn, pilotCity } from '../domain/programs/food-vouchers';
import { addMonths, firstDayOfMonth, instantAt, localDate, type Month } from '../domain/shared/calendar';
import { SAMPLE_CATALOGUE } from '../domain/programs/food-list';
import { drawBasket, drawVisits, type Behaviour, type BasketItem } from './behaviour';
import type { ServiceHandle } from './driver';
import { bearer, pool, type RequestBody } from './http';
import type { FoodFamily, Population } from './population';
import { aspDateFor, spoilIin } from './population';
import type { Progress } from './progress';
import type { TestEotinish } from './eotinish-server';
import { createRng, type Rng } from './rng';
import { Agenda, Ticks, runDue } from './clock-plan';
import { newFunnel, PhaseTimes, RequestLog, Tally, type FunnelTruth, type Latencies } from './stats';
import { onboard, registryCallOver, SIMULATION_OPERATOR } from './registry';

/**
 * Families acting at once by default. A pilot city has thousands of families shopping in the same
 * hour; 256 in flight keeps the service busy through a tick's actions (32 left it idle between
 * one family's sequential requests: 20,000 families took 153 s at 32, 131 s at 128, 119–123 s at 256).
 */
export const FOOD_CONCURRENCY = 256;

export interface FoodRunOptions {
  readonly month: Month;
  readonly seed: number | string;
  readonly behaviour: Behaviour;
  readonly tickMinutes?: number;
  /** Requests in flight at once. */
  /** Families acting at once (default FOOD_CONCURRENCY). */
  readonly concurrency?: number;
  /** Rows per uploaded list (the API takes at most 20,000). */
  readonly listChunk?: number;
  /** Put a duplicated family right after its original (exposes concurrent vault upserts of one IIN). */
  readonly adjacentDuplicates?: boolean;
  readonly progress?: (total: number, title: string) => Progress;
  /** A stand-in e-Otinish the service forwards to (EOTINISH_URL): families then rate and complain about purchases. */
  readonly eotinish?: TestEotinish;
  /** Families that consented in an earlier simulated month of the pilot (FoodTruth.consentedFamilies). */
  readonly consentedEarlier?: ReadonlySet<string>;
}

/** What happened, as the simulator saw it through the API. */
export interface FoodTruth {
  readonly month: Month;
  readonly listRows: number;
  readonly accepted: number;
  readonly rejectedByReason: Record<string, number>;
  /** Rows whose outcome differs from the defect the generator planted. */
  readonly unexpectedRowOutcomes: number;
  /** Per pilot city. */
  readonly byCity: Record<string, FoodCityTruth>;
  readonly smsByKind: Record<string, number>;
  readonly smsFailedOnce: number;
  readonly replies: Record<string, number>;
  readonly requests: number;
  readonly refusals: Record<string, number>;
  /** Held amounts that differ from the simulator's own balance model. */
  readonly modelMismatches: number;
  readonly latencies: Record<string, ReturnType<Latencies['summary']>>;
  /** Wall ms per phase (lists, clock + deadlines, SMS gateway, actions, settling). */
  readonly phaseMs: Record<string, number>;
  /** A sample of consenting families' own figures, to check against their wallet balances. */
  readonly familySample: readonly { familyId: string; personId: string; issuedTiyn: number; spentTiyn: number }[];
  /** Every row of every list and the reason it must come back in the returns with (none: it ended with a voucher). */
  readonly listRowsTruth: readonly { listId: string; rowNo: number; returnReason?: string }[];
  /** Ratings and complaints the families submitted (accepted by the API). */
  readonly feedback: readonly { feedbackId: string; familyId: string; personId: string; kind: string }[];
  /** Families with consent this month (by SMS or standing from an earlier month): the next month's consentedEarlier. */
  readonly consentedFamilies: readonly string[];
  /** Accepted families whose consent stood from an earlier month: vouchers without an SMS. */
  readonly standingConsents: number;
  /** Start SMS the ledger sent to a family whose consent stood already (must be 0). */
  readonly smsDespiteStandingConsent: number;
}

/**
 * Rows per uploaded list. The ledger looks up BMG and upserts the vault per person (16 at a time),
 * ~12 ms per family here, and the server ends a request after 60 s: 1,000 families per list.
 */
const LIST_CHUNK = 1_000;
const LIST_TIMEOUT_MS = 120_000;

/** Families whose balances are checked one by one through the citizen's own view. */
const FAMILY_SAMPLE = 100;

export interface FoodCityTruth extends FunnelTruth {
  issuedTiyn: number;
  activatedTiyn: number;
  usedTiyn: number;
  lapsedTiyn: number;
  holds: number;
  captures: number;
  voids: number;
  abandoned: number;
  /** category → unit → quantity and tiyn of eligible goods captured. */
  volumes: Record<string, { unit: string; quantity: number; amountTiyn: number }>;
}

type Answer = 'yes' | 'no' | 'never' | 'garbage';

interface FamilyRun {
  readonly family: FoodFamily;
  readonly rng: Rng;
  readonly answer: Answer;
  readonly phone?: string;
  readonly headPersonId: string;
  accepted: boolean;
  /** The family consented in an earlier month and the program's consent scope is the service period. */
  readonly standing: boolean;
  caseId?: string;
  /** Where its (first) row went: the list and row number. */
  listId?: string;
  rowNo?: number;
  sawRequest: boolean;
  sawReminder: boolean;
  outcome?: 'consent_given' | 'consent_refused';
  vouchers: { voucherId: string; issuedTiyn: number }[];
  activated: Set<string>;
  /** The simulator's own balance model: what an authorization may hold. */
  availableTiyn: number;
  /** Holds walked away from: their money is available again once they expire (the scheduler releases them). */
  abandoned: { heldTiyn: number; expiresAt: string }[];
  spentTiyn: number;
  visits: number;
}

type Action =
  | { readonly kind: 'reply'; readonly run: FamilyRun; readonly text: string }
  | { readonly kind: 'activate'; readonly run: FamilyRun }
  | { readonly kind: 'visit'; readonly run: FamilyRun; readonly visitNo: number };

/** Captures followed by a rating or complaint (through e-Otinish, when the simulation runs one). */
const FEEDBACK_SHARE = 0.1;
/** Ticks after the month within which every appeal must have reached e-Otinish. */
const FEEDBACK_DRAIN_TICKS = 24;
const COMPLAINTS = ['Мука была просрочена', 'Кассир не принял QR с первого раза', 'Цена выше, чем на полке', 'Сүт бітіп қалды'];

const GARBAGE = ['да', 'Ок', '21', '211', 'Кто это?', '1', 'СТОП'];
/** Shops trade 09:00–21:00 local. */
const SHOP_OPENS_HOUR = 9;
const SHOP_HOURS = 12;

function newCity(): FoodCityTruth {
  return {
    ...newFunnel(),
    issuedTiyn: 0,
    activatedTiyn: 0,
    usedTiyn: 0,
    lapsedTiyn: 0,
    holds: 0,
    captures: 0,
    voids: 0,
    abandoned: 0,
    volumes: {},
  };
}

export async function simulateFoodMonth(driver: ServiceHandle, population: Population, options: FoodRunOptions): Promise<FoodTruth> {
  const { month, behaviour } = options;
  const concurrency = options.concurrency ?? FOOD_CONCURRENCY;
  const rng = createRng(`${options.seed}/food/${month}`);
  const ticks = new Ticks(instantAt(`${month}-04`, '09:00'), options.tickMinutes ?? 60);
  const endTick = ticks.ceil(instantAt(firstDayOfMonth(addMonths(month, 1)), '06:00'));
  const agenda = new Agenda<Action>();
  const log = new RequestLog();
  const phases = new PhaseTimes();
  const smsByKind = new Tally();
  const replies = new Tally();
  let modelMismatches = 0;
  let unexpectedRowOutcomes = 0;
  let smsFailedOnce = 0;
  const byCity: Record<string, FoodCityTruth> = {};
  const city = (code: string) => (byCity[code] ??= newCity());
  const http = driver.http;

  const timed: RequestLog['timed'] = (op, call) => log.timed(op, call);

  // ── people ─────────────────────────────────────────────────────────────────────────────
  const runs: FamilyRun[] = population.families.map((family) => {
    const r = rng.fork(family.familyId);
    const head = family.members[0]!;
    const phone = population.phones.get(head.iin);
    return {
      family,
      rng: r,
      answer: r.weighted(behaviour.consent.answers),
      ...(phone ? { phone: phone.replace(/^\+/, '') } : {}),
      headPersonId: driver.personId(head.iin),
      accepted: false,
      standing: FOOD_VOUCHERS.consentScope === 'service_period' && (options.consentedEarlier?.has(family.familyId) ?? false),
      sawRequest: false,
      sawReminder: false,
      vouchers: [],
      activated: new Set(),
      availableTiyn: 0,
      abandoned: [],
      spentTiyn: 0,
      visits: 0,
    };
  });
  const byPhone = new Map<string, FamilyRun>();
  for (const run of runs) if (run.phone) byPhone.set(run.phone, run);
  const phoneEntries = [...population.phones.entries()];
  await driver.loadPhones(phoneEntries);

  const shops: Record<string, string[]> = {};
  for (const c of FOOD_VOUCHERS.pilotCities)
    shops[c.code] = Array.from({ length: behaviour.shopping.shopsPerCity }, (_, i) => `shop-${c.code}-${String(i + 1).padStart(3, '0')}`);

  /** A member's voucher value for the family's region this month (the program may set one per region and month). */
  const perMember = (run: FamilyRun) => memberVoucherTiyn(month, FOOD_VOUCHERS, pilotCity(run.family.city)?.region);
  const citizenToken = (run: FamilyRun) =>
    driver.token({ role: 'citizen', sub: `citizen-${run.family.familyId}`, familyId: run.family.familyId, personId: run.headPersonId });
  const merchantToken = (shopId: string) => driver.token({ role: 'merchant', sub: shopId, shopId });
  // The operator onboards every shop through the registry's door; an unregistered till is refused.
  await onboard(registryCallOver(driver.http, await driver.token(SIMULATION_OPERATOR)), {
    shops: Object.entries(shops).flatMap(([city, ids]) => ids.map((shopId) => ({ shopId, city }))),
  });

  // ── the 4th: SDU list ──────────────────────────────────────────────────────────────────
  await driver.advanceTo(ticks.at(0));
  const sduToken = await driver.token({ role: 'sdu', sub: 'sdu-simulator' });
  const rows: { run: FamilyRun; row: RequestBody<'/v1/lists/food-vouchers', 'post'>['rows'][number]; expected: string }[] = [];
  const aspOnDate = aspDateFor(month);
  for (const run of runs) {
    const f = run.family;
    const head = f.members[0]!;
    const spoilt = f.defect === 'invalid_iin';
    const person = (p: { iin: string; fullName: string }, i: number) => ({ iin: spoilt && i === 0 ? spoilIin(p.iin) : p.iin, fullName: p.fullName });
    const members = f.members.map(person);
    const row = {
      familyId: f.familyId,
      city: f.city,
      aspOnDate: f.defect === 'not_on_asp_at_month_end' ? firstDayOfMonth(month) : aspOnDate,
      head: { iin: spoilt ? spoilIin(head.iin) : head.iin, fullName: head.fullName },
      members,
    };
    rows.push({ run, row, expected: f.defect === 'duplicate_row' ? 'row_accepted' : (f.defect ?? 'row_accepted') });
  }
  // A duplicate: the same family sent twice in one list; the second copy is refused. By default
  // the copy goes at the end of its list (options.adjacentDuplicates puts it right after the original).
  const chunk = options.listChunk ?? LIST_CHUNK;
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += chunk) chunks.push(rows.slice(i, i + chunk));
  for (const part of chunks) {
    const copies = part.filter((r) => r.run.family.defect === 'duplicate_row').map((r) => ({ ...r, expected: 'duplicate_row' }));
    if (options.adjacentDuplicates) for (const copy of copies) part.splice(part.findIndex((r) => r.run === copy.run) + 1, 0, copy);
    else part.push(...copies);
  }
  const listRowCount = chunks.reduce((n, part) => n + part.length, 0);
  const rejectedByReason = new Tally();
  const listRows: { listId: string; rowNo: number; run: FamilyRun; outcome: string }[] = [];
  const feedback: { feedbackId: string; familyId: string; personId: string; kind: string }[] = [];
  let accepted = 0;
  await phases.time('lists', () =>
    pool(chunks, 2, async (part, index) => {
      const listId = `sdu-${month}-sim-${String(index + 1).padStart(3, '0')}`;
      const reply = await timed('list_upload', () =>
        http.send(
          http.api.POST('/v1/lists/food-vouchers', {
            headers: bearer(sduToken),
            body: { listId, month, rows: part.map((r) => r.row) },
            signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
          }),
        ),
      );
      if (reply.status >= 300) throw new Error(`list upload refused: ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
      for (const outcome of reply.body.rows) {
        const entry = part[outcome.rowNo - 1] ?? part[outcome.rowNo];
        if (!entry) continue;
        if (outcome.outcome !== entry.expected) unexpectedRowOutcomes++;
        listRows.push({ listId, rowNo: outcome.rowNo, run: entry.run, outcome: outcome.outcome });
        if (outcome.outcome === 'row_accepted') {
          accepted++;
          entry.run.accepted = true;
          entry.run.listId = listId;
          entry.run.rowNo = outcome.rowNo;
          if (outcome.caseStream) entry.run.caseId = outcome.caseStream;
          city(entry.run.family.city).eligible++;
        } else rejectedByReason.add(outcome.outcome);
      }
    }),
  );
  await phases.time('settle', () => driver.settle());

  // ── the month, tick by tick ────────────────────────────────────────────────────────────
  const reported = new Set<string>();
  let smsDespiteStandingConsent = 0;
  const failedOnce = new Set<string>();
  const monthEndMs = new Date(instantAt(firstDayOfMonth(addMonths(month, 1)), '00:00')).getTime();
  const monthTicks = ticks.ceil(monthEndMs);

  const scheduleReply = (run: FamilyRun, tick: number, kind: 'consent_request' | 'consent_reminder') => {
    const c = behaviour.consent;
    const delay = () => Math.max(1, Math.ceil(run.rng.exponential(c.replyDelayMeanHours) * (60 / ticks.tickMinutes)));
    const maxTicks = Math.ceil((c.replyDelayMaxHours * 60) / ticks.tickMinutes);
    if (kind === 'consent_reminder') {
      if (run.answer === 'never' && run.rng.chance(c.answerAfterReminder))
        agenda.add(tick + delay(), { kind: 'reply', run, text: FOOD_VOUCHERS.replyCodes.yes });
      return;
    }
    const d = delay();
    if (d > maxTicks) return;
    switch (run.answer) {
      case 'yes':
        agenda.add(tick + d, { kind: 'reply', run, text: run.rng.chance(0.1) ? ` ${FOOD_VOUCHERS.replyCodes.yes} ` : FOOD_VOUCHERS.replyCodes.yes });
        break;
      case 'no':
        agenda.add(tick + d, { kind: 'reply', run, text: FOOD_VOUCHERS.replyCodes.no });
        break;
      case 'garbage':
        agenda.add(tick + d, { kind: 'reply', run, text: run.rng.pick(GARBAGE) });
        if (run.rng.chance(c.garbageThenYes)) agenda.add(tick + d + delay(), { kind: 'reply', run, text: FOOD_VOUCHERS.replyCodes.yes });
        break;
      case 'never':
        break;
    }
  };

  /** Consent given (by SMS, or standing from an earlier month): the family activates after a while, or never. */
  const consented = (run: FamilyRun, tick: number) => {
    run.outcome = 'consent_given';
    city(run.family.city).consented++;
    if (run.rng.chance(behaviour.activation.never)) return;
    const delay = Math.max(1, Math.ceil((run.rng.exponential(behaviour.activation.delayMeanHours) * 60) / ticks.tickMinutes));
    if (tick + delay < monthTicks) agenda.add(tick + delay, { kind: 'activate', run });
  };
  // Consent scope "service period": the list itself gave these families their vouchers.
  const standingConsents = runs.filter((run) => run.accepted && run.standing);
  for (const run of standingConsents) consented(run, 0);

  const gatewayToken = await driver.token({ role: 'sms-gateway', sub: 'sms-gateway-sim' });
  /** The SMS gateway: pull until the outbox is empty, report each delivery, let people answer. */
  const gateway = async (tick: number) => {
    const at = ticks.at(tick);
    for (let round = 0; round < 1_000; round++) {
      const pulled = await timed('sms_pull', () =>
        http.send(http.api.GET('/v1/sms/outbound', { params: { query: { limit: 500 } }, headers: bearer(gatewayToken) })),
      );
      if (pulled.status !== 200) throw new Error(`GET /v1/sms/outbound: ${pulled.status} ${JSON.stringify(pulled.body).slice(0, 300)}`);
      const fresh = pulled.body.messages.filter((m) => !reported.has(m.messageId));
      if (fresh.length === 0) return;
      // The gateway reports a pulled page's deliveries in one bulk request (1 % fail once and are retried).
      const decided = fresh.map((m) => ({ m, fail: !failedOnce.has(m.messageId) && rng.chance(behaviour.consent.smsFailure) }));
      const reply = await timed('sms_deliveries', () =>
        http.send(
          http.api.POST('/v1/sms/outbound/deliveries', {
            headers: bearer(gatewayToken),
            params: { header: { 'Idempotency-Key': `sim-${options.seed}-${month}-dlr-${tick}-${round}` } },
            body: {
              reports: decided.map(({ m, fail }) =>
                fail
                  ? { messageId: m.messageId, status: 'failed' as const, reason: 'simulated: no network', at }
                  : { messageId: m.messageId, status: 'sent' as const, at, gatewayRef: `sim-${m.messageId}` },
              ),
            },
          }),
        ),
      );
      if (reply.status !== 200) throw new Error(`POST /v1/sms/outbound/deliveries: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
      decided.forEach(({ m, fail }, i) => {
        if (fail) {
          failedOnce.add(m.messageId);
          smsFailedOnce++;
          return;
        }
        if (reply.body.results[i]?.outcome !== 'recorded') return;
        reported.add(m.messageId);
        smsByKind.add(m.kind);
        const run = byPhone.get(m.phone.replace(/^\+/, ''));
        if (!run) return;
        if (m.kind === 'consent_request' && run.standing) smsDespiteStandingConsent++;
        if (m.kind === 'consent_request' && !run.sawRequest) {
          run.sawRequest = true;
          city(run.family.city).smsSent++;
          scheduleReply(run, tick, 'consent_request');
        } else if (m.kind === 'consent_reminder' && !run.sawReminder) {
          run.sawReminder = true;
          city(run.family.city).reminded++;
          scheduleReply(run, tick, 'consent_reminder');
        }
      });
      await phases.time('settle', () => driver.settle());
    }
  };

  const act = async (action: Action, tick: number) => {
    const at = ticks.at(tick);
    const run = action.run;
    const c = city(run.family.city);
    switch (action.kind) {
      case 'reply': {
        if (!run.phone) return;
        const reply = await timed('sms_inbound', () =>
          http.send(http.api.POST('/v1/sms/inbound', { headers: bearer(gatewayToken), body: { phone: `+${run.phone}`, text: action.text, receivedAt: at } })),
        );
        const outcome = reply.code ?? reply.body.outcome;
        replies.add(outcome);
        if (outcome === 'consent_given' && !run.outcome) consented(run, tick);
        else if (outcome === 'consent_refused' && !run.outcome) {
          run.outcome = 'consent_refused';
          c.refused++;
        }
        return;
      }
      case 'activate': {
        const token = await citizenToken(run);
        const listed = await timed('my_vouchers', () => http.send(http.api.GET('/v1/me/vouchers', { headers: bearer(token) })));
        const mine = (listed.body.vouchers ?? []).filter((v) => v.program === 'food-vouchers' && v.voucherId.includes(`~${month}~`));
        run.vouchers = mine.map((v) => ({ voucherId: v.voucherId, issuedTiyn: v.issuedTiyn }));
        const activated = (v: { voucherId: string; issuedTiyn: number }) => {
          run.activated.add(v.voucherId);
          run.availableTiyn += v.issuedTiyn;
          c.activated++;
          c.activatedTiyn += v.issuedTiyn;
        };
        if (mine.length > 0 && run.rng.chance(behaviour.activation.allAtOnce)) {
          const reply = await timed('activate_all', () =>
            http.send(
              http.api.POST('/v1/me/food-vouchers/{month}/activate', {
                params: { path: { month }, header: { 'Idempotency-Key': `act-all-${run.family.familyId}-${month}` } },
                headers: bearer(token),
              }),
            ),
          );
          // "Activate all" takes every voucher of the month, also one the (read-model) list did not show yet.
          const listed = new Map(mine.map((v) => [v.voucherId, v.issuedTiyn]));
          for (const voucherId of reply.status === 200 ? reply.body.activated : []) {
            if (run.activated.has(voucherId)) continue;
            const voucher = { voucherId, issuedTiyn: listed.get(voucherId) ?? perMember(run) };
            if (!listed.has(voucherId)) run.vouchers.push(voucher);
            activated(voucher);
          }
        } else {
          for (const v of mine) {
            if (run.activated.has(v.voucherId)) continue;
            const reply = await timed('activate', () =>
              http.send(
                http.api.POST('/v1/me/vouchers/{voucherId}/activate', {
                  params: { path: { voucherId: v.voucherId }, header: { 'Idempotency-Key': `act-${v.voucherId}` } },
                  headers: bearer(token),
                }),
              ),
            );
            if (reply.status === 200) activated(v);
          }
        }
        if (run.activated.size === 0) return;
        const visits = drawVisits(run.rng, behaviour.shopping.visitsPerMonth);
        for (let v = 0; v < visits; v++) {
          const dayTick = tick + run.rng.int(0, Math.max(0, monthTicks - tick - 1));
          const local = localDate(ticks.at(dayTick));
          const visitTick = Math.max(tick + 1, ticks.local(local, `${String(SHOP_OPENS_HOUR + run.rng.int(0, SHOP_HOURS - 1)).padStart(2, '0')}:00`));
          if (visitTick < monthTicks) agenda.add(visitTick, { kind: 'visit', run, visitNo: v + 1 });
        }
        return;
      }
      case 'visit':
        return visit(run, action.visitNo, at);
    }
  };

  const visit = async (run: FamilyRun, visitNo: number, at: string) => {
    const c = city(run.family.city);
    const voucherId = [...run.activated][0];
    if (!voucherId) return;
    const shopList = shops[run.family.city] ?? shops[FOOD_VOUCHERS.pilotCities[0]!.code]!;
    const shopId = run.rng.pick(shopList);
    const token = await citizenToken(run);
    const qr = await timed('qr', () => http.send(http.api.POST('/v1/me/vouchers/{voucherId}/qr', { params: { path: { voucherId } }, headers: bearer(token) })));
    if (qr.status !== 201) return;
    const merchant = await merchantToken(shopId);
    if (run.rng.chance(behaviour.shopping.balanceQuery))
      await timed('balance', () => http.send(http.api.POST('/v1/shop/balance', { headers: bearer(merchant), body: { token: qr.body.token } })));
    const basket = drawBasket(run.rng, behaviour.shopping);
    const items = basket.map(({ sku, name, quantity, unit, unitPriceTiyn }) => ({ sku, name, quantity, unit, unitPriceTiyn }));
    const key = `sim-${options.seed}-${run.family.familyId}-${month}-${visitNo}`;
    const eligibleTiyn = basket.filter((b) => b.eligible).reduce((s, b) => s + b.lineTiyn, 0);
    // Deadlines due by now fired before this tick's actions: an abandoned hold past its expiry is released.
    const nowMs = Date.parse(at);
    run.abandoned = run.abandoned.filter((h) => (Date.parse(h.expiresAt) <= nowMs ? ((run.availableTiyn += h.heldTiyn), false) : true));
    const auth = await timed('authorize', () =>
      http.send(
        http.api.POST('/v1/shop/holds', { params: { header: { 'Idempotency-Key': key } }, headers: bearer(merchant), body: { token: qr.body.token, items } }),
      ),
    );
    const expectedHeld = Math.min(eligibleTiyn, run.availableTiyn);
    if (auth.status !== 201) {
      // insufficient_balance / no_eligible_items are the model's to predict too.
      if (!(auth.code === 'insufficient_balance' && run.availableTiyn === 0) && !(auth.code === 'no_eligible_items' && eligibleTiyn === 0)) modelMismatches++;
      return;
    }
    c.holds++;
    const held = auth.body.heldTiyn;
    if (held !== expectedHeld) modelMismatches++;
    run.availableTiyn -= held;
    const roll = run.rng.next();
    const s = behaviour.shopping;
    if (roll < s.abandoned) {
      // Walks away: the hold expires after its TTL and the money comes back then (a visit before that sees it held).
      c.abandoned++;
      run.abandoned.push({ heldTiyn: held, expiresAt: auth.body.expiresAt });
      return;
    }
    if (roll < s.abandoned + s.voids) {
      const voided = await timed('void', () =>
        http.send(
          http.api.POST('/v1/shop/holds/{holdId}/void', {
            params: { path: { holdId: auth.body.holdId }, header: { 'Idempotency-Key': `${key}-void` } },
            headers: bearer(merchant),
          }),
        ),
      );
      if (voided.status === 200) {
        c.voids++;
        run.availableTiyn += held;
      }
      return;
    }
    let final: BasketItem[] = basket;
    if (basket.length > 1 && run.rng.chance(s.partialCapture)) final = basket.slice(0, -1);
    const capture = await timed('capture', () =>
      http.send(
        http.api.POST('/v1/shop/holds/{holdId}/capture', {
          params: { path: { holdId: auth.body.holdId }, header: { 'Idempotency-Key': `${key}-capture` } },
          headers: bearer(merchant),
          body: {
            paymentStatus: 'paid',
            ...(final === basket ? {} : { items: final.map(({ sku, name, quantity, unit, unitPriceTiyn }) => ({ sku, name, quantity, unit, unitPriceTiyn })) }),
          },
        }),
      ),
    );
    if (capture.status !== 200) return;
    const captured = capture.body.capturedTiyn;
    const finalEligible = final.filter((b) => b.eligible).reduce((sum, b) => sum + b.lineTiyn, 0);
    if (captured !== Math.min(finalEligible, held)) modelMismatches++;
    c.captures++;
    c.usedTiyn += captured;
    run.spentTiyn += captured;
    if (options.eotinish && run.rng.chance(FEEDBACK_SHARE)) await sendFeedback(run, auth.body.holdId, voucherId);
    run.availableTiyn += held - captured;
    for (const item of final) {
      const category = item.eligible ? SAMPLE_CATALOGUE[item.sku] : undefined;
      if (!category) continue;
      const v = (c.volumes[category] ??= { unit: item.unit, quantity: 0, amountTiyn: 0 });
      v.quantity += item.quantity;
      v.amountTiyn += item.lineTiyn;
    }
  };

  /** A rating of the purchase, or now and then a complaint about it (seed 004 p. 29). */
  const sendFeedback = async (run: FamilyRun, holdId: string, voucherId: string) => {
    const complaint = run.rng.chance(0.4);
    const body: RequestBody<'/v1/me/feedback', 'post'> = complaint
      ? { program: 'food-vouchers', voucherId, holdId, kind: 'complaint', text: run.rng.pick(COMPLAINTS) }
      : { program: 'food-vouchers', voucherId, holdId, kind: 'rating', rating: run.rng.int(1, 5) };
    const token = await citizenToken(run);
    const reply = await timed('feedback', () =>
      http.send(http.api.POST('/v1/me/feedback', { params: { header: { 'Idempotency-Key': `fb-${holdId}` } }, headers: bearer(token), body })),
    );
    if (reply.status === 201) feedback.push({ feedbackId: reply.body.feedbackId, familyId: run.family.familyId, personId: run.headPersonId, kind: body.kind });
  };

  const bar = options.progress?.(endTick, `food ${month}`);
  for (let tick = 0; tick <= endTick; tick++) {
    await phases.time('clock+deadlines', () => driver.advanceTo(ticks.at(tick)));
    await phases.time('gateway', () => gateway(tick));
    const due = agenda.take(tick);
    // No settle after the actions: the next tick's deadline pass catches the read models up first.
    if (due.length > 0) await phases.time('actions', () => runDue(due, concurrency, (a) => act(a, tick)));
    bar?.update(tick, localDate(ticks.at(tick)));
  }
  // The e-Otinish outbox goes on after the month: its last tries are due a few hours later.
  for (let tick = endTick + 1; options.eotinish && tick <= endTick + FEEDBACK_DRAIN_TICKS && options.eotinish.appeals.size < feedback.length; tick++)
    await phases.time('clock+deadlines', () => driver.advanceTo(ticks.at(tick)));
  await driver.settle();
  bar?.finish();

  // ── what the month ended as ────────────────────────────────────────────────────────────
  for (const run of runs) {
    if (!run.accepted) continue;
    const c = city(run.family.city);
    if (!run.phone) c.noPhone++;
    else if (!run.outcome) c.timedOut++;
    if (run.outcome === 'consent_given') {
      const count = run.family.members.length;
      c.issued += count;
      c.issuedTiyn += count * perMember(run);
    }
  }
  for (const c of Object.values(byCity)) c.lapsedTiyn = c.issuedTiyn - c.usedTiyn;
  const consenting = runs.filter((r) => r.outcome === 'consent_given');
  const step = Math.max(1, Math.floor(consenting.length / FAMILY_SAMPLE));
  const familySample = consenting
    .filter((_, i) => i % step === 0)
    .slice(0, FAMILY_SAMPLE)
    .map((r) => ({ familyId: r.family.familyId, personId: r.headPersonId, issuedTiyn: r.family.members.length * perMember(r), spentTiyn: r.spentTiyn }));
  return {
    month,
    listRows: listRowCount,
    accepted,
    rejectedByReason: rejectedByReason.sorted(),
    unexpectedRowOutcomes,
    byCity,
    smsByKind: smsByKind.sorted(),
    smsFailedOnce,
    replies: replies.sorted(),
    requests: log.requests,
    refusals: log.refusals.sorted(),
    modelMismatches,
    familySample,
    listRowsTruth: listRows.map(({ listId, rowNo, run, outcome }) => {
      const reason =
        outcome !== 'row_accepted'
          ? outcome
          : !run.phone
            ? 'no_phone'
            : run.outcome === 'consent_refused'
              ? 'consent_refused'
              : !run.outcome
                ? 'consent_timed_out'
                : undefined;
      return { listId, rowNo, ...(reason ? { returnReason: reason } : {}) };
    }),
    feedback,
    consentedFamilies: consenting.map((r) => r.family.familyId),
    standingConsents: standingConsents.length,
    smsDespiteStandingConsent,
    latencies: log.summaries(),
    phaseMs: phases.rounded(),
  };
}
