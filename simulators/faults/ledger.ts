/**
 * The fault suite's books: every write the service acknowledged (client side), and the checks made
 * against the database once the service has recovered — none lost, none doubled, balances that
 * conserve, read models at the head of the log, and retries with the same Idempotency-Key that get
 * the first answer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pool } from '../../adapters/postgres/pool';
import { balanceViolations } from '../../projections/balances/queries';
import type { Acknowledged } from '../load';
import { bearer, type Http } from '../http';

export interface FaultChecks {
  readonly acknowledged: number;
  readonly lost: number;
  readonly doubled: number;
  /** Rows where issued ≠ spent + held + lapsed + available, and whether spent equals the captures in the log. */
  readonly balances: { readonly violations: number; readonly spentMatchesLog: boolean };
  readonly projectionsAtHead: boolean;
  readonly replays: { readonly sent: number; readonly differing: number };
  /** A few examples of what failed, for the report. */
  readonly examples: readonly string[];
}

/** Meal records acknowledged as recorded: the (device, seq) pairs of a batch's answer. */
function mealsOf(ack: Acknowledged): string[] {
  const records = (ack.body as { records: { seq: number }[] }).records;
  const results = (ack.answer as { results: { outcome: string }[] }).results;
  // batchId = {deviceId}-{YYYY-MM-DD}-{offset} (simulators/load.ts).
  const deviceId = /^(.*)-\d{4}-\d{2}-\d{2}-\d+$/.exec((ack.body as { batchId: string }).batchId)?.[1] ?? '';
  return records.flatMap((r, i) => (results[i]?.outcome === 'meal_recorded' ? [`${deviceId}#${r.seq}`] : []));
}

/** Counts, per acknowledged thing, how many events record it: 0 is lost, more than 1 doubled. */
export async function countLostAndDoubled(pool: Pool, acks: readonly Acknowledged[]): Promise<{ lost: number; doubled: number; examples: string[] }> {
  const holds = acks.filter((a) => a.op === 'authorize').map((a) => (a.answer as { holdId: string }).holdId);
  const captures = acks.filter((a) => a.op === 'capture').map((a) => a.path.split('/')[4]!);
  const meals = [...new Set(acks.filter((a) => a.op === 'canteen_batch').flatMap(mealsOf))];
  const counted = async (sql: string, keys: readonly string[]) => {
    const { rows } = await pool.query<{ key: string; n: number }>(sql, [keys]);
    return new Map(rows.map((r) => [r.key, r.n]));
  };
  const authorized = await counted(
    "select data->>'holdId' as key, count(*)::int as n from events where type = 'FoodPurchaseAuthorized' and data->>'holdId' = any($1) group by 1",
    holds,
  );
  const captured = await counted(
    "select data->>'holdId' as key, count(*)::int as n from events where type = 'FoodPurchaseCaptured' and data->>'holdId' = any($1) group by 1",
    captures,
  );
  const served = await counted(
    "select (data->>'deviceId') || '#' || (data->>'seq') as key, count(*)::int as n from events where type = 'MealServed' and (data->>'deviceId') || '#' || (data->>'seq') = any($1) group by 1",
    meals,
  );
  const examples: string[] = [];
  let lost = 0;
  let doubled = 0;
  for (const [what, keys, found] of [
    ['authorization', holds, authorized],
    ['capture', captures, captured],
    ['meal', meals, served],
  ] as const) {
    for (const key of keys) {
      const n = found.get(key) ?? 0;
      if (n === 0) lost++;
      if (n > 1) doubled++;
      if (n !== 1 && examples.length < 5) examples.push(`${what} ${key}: ${n} events`);
    }
  }
  // Doubles the client never saw acknowledged: one key, two authorizations (a retry recorded twice).
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from (select metadata->>'commandId' from events where type in ('FoodPurchaseAuthorized', 'FoodPurchaseCaptured') group by 1, type having count(*) > 1) twice",
  );
  doubled += rows[0]!.n;
  if (rows[0]!.n > 0) examples.push(`${rows[0]!.n} idempotency keys recorded twice`);
  return { lost, doubled, examples };
}

/**
 * A canteen batch has no Idempotency-Key: it is idempotent per device record, and a record sent
 * again is answered with its first outcome marked `repeated` (docs/API.md). That mark aside, the
 * answer must be the first one.
 */
function comparable(ack: Acknowledged, answer: unknown): unknown {
  if (ack.op !== 'canteen_batch') return answer;
  const results = (answer as { results?: Record<string, unknown>[] } | undefined)?.results;
  return results?.map(({ repeated: _repeated, ...rest }) => rest);
}

/** Every acknowledged write sent again as it was (key and body): the answer must be the first one. */
export async function replayAll(http: Http, acks: readonly Acknowledged[]): Promise<{ sent: number; differing: number; examples: string[] }> {
  let differing = 0;
  const examples: string[] = [];
  for (const ack of acks) {
    const again = await http.replay('POST', ack.path, {
      token: ack.token,
      body: ack.body,
      ...(ack.idempotencyKey ? { idempotencyKey: ack.idempotencyKey } : {}),
    });
    if (again.status !== ack.status || !isDeepStrictEqual(comparable(ack, again.body), comparable(ack, ack.answer))) {
      differing++;
      if (examples.length < 3)
        examples.push(`${ack.op} ${ack.idempotencyKey ?? ''}: first ${ack.status}, again ${again.status} ${JSON.stringify(again.body).slice(0, 160)}`);
    }
  }
  return { sent: acks.length, differing, examples };
}

export async function balancesConserve(pool: Pool): Promise<FaultChecks['balances']> {
  const { vouchers, familyMonths } = await balanceViolations(pool);
  const { rows } = await pool.query<{ spent: string; captured: string }>(
    "select (select coalesce(sum(spent_tiyn), 0) from balances_family_months)::text as spent, (select coalesce(sum((data->>'capturedTiyn')::bigint), 0) from events where type = 'FoodPurchaseCaptured')::text as captured",
  );
  return { violations: vouchers + familyMonths, spentMatchesLog: rows[0]!.spent === rows[0]!.captured };
}

/** Waits until every read model has applied the head of the log (GET /v1/ops/projections). */
export async function projectionsReachHead(http: Http, operatorToken: string, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const reply = await http.send(http.api.GET('/v1/ops/projections', { headers: bearer(operatorToken) })).catch(() => undefined);
    const models = reply?.body.projections ?? [];
    if (models.length > 0 && models.every((p) => p.lagEvents === 0 && (p.status ?? 'live') === 'live')) return true;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return false;
}
