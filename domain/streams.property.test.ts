/** Stream names round-trip: every name built from any ids parses back to those ids, and no two kinds' names meet. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStream, streamOf, type StreamName } from './streams';

/** Ids as the API admits them (api/schemas.ts idSchema), biased toward the separators names use. */
const id = fc.stringMatching(/^[A-Za-z0-9._:~-]{1,24}$/).chain((s) => fc.constantFrom(s, `${s}-2026-03`, `hold-${s}`, `${s}~2025-2026`, `-${s}-`));
const month = fc.tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const date = month.chain((m) => fc.integer({ min: 1, max: 28 }).map((d) => `${m}-${String(d).padStart(2, '0')}`));
const schoolYear = fc.integer({ min: 2000, max: 2098 }).map((y) => `${y}-${y + 1}`);
/** A hold id is an idSchema id (no `/`); a shop id comes from a token and may hold anything but `/` at its end. */
const name: fc.Arbitrary<StreamName> = fc.oneof(
  fc.record({ kind: fc.constant('list' as const), source: fc.constantFrom('sdu' as const, 'nobd' as const), listId: id }),
  fc.record({ kind: fc.constant('consentMeals' as const), pupilId: id, schoolYear }),
  fc.record({ kind: fc.constant('consentFood' as const), familyId: id, month }),
  fc.record({ kind: fc.constant('meals' as const), pupilId: id, schoolYear }),
  fc.record({ kind: fc.constant('food' as const), familyId: id, month }),
  fc.record({
    kind: fc.constant('foodHold' as const),
    shopId: fc.oneof(
      id,
      id.map((s) => `${s}/x`),
    ),
    holdId: id,
  }),
  fc.record({ kind: fc.constant('canteen' as const), deviceId: id }),
  fc.record({ kind: fc.constant('feedback' as const), familyId: id }),
  fc.record({ kind: fc.constant('schoolLists' as const), schoolId: id, schoolYear }),
  fc.record({ kind: fc.constant('registryShop' as const), shopId: id }),
  fc.record({ kind: fc.constant('registrySchool' as const), schoolId: id }),
  fc.record({ kind: fc.constant('registryDevice' as const), deviceId: id }),
  fc.record({ kind: fc.constant('person' as const), personId: id }),
  fc.record({ kind: fc.constant('personMonth' as const), personId: id, month }),
  fc.record({ kind: fc.constant('foodConsent' as const), familyId: id }),
  fc.record({ kind: fc.constant('settlementWindow' as const), windowId: date }),
  fc.record({ kind: fc.constant('statement' as const), shopId: id, windowId: date }),
  fc.record({ kind: fc.constant('paymentOrders' as const), schoolId: id, month }),
  fc.record({ kind: fc.constant('payout' as const), payableId: id }),
  fc.record({ kind: fc.constant('payoutBatch' as const), batchId: id }),
  fc.record({ kind: fc.constant('productCatalogue' as const), catalogueId: id }),
);

describe('stream names', () => {
  it('parse back to what they were built from, for every kind and any ids', () => {
    fc.assert(
      fc.property(name, (n) => {
        expect(parseStream(streamOf(n))).toEqual(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('a family whose id starts with hold- has a wallet, not a hold index; a shop id with a dash names its own hold', () => {
    expect(parseStream('food-hold-x-2026-03')).toEqual({ kind: 'food', familyId: 'hold-x', month: '2026-03' });
    expect(parseStream(streamOf({ kind: 'foodHold', shopId: 'a-b', holdId: 'c' }))).not.toEqual(
      parseStream(streamOf({ kind: 'foodHold', shopId: 'a', holdId: 'b-c' })),
    );
  });

  it('names no kind has are not parsed', () => {
    for (const stream of ['', 'food-', 'meals-p-2025', 'list-other-1', 'unknown-1']) expect(parseStream(stream)).toBeUndefined();
  });
});
