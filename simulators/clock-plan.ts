/**
 * Virtual time in ticks. The simulator moves the clock tick by tick (default one hour); every
 * simulated action happens exactly at a tick, after the deadlines due at that tick have fired.
 * Snapping to ticks keeps a month at ~750 steps while replies, visits and syncs keep their
 * distribution at hour resolution.
 */
import { instantAt, type LocalDate } from '../domain/shared/calendar';
import { pool } from './http';

export class Ticks {
  readonly startMs: number;
  constructor(
    start: string,
    readonly tickMinutes: number,
  ) {
    this.startMs = new Date(start).getTime();
  }
  get tickMs(): number {
    return this.tickMinutes * 60_000;
  }
  /** The instant of tick i. */
  at(i: number): string {
    return new Date(this.startMs + i * this.tickMs).toISOString();
  }
  /** The first tick at or after an instant. */
  ceil(instant: string | number): number {
    const ms = typeof instant === 'number' ? instant : new Date(instant).getTime();
    return Math.max(0, Math.ceil((ms - this.startMs) / this.tickMs));
  }
  /** The tick nearest a local wall-clock time on a local date. */
  local(date: LocalDate, time: string): number {
    return this.ceil(instantAt(date, time));
  }
}

/** Simulated actions by tick; each tick's actions run after the clock has moved there. */
export class Agenda<A> {
  private readonly byTick = new Map<number, A[]>();
  private pending = 0;
  add(tick: number, action: A): void {
    let list = this.byTick.get(tick);
    if (!list) this.byTick.set(tick, (list = []));
    list.push(action);
    this.pending++;
  }
  take(tick: number): A[] {
    const list = this.byTick.get(tick) ?? [];
    this.byTick.delete(tick);
    this.pending -= list.length;
    return list;
  }
  get size(): number {
    return this.pending;
  }
}

/**
 * Runs one tick's actions: one subject's actions (a family, a pupil) in order, subjects side by
 * side with at most `concurrency` in flight. Returns how many actions ran.
 */
export async function runDue<A extends { run: unknown }>(due: readonly A[], concurrency: number, act: (action: A) => Promise<void>): Promise<number> {
  const bySubject = new Map<unknown, A[]>();
  for (const action of due) {
    let list = bySubject.get(action.run);
    if (!list) bySubject.set(action.run, (list = []));
    list.push(action);
  }
  await pool([...bySubject.values()], concurrency, async (actions) => {
    for (const action of actions) await act(action);
  });
  return due.length;
}
