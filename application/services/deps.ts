/**
 * What the voucher services need from the world. Kept structural (no import of the vault or
 * e-Otinish adapters' concrete types) so either side can change its internals freely.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../adapters/clock/clock';
import { QR_NONCE_BYTES, type QrSigningKeys } from '../../adapters/qr/tokens';
import { FOOD_VOUCHERS, type FoodVouchersProgram } from '../../domain/programs/food-vouchers';
import { SCHOOL_MEALS, type SchoolMealsProgram } from '../../domain/programs/school-meals';
import type { StreamStates } from '../stream-states';
import type { CounterpartGate } from '../registry/view';
import type { CatalogueInForce } from '../catalogue/view';
import { EMPTY_PRODUCT_CATALOGUE } from '../../domain/catalogue/catalogue';

/** The slice of the vault the canteen needs: IIN read from an ID card → pseudonymous personId. */
export interface PersonPseudonymiser {
  pseudonymise(iin: string): string | Promise<string>;
}

/** The slice of the vault that keeps what a citizen wrote, sealed under their own key (forgettable). */
export interface TextKeeper {
  keepText(personId: string, textId: string, text: string, retainUntil?: string): Promise<void>;
  /** The text, or undefined once forgotten: the e-Otinish outbox reads it when it forwards. */
  textOf(textId: string): Promise<string | undefined>;
}

export interface VoucherServiceDeps {
  /** Streams read and folded through the process's one StreamStates (application/stream-states.ts). */
  readonly states: StreamStates;
  /** Admits a shop's or a canteen device's call from the registry held in memory (application/registry/view.ts). */
  readonly counterparts: CounterpartGate;
  /** Decisions take `meta.now`; the clock is for callers that build metadata. */
  readonly clock?: Clock;
  readonly vault: PersonPseudonymiser;
  /** Signing needs the private key; verifying (canteen, shop) only the public one. */
  readonly qrKeys: QrSigningKeys;
  readonly programs?: { readonly meals?: SchoolMealsProgram; readonly food?: FoodVouchersProgram };
  /**
   * The product catalogue version in force, held in memory (application/catalogue/view.ts):
   * authorize judges each line by it. Default: the empty catalogue (nothing is eligible) — never
   * the SAMPLE, which reaches a service only when published as a version.
   */
  readonly catalogue?: CatalogueInForce;
  /** Where complaint texts are kept (never in an event): the vault. */
  readonly texts?: TextKeeper;
  /** Nonce bytes for QR tokens (tests pass a deterministic source). */
  readonly nonce?: () => Buffer;
}

export interface ResolvedDeps extends VoucherServiceDeps {
  readonly meals: SchoolMealsProgram;
  readonly food: FoodVouchersProgram;
  readonly catalogue: CatalogueInForce;
  readonly nonce: () => Buffer;
}

export function resolveDeps(deps: VoucherServiceDeps): ResolvedDeps {
  return {
    ...deps,
    meals: deps.programs?.meals ?? SCHOOL_MEALS,
    food: deps.programs?.food ?? FOOD_VOUCHERS,
    catalogue: deps.catalogue ?? { current: () => EMPTY_PRODUCT_CATALOGUE },
    nonce: deps.nonce ?? (() => randomBytes(QR_NONCE_BYTES)),
  };
}
