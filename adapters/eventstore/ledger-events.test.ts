/**
 * The read boundary: what the deciders write parses back to itself, and what they could not have
 * written is refused with the event and the path that failed.
 */
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../test/projections/history';
import { recorded } from '../../test/projections/harness';
import { EVENT_DATA_SCHEMAS } from '../../domain/event-schemas';
import type { RecordedEvent } from './port';
import { parseRecorded, StoredEventInvalid } from './ledger-events';

const stored = (type: string, data: unknown, metadata: Record<string, unknown> = {}): RecordedEvent => ({
  id: 'e-1',
  type,
  data,
  metadata: { commandId: 'c', correlationId: 'c', causationId: 'c', actor: { role: 'shop', id: 's-1' }, recordedAt: '2026-03-05T04:00:00.000Z', ...metadata },
  stream: 'food-fam-1-2026-03',
  streamVersion: 4n,
  position: 42n,
});
const captured = {
  holdId: 'h-1',
  shopId: 's-1',
  lines: [{ sku: '4870001', name: 'Milk', category: 'dairy', quantity: 2, unit: 'pcs', unitPriceTiyn: 45_000, lineTiyn: 90_000, eligible: true }],
  capturedTiyn: 90_000,
  releasedTiyn: 0,
  allocations: [{ voucherId: 'v-1', amountTiyn: 90_000 }],
  paymentStatus: 'paid',
  capturedAt: '2026-03-05T04:00:00.000Z',
};
const failure = (event: RecordedEvent): StoredEventInvalid => {
  try {
    parseRecorded(event);
  } catch (error) {
    if (error instanceof StoredEventInvalid) return error;
    throw error;
  }
  throw new Error(`${event.type} parsed`);
};

describe('what the deciders write', () => {
  it('parses back to itself, for every event type a long generated history holds', () => {
    const seen = new Set<string>();
    let position = 0n;
    for (const { stream, event } of generateHistory({ seed: 7, pupils: 30, familyMonths: 30, cohortSize: 10 })) {
      const original = recorded(stream, ++position, event);
      const parsed = parseRecorded(original);
      expect(parsed).toEqual(original);
      seen.add(event.type);
    }
    // The generator covers the programs' events, the hot path's among them; the rest (the registry's,
    // the monthly list's) is parsed by every suite that goes through the services (StreamStates).
    const hot = [
      'ListRowAccepted',
      'ConsentCaseOpened',
      'ConsentGiven',
      'MealVoucherIssued',
      'MealServed',
      'FoodVouchersIssued',
      'FoodPurchaseAuthorized',
      'FoodPurchaseCaptured',
      'DeadlineScheduled',
    ];
    expect(hot.filter((type) => !seen.has(type))).toEqual([]);
    expect(hot.every((type) => Object.hasOwn(EVENT_DATA_SCHEMAS, type))).toBe(true);
  });

  it('keeps metadata keys the catalogue does not name (the port allows any)', () => {
    expect(parseRecorded(stored('FoodPurchaseCaptured', captured, { traceparent: 't-1' })).metadata.traceparent).toBe('t-1');
  });
});

describe('what they could not have written', () => {
  it('an unknown type is refused, naming the event', () => {
    const error = failure(stored('FoodPurchaseRefunded', {}));
    expect(error.message).toBe(
      'stored event e-1 (position 42, stream food-fam-1-2026-03 version 4, type FoodPurchaseRefunded) does not parse: type: not an event type of the catalogue (domain/events.ts)',
    );
  });

  it('a wrong value deep inside is refused with its zod path', () => {
    const error = failure(stored('FoodPurchaseCaptured', { ...captured, lines: [{ ...captured.lines[0], lineTiyn: 900.5 }] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['data.lines.0.lineTiyn']);
  });

  it('a missing field, a key the catalogue does not know and negative money are each refused', () => {
    const { capturedAt: _capturedAt, ...withoutTime } = captured;
    expect(failure(stored('FoodPurchaseCaptured', withoutTime)).issues.map((issue) => issue.path)).toEqual(['data.capturedAt']);
    expect(failure(stored('FoodPurchaseCaptured', { ...captured, refundTiyn: 5 })).issues[0]!.message).toMatch(/refundTiyn/);
    expect(failure(stored('FoodPurchaseCaptured', { ...captured, releasedTiyn: -1 })).issues.map((issue) => issue.path)).toEqual(['data.releasedTiyn']);
  });

  it('broken metadata is refused too, with data and metadata issues together', () => {
    const error = failure(stored('FoodPurchaseCaptured', { ...captured, paymentStatus: 'pending' }, { recordedAt: 'yesterday' }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['data.paymentStatus', 'metadata.recordedAt']);
  });
});
