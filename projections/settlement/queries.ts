/** Reads of money out's read model (projection.ts): candidates for a window, statements, payables, payouts, facts for reconciliation. */
import type { Pool } from '../../adapters/postgres/pool';
import type { Payee, PayableKind } from '../../domain/settlement/events';
import type { CaptureFact, PaymentOrderFact, PayoutFact, ReconcileInput, StatementFact, WindowFact } from '../../domain/settlement/reconcile';
import type { CaptureCandidate, ReleaseCandidate } from '../../domain/settlement/window';
import { windowEnd } from '../../domain/settlement/window';

const num = (value: bigint | number | string): number => Number(value);
const iso = (value: Date | string) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

/** Captures and releases on no statement yet, of days before `before` (the window's end). */
export async function openCandidates(pool: Pool, before: string): Promise<{ captures: CaptureCandidate[]; releases: ReleaseCandidate[] }> {
  const captures = await pool.query<{
    hold_id: string;
    shop_id: string;
    family_id: string;
    captured_at: Date;
    captured_tiyn: bigint;
    position: bigint;
    items: CaptureCandidate['items'];
  }>(
    `select hold_id, shop_id, family_id, captured_at, captured_tiyn, position, items from settlement_captures
     where statement_id is null and captured_at < $1 order by position`,
    [before],
  );
  const releases = await pool.query<{ hold_id: string; shop_id: string; kind: 'voided' | 'expired'; at: Date; released_tiyn: bigint }>(
    `select hold_id, shop_id, kind, at, released_tiyn from settlement_releases where statement_id is null and at < $1 order by position`,
    [before],
  );
  return {
    captures: captures.rows.map((r) => ({
      holdId: r.hold_id,
      shopId: r.shop_id,
      familyId: r.family_id,
      capturedAt: iso(r.captured_at),
      capturedTiyn: num(r.captured_tiyn),
      position: r.position.toString(),
      items: r.items,
    })),
    releases: releases.rows.map((r) => ({ holdId: r.hold_id, shopId: r.shop_id, kind: r.kind, at: iso(r.at), releasedTiyn: num(r.released_tiyn) })),
  };
}

/** The first day with a capture or release not on a statement, if any (windows start there). */
export async function firstOpenDay(pool: Pool): Promise<string | undefined> {
  const { rows } = await pool.query<{ first: Date | null }>(
    `select least((select min(captured_at) from settlement_captures where statement_id is null), (select min(at) from settlement_releases where statement_id is null)) as first`,
  );
  return rows[0]?.first ? iso(rows[0].first) : undefined;
}

export interface WindowRow {
  readonly windowId: string;
  readonly closedAt: string;
  readonly closedBy: string;
  readonly cutPosition: string;
  readonly purchases: number;
  readonly capturedTiyn: number;
  readonly latePurchases: number;
}

export async function windows(pool: Pool, filter: { from?: string; to?: string } = {}): Promise<WindowRow[]> {
  const { rows } = await pool.query<{
    window_id: string;
    closed_at: Date;
    closed_by: string;
    cut_position: bigint;
    purchases: bigint;
    captured_tiyn: bigint;
    late_purchases: bigint;
  }>(`select * from settlement_windows where ($1::text is null or window_id >= $1) and ($2::text is null or window_id <= $2) order by window_id`, [
    filter.from ?? null,
    filter.to ?? null,
  ]);
  return rows.map((r) => ({
    windowId: r.window_id,
    closedAt: iso(r.closed_at),
    closedBy: r.closed_by,
    cutPosition: r.cut_position.toString(),
    purchases: num(r.purchases),
    capturedTiyn: num(r.captured_tiyn),
    latePurchases: num(r.late_purchases),
  }));
}

export async function lastClosedWindow(pool: Pool): Promise<string | undefined> {
  const { rows } = await pool.query<{ window_id: string }>('select max(window_id) as window_id from settlement_windows');
  return rows[0]?.window_id ?? undefined;
}

export interface StatementRow {
  readonly statementId: string;
  readonly shopId: string;
  readonly windowId: string;
  readonly purchases: number;
  readonly capturedTiyn: number;
  readonly payoutTiyn: number;
  readonly issuedAt: string;
  readonly payout: PayoutSummary;
}

export interface PayoutSummary {
  readonly status: 'nothing_to_pay' | 'unissued' | 'pending' | 'paid' | 'failed';
  readonly attempts: number;
  readonly endToEndId?: string;
  readonly batchId?: string;
  readonly bankReference?: string;
  readonly reason?: string;
  readonly at?: string;
}

