/**
 * The deadline scheduler fires due deadlines side by side (bounded), one stream's in due order,
 * with deterministic command ids; a failing deadline is reported and the others still fire.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../adapters/clock/clock';
import type { DeadlineKind } from '../domain/events';
import { byStream, createDeadlineScheduler, deadlineCommandId, forEachLimited, SCHEDULER_BATCH } from './scheduler';

const NOW = '2026-03-05T12:00:00.000Z';
type Due = { stream: string; deadlineId: string; kind: DeadlineKind; dueAt: string };
const due = (stream: string, deadlineId: string): Due => ({ stream, deadlineId, kind: 'food_hold_expiry', dueAt: '2026-03-05T11:00:00.000Z' });

/** A `dueDeadlines` over a fixed list, keyset-paged by position in the list. */
function readsOf(all: readonly Due[]) {
  return {
    async dueDeadlines(_now: string, limit: number, after?: Due) {
      const from = after ? all.indexOf(after) + 1 : 0;
      return all.slice(from, from + limit) as never;
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('deadline scheduler', () => {
  it('given deadlines of many streams, when it runs, then at most `concurrency` fire at once and all fire once with deterministic ids', async () => {
    const all = Array.from({ length: 50 }, (_, i) => due(`food-f${i}-2026-03`, `d${i}`));
    let inFlight = 0;
    let peak = 0;
    const ids: string[] = [];
    const scheduler = createDeadlineScheduler({
      reads: readsOf(all),
      clock: new VirtualClock(NOW),
      concurrency: 4,
      fire: async (input, meta) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick();
        ids.push(meta.commandId);
        expect(meta.commandId).toBe(deadlineCommandId(input.stream, input.deadlineId));
        inFlight--;
      },
    });
    expect(await scheduler.runOnce()).toBe(50);
    expect(peak).toBe(4);
    expect(new Set(ids).size).toBe(50);
  });

  it('given several deadlines of one stream, when it runs, then they fire one after another in due order', async () => {
    const all = [due('s1', 'a'), due('s2', 'x'), due('s1', 'b'), due('s1', 'c')];
    const order: string[] = [];
    let s1InFlight = 0;
    const scheduler = createDeadlineScheduler({
      reads: readsOf(all),
      clock: new VirtualClock(NOW),
      fire: async (input) => {
        if (input.stream === 's1') expect(++s1InFlight).toBe(1);
        await tick();
        order.push(`${input.stream}/${input.deadlineId}`);
        if (input.stream === 's1') s1InFlight--;
      },
    });
    expect(await scheduler.runOnce()).toBe(4);
    expect(order.filter((o) => o.startsWith('s1/'))).toEqual(['s1/a', 's1/b', 's1/c']);
  });

  it('given a failing deadline, when it runs, then it is reported and the rest (across pages) still fire', async () => {
    const all = Array.from({ length: SCHEDULER_BATCH + 5 }, (_, i) => due(`s${i}`, 'd'));
    const failed: string[] = [];
    const scheduler = createDeadlineScheduler({
      reads: readsOf(all),
      clock: new VirtualClock(NOW),
      fire: async (input) => {
        if (input.stream === 's3') throw new Error('boom');
      },
      onError: (_e, d) => failed.push(d.stream),
    });
    expect(await scheduler.runOnce()).toBe(SCHEDULER_BATCH + 4);
    expect(failed).toEqual(['s3']);
  });

  it('given more due deadlines than a page, when it runs, then the read model is caught up once before the first page, not between pages', async () => {
    const all = Array.from({ length: 2 * SCHEDULER_BATCH + 3 }, (_, i) => due(`s${i}`, 'd'));
    const log: string[] = [];
    const reads = readsOf(all);
    const scheduler = createDeadlineScheduler({
      reads: { dueDeadlines: async (now, limit, after) => (log.push('read'), reads.dueDeadlines(now, limit, after as Due | undefined)) },
      clock: new VirtualClock(NOW),
      fire: async () => undefined,
      beforeRead: async () => void log.push('catch-up'),
    });
    expect(await scheduler.runOnce()).toBe(all.length);
    expect(log).toEqual(['catch-up', 'read', 'read', 'read']);
  });

  it('byStream groups in order of first appearance; forEachLimited visits every item once', async () => {
    expect(byStream([due('a', '1'), due('b', '1'), due('a', '2')]).map((g) => g.map((d) => `${d.stream}${d.deadlineId}`))).toEqual([['a1', 'a2'], ['b1']]);
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5], 2, async (n) => void seen.push(n));
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    await forEachLimited([], 16, async () => expect.unreachable());
  });
});
