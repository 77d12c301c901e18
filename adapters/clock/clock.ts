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
}
