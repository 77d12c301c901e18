/**
 * Validation and storage agree: every value the API accepts fits the read-model column it ends in.
 * A 32-bit `seq` column once refused the canteen's 2^31 (which the API accepts), and the табель
 * halted on it (issue 12). This test reads the real columns of every read model from Postgres:
 * - each narrow numeric column (integer, smallint, numeric…) must be listed below with what bounds
 *   its values, and that bound must fit the column's type — so a new integer column, a loosened
 *   API bound or a narrowed column fails here, not in production;
 * - every date and timestamptz column must take the extremes the API's date and instant schemas accept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../adapters/postgres/migrate';
import { freshDatabase } from '../test/pg';
import { projectionMigrations } from '../projections/runner';
import { allProjections } from './read-models';
import { instantSchema, localDateSchema, MAX_LIST_ROWS } from '../api/schemas';
import { canteenRecordSchema } from '../api/routes/canteen';
import { mealsRowSchema } from '../api/routes/lists';
import { MAX_FORWARD_ATTEMPTS, RATING_MAX } from '../domain/vouchers/feedback';

/** What bounds a narrow column: the largest value it can get (from the API's schema) or, for a counter, why it stays small. */
type Bound = { readonly max: number; readonly from: string } | { readonly counter: string };

const maxOf = (schema: { maxValue: number | null }): number => schema.maxValue ?? Number.POSITIVE_INFINITY;
const PER_EVENT_COUNTER = { counter: '+1 per event about one key (a school day, a family month, a shop day, a voucher): far below 2^31 events' };

const NARROW_COLUMNS: Record<string, Bound> = {
  'tabel_vouchers.grade': { max: maxOf(mealsRowSchema.shape.grade), from: 'meals list row grade (api/routes/lists.ts)' },
  'nobd_returned_rows.row_no': { max: MAX_LIST_ROWS, from: 'a list row number (MAX_LIST_ROWS rows per list, api/schemas.ts)' },
  'list_intake.row_count': { max: MAX_LIST_ROWS, from: 'rows of one list (MAX_LIST_ROWS, api/schemas.ts)' },
  'list_intake.accepted': { max: MAX_LIST_ROWS, from: 'accepted rows of one list (at most its MAX_LIST_ROWS rows)' },
  'list_intake.rejected': { max: MAX_LIST_ROWS, from: 'rejected rows of one list (at most its MAX_LIST_ROWS rows)' },
  ...Object.fromEntries(
    ['exchange_rows.row_no', 'exchange_cases.row_no', 'exchange_feed.row_no'].map((column) => [
      column,
      { max: MAX_LIST_ROWS, from: 'a list row number (MAX_LIST_ROWS rows per list, api/schemas.ts)' },
    ]),
  ),
  'exchange_feed.seq': { max: 0, from: 'one status change per event (projections/exchanges/projection.ts)' },
  'food_daily_activity.seq': { max: 0, from: 'one activation or purchase per event (projections/daily-reports/food-activity.ts)' },
  'feedback_outbox.rating': { max: RATING_MAX, from: 'a rating 1–5 (domain/vouchers/feedback.ts)' },
  'feedback_outbox.attempts': { max: MAX_FORWARD_ATTEMPTS, from: 'tries of the e-Otinish outbox (domain/vouchers/feedback.ts)' },
  ...Object.fromEntries(
    [
      'nobd_daily.consent_consented',
      'nobd_daily.consent_no_phone',
      'nobd_daily.consent_not_required',
      'nobd_daily.consent_refused',
      'nobd_daily.consent_timed_out',
      'nobd_daily.consent_undeliverable',
      'nobd_daily.meals_provided',
      'nobd_daily.rows_returned',
      'nobd_daily.vouchers_activated',
      'balances_family_months.vouchers',
      'balances_shop_days.purchases',
      'outcomes_pupil_months.meals',
      'outcomes_vouchers.meals',
      'sms_outbox.attempts',
    ].map((column) => [column, PER_EVENT_COUNTER]),
  ),
};

/** Edges an attacker or a sloppy device would try; those the schema accepts must be storable. */
const INSTANT_EDGES = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999-14:00',
  '9999-12-31T23:59:59.999999999-23:59',
  '2026-03-01T00:00:00+20:00',
  '2026-03-01T00:00:00.123456789Z',
];
const DATE_EDGES = ['0000-01-01', '0001-01-01', '9999-12-31', '2024-02-29'];

const NUMERIC_TYPES = new Set(['smallint', 'integer', 'numeric', 'real', 'double precision']);

describe('read models store every value the API accepts', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let columns: { table: string; column: string; type: string }[];
  beforeAll(async () => {
    db = await freshDatabase([...coreMigrations(), ...projectionMigrations(allProjections)]);
    const tables = allProjections.flatMap((p) => p.tables);
    const { rows } = await db.pool.query<{ table: string; column: string; type: string }>(
      'select table_name as table, column_name as column, data_type as type from information_schema.columns where table_schema = current_schema() and table_name = any($1::text[])',
      [tables],
    );
    columns = rows;
  });
  afterAll(async () => db?.drop());

  const fits = async (value: string | number, type: string) =>
    db.pool.query(`select $1::${type === 'timestamp with time zone' ? 'timestamptz' : type}`, [value]).then(
      () => true,
      () => false,
    );

  it('knows what bounds every narrow numeric column, and the bound fits the column', async () => {
    const narrow = columns.filter((c) => NUMERIC_TYPES.has(c.type));
    expect(narrow.length).toBeGreaterThan(0);
    expect(narrow.map((c) => `${c.table}.${c.column}`).sort()).toEqual(Object.keys(NARROW_COLUMNS).sort());
    for (const c of narrow) {
      const bound = NARROW_COLUMNS[`${c.table}.${c.column}`]!;
      if ('max' in bound) expect(await fits(bound.max, c.type), `${c.table}.${c.column} (${c.type}) must hold ${bound.max}: ${bound.from}`).toBe(true);
    }
  });

  it('the seq column holds the whole range a device may send (0 … 2^53 − 1)', async () => {
    const seq = columns.find((c) => c.table === 'tabel_meals' && c.column === 'seq')!;
    expect(await fits(maxOf(canteenRecordSchema.shape.seq), seq.type)).toBe(true);
  });

  it('every date and timestamptz column takes every extreme the API accepts', async () => {
    const dated = columns.filter((c) => c.type === 'date' || c.type === 'timestamp with time zone');
    expect(dated.length).toBeGreaterThan(5);
    const accepted = (schema: typeof instantSchema | typeof localDateSchema, edges: string[]) => edges.filter((v) => schema.safeParse(v).success);
    for (const type of new Set(dated.map((c) => c.type))) {
      const edges = type === 'date' ? accepted(localDateSchema, DATE_EDGES) : accepted(instantSchema, INSTANT_EDGES);
      expect(edges.length).toBeGreaterThan(2);
      for (const value of edges) expect(await fits(value, type), `${type} must take ${value}`).toBe(true);
    }
  });
});
