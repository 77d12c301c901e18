import { afterEach, describe, expect, it, vi } from 'vitest';
import { DemoClock, isMovableClock, systemClock, VirtualClock } from './clock';

describe('the demo clock', () => {
  afterEach(() => vi.useRealTimers());

  it('stands still until it runs, then flows at real speed from where it stood', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const clock = new DemoClock('2026-03-04T04:00:00Z');
    vi.advanceTimersByTime(60_000);
    expect(clock.now().toISOString()).toBe('2026-03-04T04:00:00.000Z');
    clock.moveTo(new Date('2026-04-06T05:00:00Z'));
    clock.run();
    vi.advanceTimersByTime(90_000);
    expect(clock.now().toISOString()).toBe('2026-04-06T05:01:30.000Z');
  });

  it('jumps forward while running and keeps flowing from there', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const clock = new DemoClock('2026-04-06T05:00:00Z');
    clock.run();
    clock.moveTo(new Date('2026-04-20T05:00:00Z'));
    vi.advanceTimersByTime(1_000);
    expect(clock.now().toISOString()).toBe('2026-04-20T05:00:01.000Z');
  });

  it('never goes back, standing or running', () => {
    const clock = new DemoClock('2026-04-06T05:00:00Z');
    expect(() => clock.moveTo(new Date('2026-04-06T04:59:59Z'))).toThrow(/backwards/);
    clock.run();
    expect(() => clock.moveTo(new Date('2026-04-01T00:00:00Z'))).toThrow(/backwards/);
  });

  it('is movable, as the virtual clock is; the system clock is not', () => {
    expect(isMovableClock(new DemoClock('2026-04-06T05:00:00Z'))).toBe(true);
    expect(isMovableClock(new VirtualClock('2026-04-06T05:00:00Z'))).toBe(true);
    expect(isMovableClock(systemClock)).toBe(false);
  });
});
