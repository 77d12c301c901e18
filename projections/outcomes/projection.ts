/**
 * Pilot outcomes (what ministries pull): per program, area (food: city; meals: region) and month —
 * the consent funnel, vouchers issued/activated/used/lapsed with money, food volumes by category,
 * and for school meals the pupils fed and meals served. The projection keeps one row per case and
 * per voucher (flags and amounts) plus additive volume tables; the funnel is a GROUP BY in
 * queries.ts, so "used" (a voucher with any spending or meal) needs no read-modify-write here.
 *
 * Month of a meals case or voucher: the local month it was opened/issued; of a food case or
 * voucher: its reporting month. Meals served count in the month of their school day.
 * A meals case a later monthly list starts again (ConsentCaseReopened) stays one case in the month
 * it was first opened, and shows its latest attempt: the flags and outcome start over.
 */
import type { LedgerEventType } from '../../domain/events';
import type { Projection, Recorded, Sql } from '../projection';
import { InsertRows, Rows, col } from '../shared/batch-sql';
import { localMonth } from '../shared/events';

export const OUTCOMES = 'outcomes';
/** Category reported for an eligible line whose product has no category on the event. */
export const UNCATEGORISED = 'uncategorised';

const ddl = `
create table outcomes_cases (
  case_id      text primary key,
  program      text not null,
  area         text not null,
  month        text not null,
  no_phone     boolean not null default false,
  not_required boolean not null default false,
  sms_sent     boolean not null default false,
  reminded     boolean not null default false,
  outcome      text
);
create index outcomes_cases_group on outcomes_cases (program, area, month);
create table outcomes_vouchers (
  voucher_id     text primary key,
  program        text not null,
  area           text not null,
  month          text not null,
  issued_tiyn    bigint not null default 0,
  activated      boolean not null default false,
  activated_tiyn bigint not null default 0,
  spent_tiyn     bigint not null default 0,
  lapsed_tiyn    bigint not null default 0,
  meals          integer not null default 0
);
create index outcomes_vouchers_group on outcomes_vouchers (program, area, month);
create table outcomes_wallets (stream text primary key, city text not null, month text not null);
create table outcomes_food (
  city        text not null,
  month       text not null,
  category    text not null,
  unit        text not null,
  quantity    bigint not null default 0,
  amount_tiyn bigint not null default 0,
  primary key (city, month, category, unit)
);
create table outcomes_pupil_months (
  region   text not null,
  month    text not null,
  pupil_id text not null,
  meals    integer not null default 0,
  primary key (region, month, pupil_id)
);
`;

const handled: LedgerEventType[] = [
  'ConsentCaseOpened',
  'ConsentPhoneNotFound',
  'ConsentNotRequired',
  'SmsRequested',
  'SmsSent',
  'ConsentGiven',
  'ConsentRefused',
  'ConsentTimedOut',
  'ConsentUndeliverable',
  'ConsentCaseReopened',
  'MealVoucherIssued',
  'MealVoucherActivated',
  'MealServed',
  'FoodVouchersIssued',
  'FoodVoucherActivated',
  'FoodPurchaseAuthorized',
  'FoodPurchaseCaptured',
  'FoodPurchaseVoided',
  'FoodHoldExpired',
  'FoodVouchersLapsed',
];

interface CaseFlags {
  noPhone: boolean;
  notRequired: boolean;
  smsSent: boolean;
  reminded: boolean;
  outcome: string | null;
  /** Started again in this batch: the stored flags start over (the latest attempt is reported). */
  reset: boolean;
}
interface VoucherMoves {
  activated: boolean;
  spent: number;
  lapsed: number;
  meals: number;
}

/** A case or voucher first seen in this batch: its columns, in table order (the first event wins). */
type Opened = [program: string, area: string, month: string];
type Issued = [program: string, area: string, month: string, issuedTiyn: number];

const CASE_FLAGS_SET =
  'no_phone = (c.no_phone and not u.reset) or u.no_phone, not_required = (c.not_required and not u.reset) or u.not_required, ' +
  'sms_sent = (c.sms_sent and not u.reset) or u.sms_sent, reminded = (c.reminded and not u.reset) or u.reminded, ' +
  'outcome = case when u.reset then u.outcome else coalesce(u.outcome, c.outcome) end';
