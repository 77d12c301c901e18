/**
 * Canteen payment orders: the canteen operator is paid «по количеству обучающихся, получивших
 * питание согласно табелю» (seed 002), the табель being final from the 5th of the next month.
 * The first order of a school-month pays the meals on the final табель at the school's contract
 * meal price (from the registry, as of issuing); meals synced after the табель became final are
 * paid by supplementary orders, each stated as such. A meal is on exactly one order: an order
 * counts the meals not yet ordered.
 *
 * Refusal precedence (IssuePaymentOrder): tabel_not_final → payment_order_price_missing.
 */
import { addMonths, dayOfMonth, instantAt, type Month } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';
import { times, type Tiyn } from '../shared/money';
import { SCHOOL_MEALS, type SchoolMealsProgram } from '../programs/school-meals';
import type { CanteenPaymentOrderIssued, Payee } from './events';

/** The табель of a month is final from local midnight of the next month's 5th (seed 002; a program parameter). */
export const tabelFinalFrom = (month: Month, program: Pick<SchoolMealsProgram, 'tabelFinalDayOfNextMonth'> = SCHOOL_MEALS): string =>
  instantAt(dayOfMonth(addMonths(month, 1), program.tabelFinalDayOfNextMonth));

export interface IssuePaymentOrder {
  readonly type: 'IssuePaymentOrder';
  readonly data: {
    readonly schoolId: string;
    readonly month: Month;
    /** Meals on the final табель (received before it became final). */
    readonly mealsOnFinalTabel: number;
    /** Meals of the month received after it became final. */
    readonly lateMeals: number;
    /** The school's contract meal price and canteen operator, from the registry; absent when not registered. */
    readonly mealPriceTiyn?: Tiyn;
    readonly payee?: Payee;
  };
  readonly metadata: CommandMetadata;
}

export interface PaymentOrderState {
  readonly orders: number;
  readonly mealsOrdered: number;
}

export const paymentOrderIdOf = (schoolId: string, month: Month, sequence: number): string => `po-${schoolId}-${month}-${sequence}`;

function issue(command: IssuePaymentOrder, state: PaymentOrderState): CanteenPaymentOrderIssued[] {
  const { schoolId, month, mealsOnFinalTabel, lateMeals, mealPriceTiyn, payee } = command.data;
  if (Date.parse(command.metadata.now) < Date.parse(tabelFinalFrom(month)))
    refuse('tabel_not_final', `the табель of ${month} is final from ${tabelFinalFrom(month)}`);
  const total = mealsOnFinalTabel + lateMeals;
  invariant(total >= state.mealsOrdered, `${schoolId} ${month}: ${state.mealsOrdered} meals ordered but only ${total} recorded`);
  if (total === state.mealsOrdered) return [];
  if (mealPriceTiyn === undefined || payee === undefined)
    refuse('payment_order_price_missing', `school ${schoolId} has no canteen operator or contract meal price in the registry`);
  const chunks = state.orders === 0 ? [mealsOnFinalTabel, lateMeals] : [total - state.mealsOrdered];
  const out: CanteenPaymentOrderIssued[] = [];
  let sequence = state.orders;
  let ordered = state.mealsOrdered;
  for (const meals of chunks) {
    if (meals === 0) continue;
    sequence += 1;
    ordered += meals;
    out.push({
      type: 'CanteenPaymentOrderIssued',
      data: {
        orderId: paymentOrderIdOf(schoolId, month, sequence),
        schoolId,
        month,
        sequence,
        supplementary: sequence > 1,
        meals,
        mealPriceTiyn,
        amountTiyn: times(mealPriceTiyn, meals),
        mealsOrderedTotal: ordered,
        payee,
        issuedAt: command.metadata.now,
      },
    });
  }
  return out;
}

export const paymentOrderDecider: Decider<PaymentOrderState, IssuePaymentOrder, CanteenPaymentOrderIssued> = {
  initialState: () => ({ orders: 0, mealsOrdered: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'IssuePaymentOrder':
        return issue(command, state);
      default:
        return unreachable(command.type, 'command');
    }
  },
  evolve: evolvePaymentOrders,
  evolveAll: evolveEach(evolvePaymentOrders),
};

function evolvePaymentOrders(state: PaymentOrderState, event: CanteenPaymentOrderIssued): PaymentOrderState {
  switch (event.type) {
    case 'CanteenPaymentOrderIssued':
      invariant(event.data.sequence === state.orders + 1, `payment order ${event.data.orderId} out of sequence`);
      return { orders: event.data.sequence, mealsOrdered: event.data.mealsOrderedTotal };
    default:
      return unreachable(event.type, 'event');
  }
}
