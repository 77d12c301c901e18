/**
 * Behaviour models: how citizens, shops, canteens and their devices act. Every knob is a
 * parameter with a default near what a pilot would see; the CLI takes them as JSON
 * (`--behaviour '{"consent":{"answers":{"yes":0.5,…}}}'`) merged over these defaults.
 * Money is integer tiyn; times are hours or minutes of virtual time.
 */
import { FOOD_CATEGORIES, SAMPLE_CATALOGUE } from '../domain/programs/food-list';
import type { FoodUnit } from '../domain/events';
import type { Rng } from './rng';

export interface ConsentBehaviour {
  /** What the SMS recipient does: answers yes, no, never, or sends something unreadable first. */
  readonly answers: { readonly yes: number; readonly no: number; readonly never: number; readonly garbage: number };
  /** After a garbage reply, the share who then send a proper yes. */
  readonly garbageThenYes: number;
  /** Reply delay after the SMS, exponential with this mean (hours); capped at `replyDelayMaxHours`. */
  readonly replyDelayMeanHours: number;
  /** Beyond this a person who meant to answer simply never does (then the reminder may catch them). */
  readonly replyDelayMaxHours: number;
  /** Of those who never answered the first SMS, the share who answer the reminder (with yes). */
  readonly answerAfterReminder: number;
  /** Share of outbound SMS the gateway reports as failed once (the ledger retries them). */
  readonly smsFailure: number;
}

export interface ActivationBehaviour {
  /** Share of consenting families / parents who never activate. */
  readonly never: number;
  /** Delay from consent (or issue) to activation, exponential mean (hours). */
  readonly delayMeanHours: number;
  /**
   * Food: share of family heads who activate the month's vouchers with one "activate all"
   * (POST /v1/me/food-vouchers/{month}/activate); the others activate each member's voucher.
   */
  readonly allAtOnce: number;
}

export interface ShoppingBehaviour {
  /** Shop visits per month of an activated family (mean; 1 + Poisson-like spread). */
  readonly visitsPerMonth: number;
  /** Items per basket (uniform). */
  readonly itemsMin: number;
  readonly itemsMax: number;
  /** Share of basket items that are not socially significant food (paid by the customer). */
  readonly nonEligibleShare: number;
  /** Share of visits that ask the balance first. */
  readonly balanceQuery: number;
  /** Share of holds the shop voids instead of capturing. */
  readonly voids: number;
  /** Share of holds left open (the customer walks away): they expire after the TTL. */
  readonly abandoned: number;
  /** Share of captures with fewer items than authorized (one item taken off at the till). */
  readonly partialCapture: number;
  /** Shops per pilot city. */
  readonly shopsPerCity: number;
}

export interface CanteenBehaviour {
  /** Share of pupils with an active voucher who eat on a school day. */
  readonly attendance: number;
  /** Share of meals recorded by dynamic QR (the rest by ID card). */
  readonly qrShare: number;
  /** Share of device-days the device is offline and syncs the next morning. */
  readonly offlineDeviceDays: number;
  /** Hours after lunch an online device syncs its batch. */
  readonly syncDelayHours: number;
  /** Share of batches resent (a lost acknowledgement). */
  readonly duplicateResend: number;
  /** Share of pupil-days scanned twice (a second queue the same day): refused, recorded as refused. */
  readonly secondScan: number;
  /** Records per batch upload. */
  readonly batchSize: number;
}

/**
 * School meals: how NOBD's monthly list of a school changes from one month to the next (seed 002:
 * «на ежемесячной основе в НОБД формирует список обучающихся, которым положена услуга»). Shares are
 * per pupil and month; the first month's list names every pupil who is not a newcomer.
 */
export interface ListsBehaviour {
  /** Share of pupils with a voucher (or whose case ended) who are absent from the next month's list. */
  readonly leave: number;
  /** Share of those absent who are on the list again the month after. */
  readonly comeBack: number;
  /** Share of pupils with a voucher the next list names at another school of the same region. */
  readonly transfer: number;
  /** Share of pupils with a voucher the next list names in another grade. */
  readonly gradeMove: number;
  /** Share of pupils first named by a later month's list (none when the run has one month). */
  readonly newcomers: number;
  /** Share of pupils whose case ended "no phone" whose parent is in BMG's next load. */
  readonly phoneFound: number;
  /** Share of school days a pupil absent from the month's list still comes to lunch (the device is refused). */
  readonly suspendedStillCome: number;
}

export interface Behaviour {
  readonly consent: ConsentBehaviour;
  readonly lists: ListsBehaviour;
  readonly activation: ActivationBehaviour;
  readonly shopping: ShoppingBehaviour;
  readonly canteen: CanteenBehaviour;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  consent: {
    answers: { yes: 0.78, no: 0.05, never: 0.12, garbage: 0.05 },
    garbageThenYes: 0.6,
    replyDelayMeanHours: 14,
    replyDelayMaxHours: 24 * 20,
    answerAfterReminder: 0.4,
    smsFailure: 0.01,
  },
  lists: { leave: 0.03, comeBack: 0.5, transfer: 0.02, gradeMove: 0.01, newcomers: 0.04, phoneFound: 0.3, suspendedStillCome: 0.3 },
  activation: { never: 0.06, delayMeanHours: 30, allAtOnce: 0.7 },
  shopping: {
    visitsPerMonth: 3,
    itemsMin: 2,
    itemsMax: 8,
    nonEligibleShare: 0.2,
    balanceQuery: 0.3,
    voids: 0.03,
    abandoned: 0.02,
    partialCapture: 0.05,
    shopsPerCity: 8,
  },
  canteen: {
    attendance: 0.93,
    qrShare: 0.3,
    offlineDeviceDays: 0.1,
    syncDelayHours: 1,
    duplicateResend: 0.05,
    secondScan: 0.01,
    batchSize: 500,
  },
};