const VOUCHER_MOVES_SET =
  'activated = v.activated or u.activated, ' +
  'activated_tiyn = case when u.activated and not v.activated then v.issued_tiyn else v.activated_tiyn end, ' +
  'spent_tiyn = v.spent_tiyn + u.spent, lapsed_tiyn = v.lapsed_tiyn + u.lapsed, meals = v.meals + u.meals';

function build(events: readonly Recorded[]): Sql[] {
  const cases = new Map<string, Opened>();
  const vouchers = new Map<string, Issued>();
  const wallets = new InsertRows('outcomes_wallets', [col('stream', 'text'), col('city', 'text'), col('month', 'text')], 1);
  const flags = new Map<string, CaseFlags>();
  const moves = new Map<string, VoucherMoves>();
  const food = new Map<string, [string, string, string, number, number]>();
  /** Money in open holds, per family-month wallet: + authorized, − when captured, voided or expired. */
  const held = new Map<string, number>();
  const hold = (stream: string, tiyn: number) => held.set(stream, (held.get(stream) ?? 0) + tiyn);
  const meals = new Map<string, [string, string, string, number]>();

  const flag = (caseId: string): CaseFlags => {
    let f = flags.get(caseId);
    if (!f) flags.set(caseId, (f = { noPhone: false, notRequired: false, smsSent: false, reminded: false, outcome: null, reset: false }));
    return f;
  };
  const move = (voucherId: string): VoucherMoves => {
    let m = moves.get(voucherId);
    if (!m) moves.set(voucherId, (m = { activated: false, spent: 0, lapsed: 0, meals: 0 }));
    return m;
  };

  for (const ev of events) {
    switch (ev.type) {
      case 'ConsentCaseOpened': {
        const { subject } = ev.data;
        if (cases.has(ev.data.caseId)) break;
        if (subject.kind === 'family') cases.set(ev.data.caseId, [ev.data.program, subject.city, subject.month]);
        else cases.set(ev.data.caseId, [ev.data.program, subject.region, localMonth(ev.data.openedAt)]);
        break;
      }
      case 'ConsentPhoneNotFound':
        flag(ev.data.caseId).noPhone = true;
        break;
      case 'ConsentNotRequired':
        flag(ev.data.caseId).notRequired = true;
        break;
      case 'SmsRequested':
        if (ev.data.kind === 'consent_reminder') flag(ev.data.caseId).reminded = true;
        break;
      case 'SmsSent':
        flag(ev.data.caseId).smsSent = true;
        break;
      case 'ConsentGiven':
        flag(ev.data.caseId).outcome = 'consented';
        break;
      case 'ConsentRefused':
        flag(ev.data.caseId).outcome = 'refused';
        break;
      case 'ConsentTimedOut':
        flag(ev.data.caseId).outcome = 'timed_out';
        break;
      case 'ConsentUndeliverable':
        flag(ev.data.caseId).outcome = 'undeliverable';
        break;
      case 'ConsentCaseReopened':
        flags.set(ev.data.caseId, { noPhone: false, notRequired: false, smsSent: false, reminded: false, outcome: null, reset: true });
        break;
      case 'MealVoucherIssued':
        if (!vouchers.has(ev.data.voucherId)) vouchers.set(ev.data.voucherId, ['school-meals', ev.data.region, localMonth(ev.data.issuedAt), 0]);
        break;
      case 'MealVoucherActivated':
      case 'FoodVoucherActivated':
        move(ev.data.voucherId).activated = true;
        break;
      case 'MealServed': {
        const d = ev.data;
        move(d.voucherId).meals += 1;
        const key = `${d.voucherId}\u0000${d.schoolDay.slice(0, 7)}`;
        const row = meals.get(key);
        if (row) row[3] += 1;
        else meals.set(key, [d.voucherId, d.pupilId, d.schoolDay.slice(0, 7), 1]);
        break;
      }
      case 'FoodVouchersIssued': {
        const d = ev.data;
        wallets.add([ev.stream, d.city, d.month]);
        for (const v of d.vouchers) if (!vouchers.has(v.voucherId)) vouchers.set(v.voucherId, ['food-vouchers', d.city, d.month, v.amountTiyn]);
        break;
      }
      case 'FoodPurchaseAuthorized':
        hold(ev.stream, ev.data.heldTiyn);
        break;
      case 'FoodPurchaseVoided':
      case 'FoodHoldExpired':
        hold(ev.stream, -ev.data.releasedTiyn);
        break;
      case 'FoodPurchaseCaptured': {
        hold(ev.stream, -(ev.data.capturedTiyn + ev.data.releasedTiyn));
        for (const a of ev.data.allocations) move(a.voucherId).spent += a.amountTiyn;
        for (const line of ev.data.lines) {
          if (!line.eligible) continue;
          const category = line.category ?? UNCATEGORISED;
          const key = `${ev.stream}\u0000${category}\u0000${line.unit}`;
          const row = food.get(key);
          if (row) {
            row[3] += line.quantity;
            row[4] += line.lineTiyn;
          } else food.set(key, [ev.stream, category, line.unit, line.quantity, line.lineTiyn]);
        }
        break;
      }
      case 'FoodVouchersLapsed':
        for (const l of ev.data.lapses) move(l.voucherId).lapsed += l.notActivatedTiyn + l.unspentTiyn;
        break;
      default:
        break; // the runner only passes `handled` types
    }
  }

  // A row first seen in this batch is inserted with the batch's flags and moves already applied
  // (one upsert; a key already stored gets them as the UPDATE below would); only rows from earlier
  // batches are updated. Same rows as insert-then-update, without a second version of most rows.
  const statements: Sql[] = [];
  if (cases.size > 0) {
    const rows = new Rows([
      col('case_id', 'text'),
      col('program', 'text'),
      col('area', 'text'),
      col('month', 'text'),
      col('no_phone', 'boolean'),
      col('not_required', 'boolean'),
      col('sms_sent', 'boolean'),
      col('reminded', 'boolean'),
      col('outcome', 'text'),
    ]);
    for (const [id, opened] of cases) {
      const f = flags.get(id);
      rows.add([id, ...opened, f?.noPhone ?? false, f?.notRequired ?? false, f?.smsSent ?? false, f?.reminded ?? false, f?.outcome ?? null]);
    }
    statements.push(
      ...rows.toSql(
        (src) =>
          `insert into outcomes_cases as c (${rows.names}) select * from ${src('r')} on conflict (case_id) do update set ${CASE_FLAGS_SET.replaceAll('u.reset', 'false').replaceAll('u.', 'excluded.')} ` +
          'where excluded.no_phone or excluded.not_required or excluded.sms_sent or excluded.reminded or excluded.outcome is not null',
      ),
    );
  }
  if (vouchers.size > 0) {
    const rows = new Rows([
      col('voucher_id', 'text'),
      col('program', 'text'),
      col('area', 'text'),
      col('month', 'text'),
      col('issued_tiyn', 'bigint'),
      col('activated', 'boolean'),
      col('activated_tiyn', 'bigint'),
      col('spent_tiyn', 'bigint'),
      col('lapsed_tiyn', 'bigint'),
      col('meals', 'integer'),
    ]);
    for (const [id, issued] of vouchers) {
      const m = moves.get(id);
      const activated = m?.activated ?? false;
      rows.add([id, ...issued, activated, activated ? issued[3] : 0, m?.spent ?? 0, m?.lapsed ?? 0, m?.meals ?? 0]);
    }
    // On conflict `excluded` carries the batch's moves under the table's column names.
    const set = VOUCHER_MOVES_SET.replaceAll('u.spent', 'u.spent_tiyn').replaceAll('u.lapsed', 'u.lapsed_tiyn').replaceAll('u.', 'excluded.');
    statements.push(
      ...rows.toSql(
        (src) =>
          `insert into outcomes_vouchers as v (${rows.names}) select * from ${src('r')} on conflict (voucher_id) do update set ${set} ` +
          'where excluded.activated or excluded.spent_tiyn <> 0 or excluded.lapsed_tiyn <> 0 or excluded.meals <> 0',
      ),
    );
  }
  statements.push(...wallets.toSql());
  if (held.size > 0) {
    const rows = new Rows([col('stream', 'text'), col('delta', 'bigint')]);
    for (const [stream, delta] of held) if (delta !== 0) rows.add([stream, delta]);
    statements.push(...rows.toSql((src) => `update outcomes_wallets w set held_tiyn = w.held_tiyn + u.delta from ${src('u')} where w.stream = u.stream`));
  }
  const olderCases = [...flags].filter(([id]) => !cases.has(id));
  if (olderCases.length > 0) {
    const rows = new Rows([
      col('case_id', 'text'),
      col('no_phone', 'boolean'),
      col('not_required', 'boolean'),
      col('sms_sent', 'boolean'),
      col('reminded', 'boolean'),
      col('outcome', 'text'),
      col('reset', 'boolean'),
    ]);
    for (const [id, f] of olderCases) rows.add([id, f.noPhone, f.notRequired, f.smsSent, f.reminded, f.outcome, f.reset]);
    statements.push(...rows.toSql((src) => `update outcomes_cases c set ${CASE_FLAGS_SET} from ${src('u')} where c.case_id = u.case_id`));
  }
  const olderVouchers = [...moves].filter(([id]) => !vouchers.has(id));
  if (olderVouchers.length > 0) {
    const rows = new Rows([col('voucher_id', 'text'), col('activated', 'boolean'), col('spent', 'bigint'), col('lapsed', 'bigint'), col('meals', 'integer')]);
    for (const [id, m] of olderVouchers) rows.add([id, m.activated, m.spent, m.lapsed, m.meals]);
    statements.push(...rows.toSql((src) => `update outcomes_vouchers v set ${VOUCHER_MOVES_SET} from ${src('u')} where v.voucher_id = u.voucher_id`));
  }
  if (meals.size > 0) {
    const rows = new Rows([col('voucher_id', 'text'), col('pupil_id', 'text'), col('month', 'text'), col('meals', 'integer')]);
    for (const row of meals.values()) rows.add(row);
    statements.push(
      ...rows.toSql(
        (src) =>
          `insert into outcomes_pupil_months (region, month, pupil_id, meals) select v.area, u.month, u.pupil_id, sum(u.meals) from ${src('u')} ` +
          'join outcomes_vouchers v on v.voucher_id = u.voucher_id group by 1, 2, 3 ' +
          'on conflict (region, month, pupil_id) do update set meals = outcomes_pupil_months.meals + excluded.meals',
      ),
    );
  }
  if (food.size > 0) {
    const rows = new Rows([col('stream', 'text'), col('category', 'text'), col('unit', 'text'), col('quantity', 'bigint'), col('amount', 'bigint')]);
    for (const row of food.values()) rows.add(row);
    statements.push(
      ...rows.toSql(
        (src) =>
          `insert into outcomes_food (city, month, category, unit, quantity, amount_tiyn) select w.city, w.month, u.category, u.unit, sum(u.quantity), sum(u.amount) ` +
          `from ${src('u')} join outcomes_wallets w on w.stream = u.stream group by 1, 2, 3, 4 ` +
          'on conflict (city, month, category, unit) do update set quantity = outcomes_food.quantity + excluded.quantity, amount_tiyn = outcomes_food.amount_tiyn + excluded.amount_tiyn',
      ),
    );
  }
  return statements;
}

export const outcomesProjection: Projection = {
  name: OUTCOMES,
  canHandle: handled,
  migrations: [
    { id: '0204_outcomes', sql: ddl },
    { id: '0700_outcomes_held', sql: 'alter table outcomes_wallets add column held_tiyn bigint not null default 0;' },
  ],
  tables: ['outcomes_cases', 'outcomes_vouchers', 'outcomes_wallets', 'outcomes_food', 'outcomes_pupil_months'],
  apply: build,
};
