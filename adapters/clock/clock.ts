/** The only source of "now". Deciders never read it: the command path puts `now` on the command. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock the simulator and tests move by hand: exact instants, a school year in minutes. */
export class VirtualClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new Error(`VirtualClock: ${String(start)} is not an instant`);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(instant: Date | string): void {
    const next = new Date(instant).getTime();
    if (next < this.current) throw new Error('VirtualClock: time does not go backwards');
    this.current = next;
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
  moveTo(instant: Date): void {
    this.set(instant);
  }
}

/**
 * A clock an operator may move forward by hand (dev mode only: `POST /v1/ops/clock`, the demo).
 * Production runs on `systemClock`, which is not one.
 */
export interface MovableClock extends Clock {
  /** Jumps to `instant`; refuses to go back (a read model or a deadline already past would lie). */
  moveTo(instant: Date): void;
}

export const isMovableClock = (clock: Clock): clock is MovableClock => typeof (clock as Partial<MovableClock>).moveTo === 'function';

/**
 * The demo's clock: it stands still while the seeded population is played through the API
 * (each jump exact, as the simulator's VirtualClock), then `run()` lets it flow at real speed from
 * where it stands, so QR tokens and holds expire as they would — inside a pilot month whatever
 * the date on the wall.
 */
export class DemoClock implements MovableClock {
  private standing: number;
  /** While running: the virtual instant minus the wall clock's. */
  private offsetMs: number | undefined;
  constructor(start: Date | string) {
    this.standing = new Date(start).getTime();
    if (Number.isNaN(this.standing)) throw new Error(`DemoClock: ${String(start)} is not an instant`);
  }
  now(): Date {
    return new Date(this.offsetMs === undefined ? this.standing : Date.now() + this.offsetMs);
  }
  set(instant: Date | string): void {
    this.moveTo(new Date(instant));
  }
  moveTo(instant: Date): void {
    const next = instant.getTime();
    if (Number.isNaN(next)) throw new Error('DemoClock: not an instant');
    if (next < this.now().getTime()) throw new Error('DemoClock: time does not go backwards');
    if (this.offsetMs === undefined) this.standing = next;
    else this.offsetMs = next - Date.now();
  }
  /** From now on the clock flows at real speed. */
  run(): void {
    if (this.offsetMs === undefined) this.offsetMs = this.standing - Date.now();
  }
}
