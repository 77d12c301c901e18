/**
 * Food-voucher services: activation (one voucher, or all of a family's at once), the shop's
 * balance query and two-phase payment (authorize → capture | void), QR tokens for the family.
 *
 * Finding a hold: the shop names the hold (`holdId`), not the family. Authorization writes, in the
 * same atomic append as the hold itself, an index stream `foodhold-{shopId}/{holdId}` holding one
 * `FoodHoldRegistered` with the family-month stream. Capture and void read that index first: a
 * hold of another shop is simply not found there (object-level check), and a hold id is unique per
 * shop because the index stream is created with expected version "no stream".
 */
import { foodRef, targetOfRef } from '../../domain/vouchers/voucher-ref';
import { invariant } from '../../domain/shared/decider';
import { createQrSigner, epochSeconds, expiresAtOf, type QrPayload } from '../../adapters/qr/tokens';
import type { FoodHoldRegistered, FoodWalletEvent } from '../../domain/events';
import { streams } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { refuse } from '../../domain/shared/errors';
import { sub } from '../../domain/shared/money';
import type { Month } from '../../domain/shared/calendar';
import {
  checkQrTokenIssue,
  createFoodWalletDecider,
  lapsedForSpending,
  totalsOf,
  type FoodWalletCommand,
  type FoodWalletState,
} from '../../domain/vouchers/food-wallet';
import { parseVoucherId } from '../../domain/vouchers/ids';
import { decideAcross, handle, type Outcome } from '../command-path';
import type { AuthorizeInput, AuthorizeResult, BalanceAnswer, CaptureInput, CaptureResult, LedgerServices, QrToken } from './contract';
import { resolveDeps, type VoucherServiceDeps } from './deps';

const PROGRAM = 'food-vouchers';

export interface FoodServices {
  activateFoodVoucher: LedgerServices['activateVoucher'];
  /** Convenience for the family head: activate every not-yet-active voucher of the family-month. */
  activateAllFoodVouchers(input: { familyId: string; month: Month; byPersonId: string }, meta: CommandMetadata): Promise<{ activated: readonly string[] }>;
  issueFoodQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken>;
  balanceByToken: LedgerServices['balanceByToken'];
  authorizePurchase: LedgerServices['authorizePurchase'];
  capturePurchase: LedgerServices['capturePurchase'];
  voidPurchase: LedgerServices['voidPurchase'];
}

