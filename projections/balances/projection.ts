/**
 * Balances of the food wallet, in integer tiyn (bigint columns): per member voucher and per
 * family-month — issued, activated, held, spent, lapsed, available — and per shop the captured
 * amounts by local day, for settlement. Every movement keeps issued = spent + held + lapsed +
 * available on every row (tested). `available` is kept as its own counter (not derived), so the
 * invariant is a real check of the arithmetic below.
 *
 * A hold's per-voucher split is known only from its authorisation; a capture, void or expiry
 * releases it through `balances_hold_allocations` (a set-based join: the authorisation is always
 * earlier in the log, and in one batch the allocations are written before the releases).
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { Rows, SumRows, col } from '../shared/batch-sql';
import { foodStream, localDay } from '../shared/events';
import { sql } from '../projection';

export const BALANCES = 'balances';

const money = ['issued_tiyn', 'activated_tiyn', 'held_tiyn', 'spent_tiyn', 'lapsed_tiyn', 'available_tiyn'] as const;
const moneyColumns = money.map((c) => `${c} bigint not null default 0`).join(',\n  ');

const ddl = `
create table balances_vouchers (
  voucher_id       text primary key,
  family_id        text not null,
  month            text not null,
  member_person_id text not null,
  city             text not null,
  ${moneyColumns},
  activated_at     timestamptz
);
create index balances_vouchers_family on balances_vouchers (family_id, month);
create table balances_family_months (
  family_id text not null,
  month     text not null,
  city      text,
  vouchers  integer not null default 0,
  ${moneyColumns},
  primary key (family_id, month)
);
create table balances_hold_allocations (
  hold_id    text not null,
  voucher_id text not null,
  held_tiyn  bigint not null,
  primary key (hold_id, voucher_id)
);
create table balances_shop_days (
  shop_id       text not null,
  day           date not null,
  captured_tiyn bigint not null default 0,
  purchases     integer not null default 0,
  primary key (shop_id, day)
);
`;

const handled: LedgerEventType[] = [
  'FoodVouchersIssued',
  'FoodVoucherActivated',
  'FoodPurchaseAuthorized',
  'FoodPurchaseCaptured',
  'FoodPurchaseVoided',
  'FoodHoldExpired',
  'FoodVouchersLapsed',
];

/** Per-voucher movement: held, spent, lapsed, available (signed tiyn). */
type Delta = [number, number, number, number];

