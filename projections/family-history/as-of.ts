/**
 * "As of": the state of a family's vouchers at a past instant, computed from the event log itself
 * (not from any read model): read the family's streams from the store, keep the events recorded
 * at or before the instant, and fold them. The fold is a pure summary over the catalogue events
 * (issued / activated / held / spent / lapsed per voucher), so an auditor can check it by hand.
 */
import { kindOf } from '../../domain/streams';
import type { EventStore } from '../../adapters/eventstore/port';
import { parseRecorded } from '../../adapters/eventstore/ledger-events';
import type { Recorded } from '../projection';
import type { Pool } from '../../adapters/postgres/pool';
import type { LedgerEvent } from '../../domain/events';
import type { Instant } from '../../domain/shared/calendar';
import type { Tiyn } from '../../domain/shared/money';
import { fold } from '../../domain/shared/decider';
import { isVoucherStream, type FoodWalletEvent, type MealVoucherEvent } from '../../domain/events';
import { mealVoucher, type MealVoucherState } from '../../domain/vouchers/meal-voucher';
import { foodWallet, type FoodWalletState } from '../../domain/vouchers/food-wallet';
import { familyStreams } from './queries';

export type VoucherSummaryStatus = 'issued' | 'active' | 'expired' | 'lapsed';

export interface VoucherSummary {
  readonly voucherId: string;
  readonly program: 'school-meals' | 'food-vouchers';
  readonly stream: string;
  readonly status: VoucherSummaryStatus;
  readonly issuedAt: Instant;
  readonly activatedAt: Instant | null;
  /** Food vouchers: money (tiyn). School meals: all zero. */
  readonly issuedTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  readonly spentTiyn: Tiyn;
  readonly lapsedTiyn: Tiyn;
  readonly availableTiyn: Tiyn;
  /** School meals: meals served so far. */
  readonly meals: number;
}

