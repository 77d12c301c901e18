/**
 * Money is an integer number of tiyn (1 KZT = 100 tiyn). Every function here refuses a result
 * that is not a safe integer, so a float can never leak into a balance.
 */
import { invariant } from './decider';

export type Tiyn = number;

export const TIYN_PER_KZT = 100;

export function isTiyn(value: unknown): value is Tiyn {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function tiyn(value: number): Tiyn {
  invariant(Number.isSafeInteger(value), `${value} is not an integer number of tiyn`);
  return value;
}

export function kzt(wholeTenge: number): Tiyn {
  return tiyn(wholeTenge * TIYN_PER_KZT);
}

export function add(...amounts: Tiyn[]): Tiyn {
  return tiyn(amounts.reduce((sum, amount) => sum + tiyn(amount), 0));
}

export function sub(a: Tiyn, b: Tiyn): Tiyn {
  return tiyn(tiyn(a) - tiyn(b));
}

/** Amount × an integer count (e.g. unit price × quantity). */
export function times(amount: Tiyn, count: number): Tiyn {
  invariant(Number.isSafeInteger(count), `multiplier ${count} is not an integer`);
  return tiyn(tiyn(amount) * count);
}

export function sum(amounts: Iterable<Tiyn>): Tiyn {
  let total = 0;
  for (const amount of amounts) total = tiyn(total + tiyn(amount));
  return total;
}

/** The sum when it is a safe integer; undefined otherwise (amounts from outside, checked before use). */
export function checkedSum(amounts: Iterable<number>): Tiyn | undefined {
  let total = 0;
  for (const amount of amounts) {
    total += amount;
    if (!Number.isSafeInteger(total)) return undefined;
  }
  return total;
}

export function min(a: Tiyn, b: Tiyn): Tiyn {
  return a < b ? a : b;
}

/** "4 325,00 ₸" — for documents people read (табель, receipts). Integer arithmetic only. */
export function formatKzt(amount: Tiyn): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(tiyn(amount));
  const whole = Math.trunc(abs / TIYN_PER_KZT)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  const fraction = (abs % TIYN_PER_KZT).toString().padStart(2, '0');
  return `${sign}${whole},${fraction}\u00a0₸`;
}
