/**
 * An evidence bundle for a family (docs/EVIDENCE.md "Evidence bundles"): one JSON document with
 * every event of the family as the chain hashed it, the family's vouchers as of chosen instants
 * (folded from those events), the reported figures those events count in, and the chain proofs —
 * leaf → block → signed checkpoint — with the public keys, so that scripts/verify-bundle.mjs can
 * check it offline. Names, IINs and phones are not in it: the events never held them.
 */
import type { EventStore } from '../../adapters/eventstore/port';
import type { Pool } from '../../adapters/postgres/pool';
import { chainProofs, type ChainProofs } from '../../adapters/evidence/proofs';
import type { Instant } from '../../domain/shared/calendar';
import { familyAsOf, type FamilyAsOf } from './as-of';
import { familyHistory, MAX_HISTORY_PAGE, type FamilyEventRef } from './queries';

export const BUNDLE_KIND = 'swl.bundle.v1';

export interface FamilyBundle {
  readonly kind: typeof BUNDLE_KIND;
  readonly familyId: string;
  readonly madeAt: Instant;
  /** How to check it: the command, and where the operator publishes its keys. */
  readonly verify: string;
  readonly history: readonly { readonly position: string; readonly type: string; readonly stream: string; readonly recordedAt: string }[];
  readonly states: readonly { readonly asOf: Instant; readonly state: FamilyAsOf }[];
  /** Each reported figure the family's events count in, with those events' positions. */
  readonly figures: readonly { readonly report: string; readonly figure: string; readonly positions: readonly string[] }[];
  readonly proofs: ChainProofs;
  readonly publicKeys: readonly { readonly keyId: string; readonly publicKeyPem: string }[];
}

async function allHistory(pool: Pool, familyId: string): Promise<FamilyEventRef[]> {
  const out: FamilyEventRef[] = [];
  for (;;) {
    const page = await familyHistory(pool, familyId, { after: out.at(-1)?.position ?? 0n, limit: MAX_HISTORY_PAGE });
    out.push(...page);
    if (page.length < MAX_HISTORY_PAGE) return out;
  }
}

async function figuresCounting(pool: Pool, positions: readonly bigint[]): Promise<FamilyBundle['figures']> {
  const { rows } = await pool.query<{ report: string; figure: string; positions: string[] }>(
    `select report, figure, array_agg(position::text order by position) as positions
     from figure_events where position = any($1::bigint[]) group by report, figure order by report, figure`,
    [positions],
  );
  return rows;
}

export async function familyBundle(
  deps: { pool: Pool; store: EventStore; publicKeys: FamilyBundle['publicKeys'] },
  familyId: string,
  options: { now: Instant; asOf: readonly Instant[] },
): Promise<FamilyBundle> {
  const history = await allHistory(deps.pool, familyId);
  const positions = history.map((h) => h.position);
  const instants = options.asOf.length > 0 ? options.asOf : [options.now];
  const states = [];
  for (const asOf of instants) states.push({ asOf, state: await familyAsOf(deps.pool, deps.store, familyId, asOf) });
  return {
    kind: BUNDLE_KIND,
    familyId,
    madeAt: options.now,
    verify: 'node scripts/verify-bundle.mjs <this file> --key <the checkpoint public key from GET /v1/evidence/checkpoints>',
    history: history.map((h) => ({ position: h.position.toString(), type: h.type, stream: h.stream, recordedAt: h.recordedAt })),
    states,
    figures: await figuresCounting(deps.pool, positions),
    proofs: await chainProofs(deps.pool, positions),
    publicKeys: deps.publicKeys,
  };
}