const payoutSummarySql = `
  (select json_build_object('status', p.status, 'attempts', p.attempt, 'endToEndId', p.end_to_end_id, 'batchId', p.batch_id,
     'bankReference', p.bank_reference, 'reason', p.reason, 'at', coalesce(p.result_at, p.issued_at))
   from payouts p where p.payable_id = %ID% order by (p.status = 'confirmed') desc, p.attempt desc limit 1)`;

function summary(row: Record<string, unknown> | null, amountTiyn: number): PayoutSummary {
  if (amountTiyn === 0) return { status: 'nothing_to_pay', attempts: 0 };
  if (!row) return { status: 'unissued', attempts: 0 };
  const status = row.status === 'confirmed' ? 'paid' : row.status === 'issued' ? 'pending' : 'failed';
  const pick = (key: string) => (typeof row[key] === 'string' ? { [key]: row[key] as string } : {});
  return {
    status,
    attempts: Number(row.attempts),
    ...pick('endToEndId'),
    ...pick('batchId'),
    ...pick('bankReference'),
    ...pick('reason'),
    ...(row.at ? { at: iso(row.at as string) } : {}),
  };
}

export async function statements(pool: Pool, filter: { shopId?: string; windowId?: string; from?: string; to?: string }): Promise<StatementRow[]> {
  const { rows } = await pool.query<{
    statement_id: string;
    shop_id: string;
    window_id: string;
    purchases: bigint;
    captured_tiyn: bigint;
    payout_tiyn: bigint;
    issued_at: Date;
    payout: Record<string, unknown> | null;
  }>(
    `select s.*, ${payoutSummarySql.replace('%ID%', 's.statement_id')} as payout from settlement_statements s
     where ($1::text is null or s.shop_id = $1) and ($2::text is null or s.window_id = $2)
       and ($3::text is null or s.window_id >= $3) and ($4::text is null or s.window_id <= $4)
     order by s.window_id, s.shop_id`,
    [filter.shopId ?? null, filter.windowId ?? null, filter.from ?? null, filter.to ?? null],
  );
  return rows.map((r) => ({
    statementId: r.statement_id,
    shopId: r.shop_id,
    windowId: r.window_id,
    purchases: num(r.purchases),
    capturedTiyn: num(r.captured_tiyn),
    payoutTiyn: num(r.payout_tiyn),
    issuedAt: iso(r.issued_at),
    payout: summary(r.payout, num(r.payout_tiyn)),
  }));
}

export interface StatementDetail extends StatementRow {
  readonly lines: readonly { holdId: string; familyId: string; capturedAt: string; capturedTiyn: number; position: string; items: CaptureCandidate['items'] }[];
  readonly releases: readonly ReleaseCandidate[];
}

export async function statement(pool: Pool, statementId: string): Promise<StatementDetail | undefined> {
  const { rows } = await pool.query<{
    statement_id: string;
    shop_id: string;
    window_id: string;
    purchases: bigint;
    captured_tiyn: bigint;
    payout_tiyn: bigint;
    issued_at: Date;
    releases: ReleaseCandidate[];
    payout: Record<string, unknown> | null;
  }>(`select s.*, ${payoutSummarySql.replace('%ID%', 's.statement_id')} as payout from settlement_statements s where s.statement_id = $1`, [statementId]);
  const row = rows[0];
  if (!row) return undefined;
  const lines = await pool.query<{
    hold_id: string;
    family_id: string;
    captured_at: Date;
    captured_tiyn: bigint;
    position: bigint;
    items: CaptureCandidate['items'];
  }>('select hold_id, family_id, captured_at, captured_tiyn, position, items from settlement_captures where statement_id = $1 order by position', [
    statementId,
  ]);
  return {
    statementId: row.statement_id,
    shopId: row.shop_id,
    windowId: row.window_id,
    purchases: num(row.purchases),
    capturedTiyn: num(row.captured_tiyn),
    payoutTiyn: num(row.payout_tiyn),
    issuedAt: iso(row.issued_at),
    payout: summary(row.payout, num(row.payout_tiyn)),
    lines: lines.rows.map((l) => ({
      holdId: l.hold_id,
      familyId: l.family_id,
      capturedAt: iso(l.captured_at),
      capturedTiyn: num(l.captured_tiyn),
      position: l.position.toString(),
      items: l.items,
    })),
    releases: row.releases.map((r) => ({ ...r, shopId: row.shop_id })),
  };
}

export interface PaymentOrderRow {
  readonly orderId: string;
  readonly schoolId: string;
  readonly month: string;
  readonly sequence: number;
  readonly supplementary: boolean;
  readonly meals: number;
  readonly mealPriceTiyn: number;
  readonly amountTiyn: number;
  readonly payee: Payee;
  readonly issuedAt: string;
  readonly payout: PayoutSummary;
}

export interface PaymentOrderFilter {
  readonly schoolId?: string;
  readonly month?: string;
  readonly region?: string;
}

