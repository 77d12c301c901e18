/** Reading balances: per family-month, per member voucher, per shop and day (tiyn as numbers). */
import type { Pool } from '../../adapters/postgres/pool';
import type { LocalDate, Month } from '../../domain/shared/calendar';
import type { Tiyn } from '../../domain/shared/money';

export interface Balance {
  readonly issuedTiyn: Tiyn;
  readonly activatedTiyn: Tiyn;
  readonly heldTiyn: Tiyn;
  readonly spentTiyn: Tiyn;
  readonly lapsedTiyn: Tiyn;
  readonly availableTiyn: Tiyn;
}

export interface VoucherBalance extends Balance {
  readonly voucherId: string;
  readonly familyId: string;
  readonly month: Month;
  readonly memberPersonId: string;
  readonly city: string;
  readonly activatedAt: string | null;
}

export interface FamilyMonthBalance extends Balance {
  readonly familyId: string;
  readonly month: Month;
  readonly city: string | null;
  readonly vouchers: number;
}

export interface ShopDay {
  readonly shopId: string;
  readonly day: LocalDate;
  readonly capturedTiyn: Tiyn;
  readonly purchases: number;
}

const MONEY = 'issued_tiyn, activated_tiyn, held_tiyn, spent_tiyn, lapsed_tiyn, available_tiyn';

const money = (r: Record<string, unknown>): Balance => ({
  issuedTiyn: Number(r.issued_tiyn),
  activatedTiyn: Number(r.activated_tiyn),
  heldTiyn: Number(r.held_tiyn),
  spentTiyn: Number(r.spent_tiyn),
  lapsedTiyn: Number(r.lapsed_tiyn),
  availableTiyn: Number(r.available_tiyn),
});

export async function familyMonthBalance(pool: Pool, familyId: string, month: Month): Promise<FamilyMonthBalance | undefined> {
  const { rows } = await pool.query(`select family_id, month, city, vouchers, ${MONEY} from balances_family_months where family_id = $1 and month = $2`, [
    familyId,
    month,
  ]);
  const r = rows[0] as Record<string, unknown> | undefined;
  return r ? { familyId, month, city: (r.city as string | null) ?? null, vouchers: Number(r.vouchers), ...money(r) } : undefined;
}

export async function familyMonths(pool: Pool, familyId: string): Promise<FamilyMonthBalance[]> {
  const { rows } = await pool.query(`select family_id, month, city, vouchers, ${MONEY} from balances_family_months where family_id = $1 order by month`, [
    familyId,
  ]);
  return rows.map((r: Record<string, unknown>) => ({
    familyId,
    month: r.month as string,
    city: (r.city as string | null) ?? null,
    vouchers: Number(r.vouchers),
    ...money(r),
  }));
}

export async function voucherBalances(pool: Pool, familyId: string, month: Month): Promise<VoucherBalance[]> {
  const { rows } = await pool.query(
    `select voucher_id, family_id, month, member_person_id, city, activated_at, ${MONEY} from balances_vouchers where family_id = $1 and month = $2 order by voucher_id`,
    [familyId, month],
  );
  return rows.map((r: Record<string, unknown>) => ({
    voucherId: r.voucher_id as string,
    familyId,
    month,
    memberPersonId: r.member_person_id as string,
    city: r.city as string,
    activatedAt: r.activated_at ? (r.activated_at as Date).toISOString() : null,
    ...money(r),
  }));
}

/** Captured amounts of one shop by local day (inclusive range), for settlement. */
export async function shopDays(pool: Pool, shopId: string, from: LocalDate, to: LocalDate): Promise<ShopDay[]> {
  const { rows } = await pool.query(
    'select shop_id, day::text as day, captured_tiyn, purchases from balances_shop_days where shop_id = $1 and day between $2 and $3 order by day',
    [shopId, from, to],
  );
  return rows.map((r: Record<string, unknown>) => ({ shopId, day: r.day as string, capturedTiyn: Number(r.captured_tiyn), purchases: Number(r.purchases) }));
}

/** Rows where issued ≠ spent + held + lapsed + available (must be none), per table. */
export async function balanceViolations(pool: Pool): Promise<{ vouchers: number; familyMonths: number }> {
  const where = 'where issued_tiyn <> spent_tiyn + held_tiyn + lapsed_tiyn + available_tiyn';
  const v = await pool.query<{ n: bigint }>(`select count(*) as n from balances_vouchers ${where}`);
  const f = await pool.query<{ n: bigint }>(`select count(*) as n from balances_family_months ${where}`);
  return { vouchers: Number(v.rows[0]!.n), familyMonths: Number(f.rows[0]!.n) };
}
