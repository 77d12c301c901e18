import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { freshDatabase } from '../../test/pg';
import { arrayLiteral } from './batch-sql';

describe('array literals for unnest parameters', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => (db = await freshDatabase([])));
  afterAll(async () => db?.drop());

  const roundTrip = async (type: string, values: unknown[]) =>
    (await db.pool.query(`select $1::${type}[] as a`, [arrayLiteral(values)])).rows[0].a as unknown[];

  it('given awkward text (quotes, backslashes, braces, commas, NULL, empty, Cyrillic), then Postgres reads back the same values', async () => {
    const values = ['a"b', 'c\\d', '{x,y}', 'NULL', '', ' spaced ', 'Табель қазақша', null, '\\"', 'tab\there'];
    expect(await roundTrip('text', values)).toEqual(values);
  });

  it('given numbers, bigints and booleans, then they are sent unquoted and read back', async () => {
    // int8[] comes back as strings (the pool parses only scalar int8 to bigint).
    expect(await roundTrip('bigint', [1n, -5n, 9007199254740993n, null])).toEqual(['1', '-5', '9007199254740993', null]);
    expect(await roundTrip('integer', [0, -3, 42])).toEqual([0, -3, 42]);
    expect(await roundTrip('boolean', [true, false, null])).toEqual([true, false, null]);
  });

  it('any string survives the round trip', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.option(
            fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000')),
            { nil: null },
          ),
          { maxLength: 20 },
        ),
        async (values) => {
          expect(await roundTrip('text', values)).toEqual(values);
        },
      ),
      { numRuns: 100 },
    );
  });
});