export function createFoodServices(rawDeps: VoucherServiceDeps): FoodServices {
  const deps = resolveDeps(rawDeps);
  // Its own tokens are verified from memory, others in full (adapters/qr/tokens.ts).
  const qr = createQrSigner(deps.qrKeys);
  const decider = createFoodWalletDecider(deps.food);
  const states = deps.states;
  const meta0 = (familyId: string) => ({ familyId, program: PROGRAM });

  async function load(stream: string): Promise<FoodWalletState> {
    return states.fold(decider, await states.history(stream));
  }

  async function activateFoodVoucher(input: { familyId: string; voucherId: string; byPersonId: string }, meta: CommandMetadata) {
    const ref = parseVoucherId(input.voucherId);
    if (ref?.program !== PROGRAM || ref.familyId !== input.familyId) return refuse('voucher_not_found', input.voucherId);
    await handle(states, ref.stream, decider, { type: 'ActivateFoodVoucher', data: input, metadata: meta }, meta0(input.familyId));
    return { voucherId: input.voucherId, status: 'active' as const };
  }

  async function activateAllFoodVouchers(input: { familyId: string; month: Month; byPersonId: string }, meta: CommandMetadata) {
    const stream = streams.food(input.familyId, input.month);
    let activated: string[] = [];
    const outcome = await decideAcross(states, [stream], meta, (loaded) => {
      let state = states.fold(decider, loaded.get(stream)!.events);
      if (state.status === 'None') return refuse('voucher_not_found', `${input.familyId} ${input.month}`);
      const events: FoodWalletEvent[] = [];
      for (const v of state.vouchers) {
        const command: FoodWalletCommand = {
          type: 'ActivateFoodVoucher',
          data: { voucherId: v.voucherId, familyId: input.familyId, byPersonId: input.byPersonId },
          metadata: meta,
        };
        for (const e of decider.decide(command, state)) {
          events.push(e);
          state = decider.evolve(state, e);
        }
      }
      activated = events.flatMap((e) => (e.type === 'FoodVoucherActivated' ? [e.data.voucherId] : []));
      return [{ stream, events, metadata: meta0(input.familyId) }];
    });
    if (outcome.repeated) activated = outcome.events.flatMap((e) => (e.type === 'FoodVoucherActivated' ? [e.data.voucherId] : []));
    return { activated };
  }

  async function issueFoodQrToken(input: { familyId: string; voucherId: string }, meta: CommandMetadata): Promise<QrToken> {
    const ref = parseVoucherId(input.voucherId);
    if (ref?.program !== PROGRAM || ref.familyId !== input.familyId) return refuse('voucher_not_found', input.voucherId);
    checkQrTokenIssue(deps.food, await load(ref.stream), input.voucherId, meta.now);
    // One token pays from the whole family-month (all activated members' vouchers), as a shop sees one family.
    const payload: QrPayload = {
      v: foodRef(ref.familyId, ref.month),
      n: deps.nonce().toString('base64url'),
      e: epochSeconds(meta.now) + deps.food.qrTokenTtlSeconds,
      p: PROGRAM,
    };
    return { token: qr.sign(payload), expiresAt: expiresAtOf(payload) };
  }

  /** A verified food token and its family-month; its expiry is the caller's to judge. */
  function readToken(token: string) {
    const payload = qr.verify(token);
    const target = targetOfRef(payload.p, payload.v);
    if (target.program !== PROGRAM) return refuse('qr_token_invalid', 'not a food voucher token');
    return { payload, target };
  }

  async function balanceByToken(input: { shopId: string; token: string }, meta: CommandMetadata): Promise<BalanceAnswer> {
    deps.counterparts.admitShop(input.shopId);
    const { payload, target } = readToken(input.token);
    if (meta.now > expiresAtOf(payload)) refuse('qr_token_expired');
    const state = await load(target.stream);
    if (state.status === 'None') return refuse('voucher_not_found');
    // The token is spent by an authorization; a shop must not act on it again.
    if (state.usedNonces.has(payload.n)) refuse('qr_token_reused');
    const totals = totalsOf(state);
    const availableTiyn = lapsedForSpending(deps.food, state, meta.now) ? 0 : totals.spendableTiyn;
    return { familyId: target.familyId, month: target.month, availableTiyn, heldTiyn: totals.heldTiyn };
  }

  async function authorizePurchase(input: AuthorizeInput, meta: CommandMetadata): Promise<AuthorizeResult> {
    deps.counterparts.admitShop(input.shopId);
    // The basket is priced and judged by the decider (basket_empty, amount_invalid, eligibility).
    // The token's expiry is judged by the decider, after the command path has looked for this
    // command: a retry of a committed authorization gets its first answer whenever it comes.
    const { payload, target } = readToken(input.token);
    const index = streams.foodHold(input.shopId, input.holdId);
    const outcome = await decideAcross(
      states,
      [target.stream, index],
      meta,
      (loaded) => {
        if (loaded.get(index)!.events.length > 0) return refuse('hold_already_exists', input.holdId);
        const state = states.fold(decider, loaded.get(target.stream)!.events);
        const events = decider.decide(
          {
            type: 'AuthorizePurchase',
            data: {
              holdId: input.holdId,
              shopId: input.shopId,
              items: input.items,
              tokenNonce: payload.n,
              tokenExpiresAt: expiresAtOf(payload),
              // From memory (refreshed from the catalogue's events): no read per request.
              catalogue: deps.catalogue.current(),
            },
            metadata: meta,
          },
          state,
        );
        const registered: FoodHoldRegistered = {
          type: 'FoodHoldRegistered',
          data: { holdId: input.holdId, shopId: input.shopId, familyId: target.familyId, month: target.month, stream: target.stream, at: meta.now },
        };
        return [
          { stream: target.stream, events, metadata: meta0(target.familyId) },
          { stream: index, events: [registered], metadata: meta0(target.familyId) },
        ];
      },
      { expectNew: [index] },
    );
    const authorized = eventOf(outcome, 'FoodPurchaseAuthorized').data;
    // The index stream is settled (one FoodHoldRegistered, never appended to again): a capture or void here reads no index.
    states.settle(index, { stream: target.stream, familyId: target.familyId });
    return {
      holdId: authorized.holdId,
      familyId: target.familyId,
      basketTiyn: authorized.basketTiyn,
      eligibleTiyn: authorized.eligibleTiyn,
      heldTiyn: authorized.heldTiyn,
      remainderTiyn: sub(authorized.basketTiyn, authorized.heldTiyn),
      items: authorized.lines.map((l) => ({
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unit: l.unit,
        unitPriceTiyn: l.unitPriceTiyn,
        lineTiyn: l.lineTiyn,
        eligible: l.eligible,
        ...(l.category !== undefined ? { category: l.category } : { reason: 'item_not_eligible' as const }),
        ...(l.discountTiyn !== undefined ? { discountTiyn: l.discountTiyn } : {}),
      })),
      expiresAt: authorized.expiresAt,
      ...(authorized.catalogueVersion !== undefined ? { catalogueVersion: authorized.catalogueVersion } : {}),
    };
  }

  /** The family-month stream of a shop's hold, from the index; another shop's hold is not found. */
  async function holdStream(shopId: string, holdId: string): Promise<{ stream: string; familyId: string }> {
    const found = await states.settled(streams.foodHold(shopId, holdId), ([entry]) => {
      if (entry?.type !== 'FoodHoldRegistered') return undefined;
      return { stream: entry.data.stream, familyId: entry.data.familyId };
    });
    return found ?? refuse('hold_not_found', holdId);
  }

  async function settle(shopId: string, command: FoodWalletCommand, meta: CommandMetadata, holdId: string): Promise<CaptureResult> {
    const { stream, familyId } = await holdStream(shopId, holdId);
    const outcome = await handle(states, stream, decider, command, meta0(familyId));
    for (const event of outcome.events) {
      if (event.type === 'FoodPurchaseCaptured')
        return { holdId, capturedTiyn: event.data.capturedTiyn, releasedTiyn: event.data.releasedTiyn, status: 'captured' };
      if (event.type === 'FoodPurchaseVoided') return { holdId, capturedTiyn: 0, releasedTiyn: event.data.releasedTiyn, status: 'voided' };
    }
    invariant(false, `settling hold ${holdId} recorded no capture or void`);
  }

  async function capturePurchase(input: CaptureInput, meta: CommandMetadata): Promise<CaptureResult> {
    deps.counterparts.admitShop(input.shopId);
    const command: FoodWalletCommand = {
      type: 'CapturePurchase',
      data: { holdId: input.holdId, shopId: input.shopId, paymentStatus: input.paymentStatus, ...(input.items ? { items: input.items } : {}) },
      metadata: meta,
    };
    return settle(input.shopId, command, meta, input.holdId);
  }

  async function voidPurchase(input: { shopId: string; holdId: string }, meta: CommandMetadata): Promise<CaptureResult> {
    deps.counterparts.admitShop(input.shopId);
    return settle(input.shopId, { type: 'VoidPurchase', data: input, metadata: meta }, meta, input.holdId);
  }

  return { activateFoodVoucher, activateAllFoodVouchers, issueFoodQrToken, balanceByToken, authorizePurchase, capturePurchase, voidPurchase };
}

function eventOf<Type extends FoodWalletEvent['type']>(outcome: Outcome, type: Type): Extract<Outcome['events'][number], { type: Type }> {
  const event = outcome.events.find((e): e is Extract<Outcome['events'][number], { type: Type }> => e.type === type);
  invariant(event, `expected a ${type} among the command's events`);
  return event;
}