/** Payment orders by school, month and region (a school's region as the registry has it: an order is issued only to a registered school). */
export async function paymentOrders(pool: Pool, filter: PaymentOrderFilter): Promise<PaymentOrderRow[]> {
  const { rows } = await pool.query<{
    order_id: string;
    school_id: string;
    month: string;
    sequence: bigint;
    supplementary: boolean;
    meals: bigint;
    meal_price_tiyn: bigint;
    amount_tiyn: bigint;
    payee: Payee;
    issued_at: Date;
    payout: Record<string, unknown> | null;
  }>(
    `select o.*, ${payoutSummarySql.replace('%ID%', 'o.order_id')} as payout from payment_orders o
     where ($1::text is null or o.school_id = $1) and ($2::text is null or o.month = $2)
       and ($3::text is null or exists (select 1 from registry_schools r where r.school_id = o.school_id and r.region = $3))
     order by o.month, o.school_id, o.sequence`,
    [filter.schoolId ?? null, filter.month ?? null, filter.region ?? null],
  );
  return rows.map((r) => ({
    orderId: r.order_id,
    schoolId: r.school_id,
    month: r.month,
    sequence: num(r.sequence),
    supplementary: r.supplementary,
    meals: num(r.meals),
    mealPriceTiyn: num(r.meal_price_tiyn),
    amountTiyn: num(r.amount_tiyn),
    payee: r.payee,
    issuedAt: iso(r.issued_at),
    payout: summary(r.payout, num(r.amount_tiyn)),
  }));
}

export interface Payable {
  readonly payableId: string;
  readonly kind: PayableKind;
  readonly amountTiyn: number;
  /** The shop or the school: whom the registry is asked for the payee. */
  readonly partyId: string;
  /** A payment order carries its payee from the registry as of issuing. */
  readonly payee?: Payee;
}

/**
 * Payables due a transfer: statements of a window or payment orders of a month with a positive
 * amount and no payout yet (`new`), or whose last transfer failed (`reissue`).
 */
export async function payablesDue(
  pool: Pool,
  selection: { purpose: 'window'; windowId: string } | { purpose: 'payment_orders'; month: string } | { purpose: 'reissue' },
): Promise<Payable[]> {
  const noOpen = (id: string) => `not exists (select 1 from payouts p where p.payable_id = ${id} and p.status in ('issued', 'confirmed'))`;
  const failedOnly = (id: string) => `exists (select 1 from payouts p where p.payable_id = ${id}) and ${noOpen(id)}`;
  const none = (id: string) => `not exists (select 1 from payouts p where p.payable_id = ${id})`;
  const shops = (where: string, values: unknown[]) =>
    pool.query<{ statement_id: string; payout_tiyn: bigint; shop_id: string }>(
      `select statement_id, payout_tiyn, shop_id from settlement_statements s where s.payout_tiyn > 0 and ${where} order by statement_id`,
      values,
    );
  const orders = (where: string, values: unknown[]) =>
    pool.query<{ order_id: string; amount_tiyn: bigint; school_id: string; payee: Payee }>(
      `select order_id, amount_tiyn, school_id, payee from payment_orders o where o.amount_tiyn > 0 and ${where} order by order_id`,
      values,
    );
  const fromShops = (rows: { statement_id: string; payout_tiyn: bigint; shop_id: string }[]): Payable[] =>
    rows.map((r) => ({ payableId: r.statement_id, kind: 'shop_statement', amountTiyn: num(r.payout_tiyn), partyId: r.shop_id }));
  const fromOrders = (rows: { order_id: string; amount_tiyn: bigint; school_id: string; payee: Payee }[]): Payable[] =>
    rows.map((r) => ({ payableId: r.order_id, kind: 'canteen_order', amountTiyn: num(r.amount_tiyn), partyId: r.school_id, payee: r.payee }));
  switch (selection.purpose) {
    case 'window':
      return fromShops((await shops(`s.window_id = $1 and ${none('s.statement_id')}`, [selection.windowId])).rows);
    case 'payment_orders':
      return fromOrders((await orders(`o.month = $1 and ${none('o.order_id')}`, [selection.month])).rows);
    case 'reissue':
      return [...fromShops((await shops(failedOnly('s.statement_id'), [])).rows), ...fromOrders((await orders(failedOnly('o.order_id'), [])).rows)];
  }
}

/** The payable an end-to-end id was issued for. */
export async function payableOfEndToEnd(pool: Pool, endToEndIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ end_to_end_id: string; payable_id: string }>(
    'select end_to_end_id, payable_id from payouts where end_to_end_id = any($1::text[])',
    [endToEndIds],
  );
  return new Map(rows.map((r) => [r.end_to_end_id, r.payable_id]));
}

