/**
 * The chain's definition: Merkle audit paths lead back to the root for every leaf of every tree
 * size (property), the RFC 6962 shape on small trees, and Postgres' swl_event_leaf computes the
 * same bytes as eventLeaf in JavaScript for awkward content (non-ASCII, escapes, big numbers).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { freshDatabase } from '../../test/pg';
import { eventLeaf, merklePath, merkleRoot, rootFromPath } from './chain-definition';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafOf = (n: number) => sha(Buffer.from(`leaf ${n}`));
const node = (a: Buffer, b: Buffer) => sha(Buffer.from([1]), a, b);

describe('Merkle trees (RFC 6962)', () => {
  it('are shaped as the RFC says for 0 to 3 leaves', () => {
    const [a, b, c] = [leafOf(0), leafOf(1), leafOf(2)];
    expect(merkleRoot([])).toEqual(sha(Buffer.alloc(0)));
    expect(merkleRoot([a])).toEqual(a);
    expect(merkleRoot([a, b])).toEqual(node(a, b));
    expect(merkleRoot([a, b, c])).toEqual(node(node(a, b), c));
  });

  it('give every leaf of every size a path back to the root, and no other leaf or index fits it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (size, pick) => {
        const leaves = Array.from({ length: size }, (_, i) => leafOf(i));
        const index = pick % size;
        const root = merkleRoot(leaves);
        const path = merklePath(leaves, index);
        expect(rootFromPath(leaves[index]!, index, size, path)).toEqual(root);
        expect(rootFromPath(leafOf(size + 1), index, size, path)).not.toEqual(root);
        if (size > 1) expect(rootFromPath(leaves[index]!, (index + 1) % size, size, path)).not.toEqual(root);
      }),
      { numRuns: 300 },
    );
  });
});

describe('an event leaf', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db?.drop());

  /** JSON texts as a client might send them (Postgres reprints them: key order, spacing, numbers). */
  const awkward: string[] = [
    JSON.stringify({ text: 'Әлеуметтік әмиян — «квота» 🍞', quote: 'a "b" \\ c', control: 'tab\tnew\nline\u0001' }),
    '{"big": 12345678901234567890, "float": 1.50, "negative": -0, "exp": 1e21, "list": [1, [2, {}], null, true]}',
    '{"z":1,"":"empty key","key with spaces":1,"aa":2,"b":3,"b":4}',
    '"a string document"',
    '[]',
  ];

  it.each(awkward.map((data, i) => [i, data] as const))('is the same in Postgres and JavaScript (case %i)', async (i, data) => {
    const id = `00000000-0000-4000-8000-00000000000${i}`;
    const { rows } = await db.pool.query<{ leaf: Buffer; position: string; data: string; metadata: string }>(
      `select swl_event_leaf($1, $2, $3, $4::uuid, $5, $6::jsonb, $7::jsonb) as leaf, $6::jsonb::text as data, $7::jsonb::text as metadata`,
      [
        4_294_967_296_000 + i,
        `stream-ä-${i}`,
        i,
        id,
        'Happened',
        data,
        JSON.stringify({ recordedAt: '2026-03-02T04:00:00.000Z', actor: { role: 'x', id: 'y' } }),
      ],
    );
    const row = rows[0]!;
    expect(row.leaf).toEqual(
      eventLeaf({
        position: BigInt(4_294_967_296_000 + i),
        stream: `stream-ä-${i}`,
        streamVersion: BigInt(i),
        id,
        type: 'Happened',
        data: row.data,
        metadata: row.metadata,
      }),
    );
  });
});