/** Deep-merges a partial behaviour (from JSON) over the defaults; unknown keys are refused. */
export function behaviourFrom(partial: unknown, base: Behaviour = DEFAULT_BEHAVIOUR): Behaviour {
  return merge(base, partial ?? {}, 'behaviour') as Behaviour;
}

function merge(base: unknown, over: unknown, path: string): unknown {
  if (typeof base !== 'object' || base === null) {
    if (typeof over !== typeof base) throw new Error(`${path}: expected a ${typeof base}`);
    return over;
  }
  if (typeof over !== 'object' || over === null || Array.isArray(over)) throw new Error(`${path}: expected an object`);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) {
    if (!(key in out)) throw new Error(`${path}.${key}: no such parameter`);
    out[key] = merge(out[key], value, `${path}.${key}`);
  }
  return out;
}

// ── goods ─────────────────────────────────────────────────────────────────────────────────
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly unit: FoodUnit;
  /** Pack size in the unit (grams, millilitres or pieces). */
  readonly pack: number;
  /** Price per unit (per gram, millilitre or piece), integer tiyn. */
  readonly unitPriceTiyn: number;
  readonly eligible: boolean;
}

/** Shelf prices (SAMPLE, KZT per pack) of the socially significant list, by category. */
const PACK_PRICES_KZT: Readonly<Record<string, { pack: number; kzt: number }>> = {
  wheat_flour: { pack: 2000, kzt: 560 },
  wheat_bread: { pack: 1, kzt: 160 },
  pasta: { pack: 1000, kzt: 420 },
  buckwheat: { pack: 1000, kzt: 600 },
  rice: { pack: 1000, kzt: 640 },
  potato: { pack: 3000, kzt: 540 },
  carrot: { pack: 1000, kzt: 220 },
  onion: { pack: 1000, kzt: 200 },
  cabbage: { pack: 2000, kzt: 300 },
  sugar: { pack: 1000, kzt: 480 },
  sunflower_oil: { pack: 1000, kzt: 900 },
  beef: { pack: 1000, kzt: 3600 },
  chicken: { pack: 1000, kzt: 1500 },
  milk: { pack: 1000, kzt: 500 },
  kefir: { pack: 1000, kzt: 540 },
  butter: { pack: 200, kzt: 1000 },
  eggs: { pack: 10, kzt: 700 },
  salt: { pack: 1000, kzt: 100 },
  cottage_cheese: { pack: 500, kzt: 1100 },
};

/** The eligible goods: the SAMPLE catalogue with per-unit prices that divide the pack price exactly. */
export const ELIGIBLE_PRODUCTS: readonly Product[] = Object.entries(SAMPLE_CATALOGUE).map(([sku, categoryId]) => {
  const category = FOOD_CATEGORIES.find((c) => c.id === categoryId)!;
  const price = PACK_PRICES_KZT[categoryId] ?? { pack: 1, kzt: 500 };
  return {
    sku,
    name: category.nameRu,
    unit: category.unit,
    pack: price.pack,
    unitPriceTiyn: Math.max(1, Math.round((price.kzt * 100) / price.pack)),
    eligible: true,
  };
});

/** Goods that are not on the list (paid by the customer): codes outside the SAMPLE catalogue. */
export const OTHER_PRODUCTS: readonly Product[] = [
  { sku: '4870001000011', name: 'Шоколад молочный', unit: 'pcs', pack: 1, unitPriceTiyn: 65_000, eligible: false },
  { sku: '4870001000028', name: 'Кофе растворимый', unit: 'pcs', pack: 1, unitPriceTiyn: 240_000, eligible: false },
  { sku: '4870001000035', name: 'Мыло хозяйственное', unit: 'pcs', pack: 1, unitPriceTiyn: 35_000, eligible: false },
  { sku: '4870001000042', name: 'Газированный напиток 1 л', unit: 'pcs', pack: 1, unitPriceTiyn: 45_000, eligible: false },
  { sku: '4870001000059', name: 'Стиральный порошок', unit: 'pcs', pack: 1, unitPriceTiyn: 190_000, eligible: false },
  { sku: '4870001000066', name: 'Чай чёрный', unit: 'pcs', pack: 1, unitPriceTiyn: 120_000, eligible: false },
];

export interface BasketItem {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unit: FoodUnit;
  readonly unitPriceTiyn: number;
  readonly eligible: boolean;
  readonly lineTiyn: number;
}

export function drawBasket(rng: Rng, shopping: ShoppingBehaviour): BasketItem[] {
  const count = rng.int(shopping.itemsMin, shopping.itemsMax);
  const items: BasketItem[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const product = rng.chance(shopping.nonEligibleShare) ? rng.pick(OTHER_PRODUCTS) : rng.pick(ELIGIBLE_PRODUCTS);
    if (seen.has(product.sku)) continue;
    seen.add(product.sku);
    const packs = rng.int(1, 2);
    const quantity = product.pack * packs;
    items.push({
      sku: product.sku,
      name: product.name,
      quantity,
      unit: product.unit,
      unitPriceTiyn: product.unitPriceTiyn,
      eligible: product.eligible,
      lineTiyn: product.unitPriceTiyn * quantity,
    });
  }
  return items;
}

/** Visits in a month: 1 + a Poisson draw around (mean − 1), by inversion (no Math.random). */
export function drawVisits(rng: Rng, mean: number): number {
  const lambda = Math.max(0, mean - 1);
  let k = 0;
  let p = Math.exp(-lambda);
  let cumulative = p;
  const u = rng.next();
  while (u > cumulative && k < 50) {
    k++;
    p = (p * lambda) / k;
    cumulative += p;
  }
  return 1 + k;
}