export async function payoutBatches(
  pool: Pool,
): Promise<{ batchId: string; messageId: string; purpose: string; reference: string; payments: number; totalTiyn: number; createdAt: string }[]> {
  const { rows } = await pool.query<{
    batch_id: string;
    message_id: string;
    purpose: string;
    reference: string;
    payments: bigint;
    total_tiyn: bigint;
    created_at: Date;
  }>('select batch_id, message_id, purpose, reference, payments, total_tiyn, created_at from payout_batches order by created_at, batch_id');
  return rows.map((r) => ({
    batchId: r.batch_id,
    messageId: r.message_id,
    purpose: r.purpose,
    reference: r.reference,
    payments: num(r.payments),
    totalTiyn: num(r.total_tiyn),
    createdAt: iso(r.created_at),
  }));
}

export async function payoutBatch(pool: Pool, batchId: string): Promise<import('../../domain/settlement/events').PayoutBatchCreated['data'] | undefined> {
  const { rows } = await pool.query<{ batch: import('../../domain/settlement/events').PayoutBatchCreated['data'] }>(
    'select batch from payout_batches where batch_id = $1',
    [batchId],
  );
  return rows[0]?.batch;
}

/** Every fact reconciliation needs, as the read model holds it now. `mealMonths` come from the табель. */
export async function reconcileFacts(pool: Pool, mealMonths: ReconcileInput['mealMonths']): Promise<ReconcileInput> {
  const captures = await pool.query<{ hold_id: string; shop_id: string; captured_at: Date; captured_tiyn: bigint; position: bigint }>(
    'select hold_id, shop_id, captured_at, captured_tiyn, position from settlement_captures',
  );
  const lines = await pool.query<{ hold_id: string; shop_id: string; statement_id: string; captured_tiyn: bigint }>(
    'select hold_id, shop_id, statement_id, captured_tiyn from settlement_captures where statement_id is not null',
  );
  const statementRows = await pool.query<{ statement_id: string; shop_id: string; window_id: string; payout_tiyn: bigint }>(
    'select statement_id, shop_id, window_id, payout_tiyn from settlement_statements',
  );
  const payoutRows = await pool.query<{
    payable_id: string;
    kind: PayableKind;
    end_to_end_id: string;
    amount_tiyn: bigint;
    status: 'issued' | 'confirmed' | 'failed';
  }>('select payable_id, kind, end_to_end_id, amount_tiyn, status from payouts order by payable_id, attempt');
  const orderRows = await pool.query<{ order_id: string; school_id: string; month: string; meals: bigint; meal_price_tiyn: bigint; amount_tiyn: bigint }>(
    'select order_id, school_id, month, meals, meal_price_tiyn, amount_tiyn from payment_orders',
  );
  const key = (shopId: string, holdId: string) => `${shopId}/${holdId}`;
  const byStatement = new Map<string, { holdId: string; capturedTiyn: number }[]>();
  for (const l of lines.rows)
    byStatement.set(l.statement_id, [...(byStatement.get(l.statement_id) ?? []), { holdId: key(l.shop_id, l.hold_id), capturedTiyn: num(l.captured_tiyn) }]);
  const windowFacts: WindowFact[] = (await windows(pool)).map((w) => ({ windowId: w.windowId, cutPosition: w.cutPosition, end: windowEnd(w.windowId) }));
  const payouts = new Map<string, PayoutFact>();
  for (const p of payoutRows.rows) {
    const fact = payouts.get(p.payable_id) ?? { payableId: p.payable_id, kind: p.kind, attempts: [] };
    payouts.set(p.payable_id, { ...fact, attempts: [...fact.attempts, { endToEndId: p.end_to_end_id, amountTiyn: num(p.amount_tiyn), status: p.status }] });
  }
  return {
    captures: captures.rows.map((c): CaptureFact => ({
      holdId: key(c.shop_id, c.hold_id),
      shopId: c.shop_id,
      capturedAt: iso(c.captured_at),
      capturedTiyn: num(c.captured_tiyn),
      position: c.position.toString(),
    })),
    windows: windowFacts,
    statements: statementRows.rows.map((s): StatementFact => ({
      statementId: s.statement_id,
      shopId: s.shop_id,
      windowId: s.window_id,
      payoutTiyn: num(s.payout_tiyn),
      lines: byStatement.get(s.statement_id) ?? [],
    })),
    payouts: [...payouts.values()],
    mealMonths,
    orders: orderRows.rows.map((o): PaymentOrderFact => ({
      orderId: o.order_id,
      schoolId: o.school_id,
      month: o.month,
      meals: num(o.meals),
      mealPriceTiyn: num(o.meal_price_tiyn),
      amountTiyn: num(o.amount_tiyn),
    })),
  };
}