export interface FamilyAsOf {
  readonly familyId: string;
  readonly asOf: Instant;
  /** Events of the family’s voucher streams folded (recorded at or before `asOf`). */
  readonly events: number;
  readonly lastPosition: bigint | null;
  readonly vouchers: readonly VoucherSummary[];
  /** The deciders' own states at `asOf`, folded with their `evolve` (the domain's view). */
  readonly mealVouchers: readonly { readonly stream: string; readonly state: MealVoucherState }[];
  readonly foodWallets: readonly { readonly stream: string; readonly state: FoodWalletState }[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Pure: folds recorded events (any order; sorted by position here) into voucher summaries. */
export function summariseVouchers(events: readonly Recorded[]): VoucherSummary[] {
  const vouchers = new Map<string, Mutable<VoucherSummary>>();
  const holds = new Map<string, { voucherId: string; amountTiyn: Tiyn }[]>();
  const sorted = [...events].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  const get = (id: string) => vouchers.get(id);
  for (const ev of sorted) {
    switch (ev.type) {
      case 'MealVoucherIssued':
        vouchers.set(ev.data.voucherId, {
          voucherId: ev.data.voucherId,
          program: 'school-meals',
          stream: ev.stream,
          status: 'issued',
          issuedAt: ev.data.issuedAt,
          activatedAt: null,
          issuedTiyn: 0,
          heldTiyn: 0,
          spentTiyn: 0,
          lapsedTiyn: 0,
          availableTiyn: 0,
          meals: 0,
        });
        break;
      case 'FoodVouchersIssued':
        for (const v of ev.data.vouchers) {
          vouchers.set(v.voucherId, {
            voucherId: v.voucherId,
            program: 'food-vouchers',
            stream: ev.stream,
            status: 'issued',
            issuedAt: ev.data.issuedAt,
            activatedAt: null,
            issuedTiyn: v.amountTiyn,
            heldTiyn: 0,
            spentTiyn: 0,
            lapsedTiyn: 0,
            availableTiyn: v.amountTiyn,
            meals: 0,
          });
        }
        break;
      case 'MealVoucherActivated':
      case 'FoodVoucherActivated': {
        const v = get(ev.data.voucherId);
        if (v) Object.assign(v, { status: 'active', activatedAt: ev.data.activatedAt });
        break;
      }
      case 'MealServed': {
        const v = get(ev.data.voucherId);
        if (v) v.meals += 1;
        break;
      }
      case 'MealVoucherExpired': {
        const v = get(ev.data.voucherId);
        if (v) v.status = 'expired';
        break;
      }
      case 'FoodPurchaseAuthorized':
        holds.set(ev.data.holdId, [...ev.data.allocations]);
        for (const a of ev.data.allocations) {
          const v = get(a.voucherId);
          if (v) Object.assign(v, { heldTiyn: v.heldTiyn + a.amountTiyn, availableTiyn: v.availableTiyn - a.amountTiyn });
        }
        break;
      case 'FoodPurchaseCaptured':
        release(get, holds, ev.data.holdId);
        for (const a of ev.data.allocations) {
          const v = get(a.voucherId);
          if (v) Object.assign(v, { spentTiyn: v.spentTiyn + a.amountTiyn, availableTiyn: v.availableTiyn - a.amountTiyn });
        }
        break;
      case 'FoodPurchaseVoided':
      case 'FoodHoldExpired':
        release(get, holds, ev.data.holdId);
        break;
      case 'FoodVouchersLapsed':
        for (const l of ev.data.lapses) {
          const v = get(l.voucherId);
          const amount = l.notActivatedTiyn + l.unspentTiyn;
          if (v) Object.assign(v, { status: 'lapsed', lapsedTiyn: v.lapsedTiyn + amount, availableTiyn: v.availableTiyn - amount });
        }
        break;
      default:
        break; // consent, list, SMS, deadline and feedback events do not change a voucher
    }
  }
  return [...vouchers.values()].sort((a, b) => a.voucherId.localeCompare(b.voucherId));
}

function release(
  get: (id: string) => Mutable<VoucherSummary> | undefined,
  holds: Map<string, { voucherId: string; amountTiyn: Tiyn }[]>,
  holdId: string,
): void {
  for (const a of holds.get(holdId) ?? []) {
    const v = get(a.voucherId);
    if (v) Object.assign(v, { heldTiyn: v.heldTiyn - a.amountTiyn, availableTiyn: v.availableTiyn + a.amountTiyn });
  }
  holds.delete(holdId);
}

/** The family's vouchers as they stood at `asOf`, from the store (streams found via the index). */
export async function familyAsOf(pool: Pool, store: EventStore, familyId: string, asOf: Instant): Promise<FamilyAsOf> {
  const cutoff = Date.parse(asOf);
  if (Number.isNaN(cutoff)) throw new Error(`familyAsOf: ${asOf} is not an instant`);
  const events: Recorded[] = [];
  // Only the voucher streams feed the fold: a list stream is shared by a thousand families and
  // would be read whole for each parent's wallet view.
  for (const stream of (await familyStreams(pool, familyId)).filter(isVoucherStream)) {
    for (const e of await store.readStream(stream)) if (Date.parse(e.metadata.recordedAt) <= cutoff) events.push(parseRecorded(e));
  }
  const last = events.reduce<bigint | null>((m, e) => (m === null || e.position > m ? e.position : m), null);
  const byStream = (kind: 'meals' | 'food') => {
    const groups = new Map<string, Recorded[]>();
    for (const e of events) if (kindOf(e.stream) === kind) groups.set(e.stream, [...(groups.get(e.stream) ?? []), e]);
    return [...groups].sort(([a], [b]) => a.localeCompare(b));
  };
  // A meals stream holds meal-voucher events and a food stream wallet events (the deciders' evolve refuses any other type).
  const asDomain = <E extends LedgerEvent>(es: readonly Recorded[]) => es as readonly LedgerEvent[] as readonly E[];
  return {
    familyId,
    asOf,
    events: events.length,
    lastPosition: last,
    vouchers: summariseVouchers(events),
    mealVouchers: byStream('meals').map(([stream, es]) => ({ stream, state: fold(mealVoucher, asDomain<MealVoucherEvent>(es)) })),
    foodWallets: byStream('food').map(([stream, es]) => ({ stream, state: fold(foodWallet, asDomain<FoodWalletEvent>(es)) })),
  };
}