function build(events: readonly Recorded[]): Sql[] {
  const issued = new Rows([
    col('voucher_id', 'text'),
    col('family_id', 'text'),
    col('month', 'text'),
    col('member_person_id', 'text'),
    col('city', 'text'),
    col('amount', 'bigint'),
  ]);
  const families = new SumRows(
    'balances_family_months',
    [col('family_id', 'text'), col('month', 'text')],
    [
      col('vouchers', 'integer'),
      col('issued_tiyn', 'bigint'),
      col('held_tiyn', 'bigint'),
      col('spent_tiyn', 'bigint'),
      col('lapsed_tiyn', 'bigint'),
      col('available_tiyn', 'bigint'),
    ],
    [col('city', 'text')],
  );
  const allocations = new SumRows('balances_hold_allocations', [col('hold_id', 'text'), col('voucher_id', 'text')], [col('held_tiyn', 'bigint')]);
  /** voucherId → activatedAt; the first activation counts (a voucher is activated once). */
  const activations = new Map<string, string>();
  const released = new Rows([col('hold_id', 'text')]);
  const deltas = new Map<string, Delta>();
  const shops = new SumRows('balances_shop_days', [col('shop_id', 'text'), col('day', 'date')], [col('captured_tiyn', 'bigint'), col('purchases', 'integer')]);

  const move = (voucherId: string, held: number, spent: number, lapsed: number, available: number) => {
    const d = deltas.get(voucherId);
    if (d) {
      d[0] += held;
      d[1] += spent;
      d[2] += lapsed;
      d[3] += available;
    } else deltas.set(voucherId, [held, spent, lapsed, available]);
  };
  const family = (e: Recorded, sums: readonly number[]) => {
    const key = foodStream(e.stream);
    if (key) families.add([key.familyId, key.month], [0, 0, ...sums]);
  };

  for (const ev of events) {
    switch (ev.type) {
      case 'FoodVouchersIssued': {
        const d = ev.data;
        for (const v of d.vouchers) issued.add([v.voucherId, d.familyId, d.month, v.memberPersonId, d.city, v.amountTiyn]);
        families.add([d.familyId, d.month], [d.vouchers.length, d.totalTiyn, 0, 0, 0, d.totalTiyn], [d.city]);
        break;
      }
      case 'FoodVoucherActivated':
        if (!activations.has(ev.data.voucherId)) activations.set(ev.data.voucherId, ev.data.activatedAt);
        break;
      case 'FoodPurchaseAuthorized': {
        const d = ev.data;
        for (const a of d.allocations) {
          allocations.add([d.holdId, a.voucherId], [a.amountTiyn]);
          move(a.voucherId, a.amountTiyn, 0, 0, -a.amountTiyn);
        }
        family(ev, [d.heldTiyn, 0, 0, -d.heldTiyn]);
        break;
      }
      case 'FoodPurchaseCaptured': {
        const d = ev.data;
        released.add([d.holdId]);
        for (const a of d.allocations) move(a.voucherId, 0, a.amountTiyn, 0, -a.amountTiyn);
        family(ev, [-(d.capturedTiyn + d.releasedTiyn), d.capturedTiyn, 0, d.releasedTiyn]);
        shops.add([d.shopId, localDay(d.capturedAt)], [d.capturedTiyn, 1]);
        break;
      }
      case 'FoodPurchaseVoided':
      case 'FoodHoldExpired':
        released.add([ev.data.holdId]);
        family(ev, [-ev.data.releasedTiyn, 0, 0, ev.data.releasedTiyn]);
        break;
      case 'FoodVouchersLapsed': {
        const d = ev.data;
        for (const l of d.lapses) {
          const amount = l.notActivatedTiyn + l.unspentTiyn;
          move(l.voucherId, 0, 0, amount, -amount);
        }
        family(ev, [0, 0, d.totalTiyn, -d.totalTiyn]);
        break;
      }
      default:
        break; // the runner only passes `handled` types
    }
  }

  const voucherDeltas = new Rows([
    col('voucher_id', 'text'),
    col('held', 'bigint'),
    col('spent', 'bigint'),
    col('lapsed', 'bigint'),
    col('available', 'bigint'),
  ]);
  for (const [id, d] of deltas) voucherDeltas.add([id, ...d]);
  const statements: Sql[] = [
    ...issued.toSql(
      (src) =>
        'insert into balances_vouchers (voucher_id, family_id, month, member_person_id, city, issued_tiyn, available_tiyn) ' +
        `select voucher_id, family_id, month, member_person_id, city, amount, amount from ${src('i')} on conflict do nothing`,
    ),
    ...families.toSql(),
    ...allocations.toSql(),
  ];
  if (activations.size > 0) {
    const source = 'unnest($1::text[], $2::timestamptz[]) as a(voucher_id, at)';
    const values = [[...activations.keys()], [...activations.values()]];
    // The family's activated amount first: it counts only vouchers not yet activated.
    statements.push(
      sql(
        `insert into balances_family_months (family_id, month, activated_tiyn) select v.family_id, v.month, sum(v.issued_tiyn) from ${source} ` +
          'join balances_vouchers v on v.voucher_id = a.voucher_id where v.activated_at is null group by 1, 2 ' +
          'on conflict (family_id, month) do update set activated_tiyn = balances_family_months.activated_tiyn + excluded.activated_tiyn',
        ...values,
      ),
      sql(
        `update balances_vouchers v set activated_tiyn = v.issued_tiyn, activated_at = a.at from ${source} ` +
          'where v.voucher_id = a.voucher_id and v.activated_at is null',
        ...values,
      ),
    );
  }
  if (voucherDeltas.size > 0 || released.size > 0) {
    statements.push(
      sql(
        'update balances_vouchers v set held_tiyn = v.held_tiyn + d.held, spent_tiyn = v.spent_tiyn + d.spent, ' +
          'lapsed_tiyn = v.lapsed_tiyn + d.lapsed, available_tiyn = v.available_tiyn + d.available ' +
          'from (select voucher_id, sum(held) as held, sum(spent) as spent, sum(lapsed) as lapsed, sum(available) as available from (' +
          `select * from ${voucherDeltas.source('u')} union all ` +
          'select h.voucher_id, -h.held_tiyn, 0, 0, h.held_tiyn from unnest($6::text[]) as r(hold_id) join balances_hold_allocations h on h.hold_id = r.hold_id' +
          ') x group by voucher_id) d where v.voucher_id = d.voucher_id',
        ...voucherDeltas.values(),
        released.values()[0] ?? [],
      ),
    );
  }
  statements.push(...shops.toSql());
  return statements;
}

export const balancesProjection: Projection = {
  name: BALANCES,
  canHandle: handled,
  migrations: [{ id: '0203_balances', sql: ddl }],
  tables: ['balances_vouchers', 'balances_family_months', 'balances_hold_allocations', 'balances_shop_days'],
  apply: build,
};
