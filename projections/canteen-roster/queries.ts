/** The canteen roster as a device downloads it: whole, or the rows changed since its cursor. */
import type { Pool } from 'pg';
import { cardDigest, rosterCardKey } from './cards';

export interface RosterEntry {
  readonly pupilId: string;
  readonly voucherId: string;
  readonly validFrom: string;
  readonly validUntil: string;
  /** Activated, not expired, not suspended for the month, still at this school. */
  readonly servable: boolean;
  /** The digest of the pupil's IIN under the school's card key (cards.ts); absent once the IIN is forgotten. */
  readonly card?: string;
}

export interface RosterPage {
  readonly schoolId: string;
  /** Give it back as `since` to get only what changed after this answer. */
  readonly cursor: string;
  /** The school's card key, base64url: a card's digest is HMAC-SHA256(key, IIN), base64url, first 22 characters. */
  readonly cardKey: string;
  readonly entries: readonly RosterEntry[];
}

/** Where card digests come from: the IINs still kept (the vault), and the secret the keys derive from. */
export interface RosterCards {
  readonly secret: string;
  iinsOf(pupilIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** Rows per answer; a device that is behind by more asks again from the cursor it got. */
export const MAX_ROSTER_PAGE = 5_000;

/** The position of the school's latest roster change (0 when none): the roster's version, for its ETag. */
export async function rosterHead(pool: Pool, schoolId: string): Promise<bigint> {
  const { rows } = await pool.query<{ head: string | null }>('select max(position)::text as head from canteen_roster where school_id = $1', [schoolId]);
  return BigInt(rows[0]?.head ?? '0');
}

/**
 * Without `since`: every servable voucher of the school. With it: every row of the school whose
 * position moved after it, servable or not (so a device drops the ones that no longer are).
 */
export async function canteenRoster(pool: Pool, cards: RosterCards, schoolId: string, since?: bigint): Promise<RosterPage> {
  const { rows } = await pool.query<{ pupil_id: string; voucher_id: string; valid_from: string; valid_until: string; servable: boolean; position: string }>(
    `select pupil_id, voucher_id, to_char(valid_from, 'YYYY-MM-DD') as valid_from, to_char(valid_until, 'YYYY-MM-DD') as valid_until,
            (activated and not expired and suspended_month is null and not left_school) as servable, position::text
       from canteen_roster
      where school_id = $1 and position > $2 ${since === undefined ? 'and activated and not expired and suspended_month is null and not left_school' : ''}
      order by position, voucher_id limit $3`,
    [schoolId, (since ?? 0n).toString(), MAX_ROSTER_PAGE],
  );
  const last = rows.at(-1)?.position;
  // A full answer cut at the page size continues by cursor; a full answer that fit is current up to its last row.
  const cursor = last ?? (since ?? 0n).toString();
  const cardKey = rosterCardKey(cards.secret, schoolId);
  const iins = rows.length > 0 ? await cards.iinsOf([...new Set(rows.map((r) => r.pupil_id))]) : new Map<string, string>();
  return {
    schoolId,
    cursor,
    cardKey: cardKey.toString('base64url'),
    entries: rows.map((r) => {
      const iin = iins.get(r.pupil_id);
      return {
        pupilId: r.pupil_id,
        voucherId: r.voucher_id,
        validFrom: r.valid_from,
        validUntil: r.valid_until,
        servable: r.servable,
        ...(iin ? { card: cardDigest(cardKey, iin) } : {}),
      };
    }),
  };
}
